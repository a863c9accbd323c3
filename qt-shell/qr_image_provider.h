// `image://qr/TEXT` for QML: TEXT (percent-encoded) as a QR code, drawn with libqrencode.
#pragma once
#include <QQuickImageProvider>

class QrImageProvider : public QQuickImageProvider
{
public:
    QrImageProvider() : QQuickImageProvider(QQuickImageProvider::Image) {}
    QImage requestImage(const QString &id, QSize *size, const QSize &requestedSize) override;
};
