#include "qr_image_provider.h"

#include <QPainter>
#include <QUrl>
#include <qrencode.h>

static constexpr int kQuietZone = 4; // modules of white around the code, as the standard asks

QImage QrImageProvider::requestImage(const QString &id, QSize *size, const QSize &requestedSize)
{
    const QByteArray text = QUrl::fromPercentEncoding(id.toUtf8()).toUtf8();
    QRcode *code = QRcode_encodeString8bit(text.constData(), 0, QR_ECLEVEL_L);
    if (!code) {
        *size = QSize();
        return QImage();
    }
    const int modules = code->width + 2 * kQuietZone;
    const int wanted = requestedSize.isValid() ? qMin(requestedSize.width(), requestedSize.height()) : modules * 4;
    const int scale = qMax(1, wanted / modules);
    QImage image(modules * scale, modules * scale, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    for (int y = 0; y < code->width; ++y)
        for (int x = 0; x < code->width; ++x)
            if (code->data[y * code->width + x] & 1)
                painter.fillRect((x + kQuietZone) * scale, (y + kQuietZone) * scale, scale, scale, Qt::black);
    painter.end();
    QRcode_free(code);
    *size = image.size();
    return image;
}
