#include "pair_client.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QUrl>
#include <QWebSocketHandshakeOptions>

static const char kPairSubprotocol[] = "secushare.pair.v1";
// The server's answer is one small JSON text; anything longer is not it.
static constexpr qint64 kMaxAnswerBytes = 4096;

PairClient::PairClient(QObject *parent) : QObject(parent)
{
    m_socket.setMaxAllowedIncomingMessageSize(kMaxAnswerBytes);
    connect(&m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        const QJsonObject answer = QJsonDocument::fromJson(text.toUtf8()).object();
        const QString token = answer.value(QStringLiteral("token")).toString();
        static const QRegularExpression tokenShape(QStringLiteral("^[A-Za-z0-9._-]{16,200}$"));
        if (answer.contains(QStringLiteral("error"))) {
            const QJsonObject e = answer.value(QStringLiteral("error")).toObject();
            finish(QString(), e.value(QStringLiteral("code")).toString(QStringLiteral("RPC_REFUSED")),
                   e.value(QStringLiteral("message")).toString());
        } else if (tokenShape.match(token).hasMatch()) {
            finish(token, QString(), QString());
        } else {
            finish(QString(), QStringLiteral("RPC_REFUSED"), tr("The core's pairing answer has no usable token."));
        }
        m_socket.close();
    });
    connect(&m_socket, &QWebSocket::disconnected, this, [this]() {
        finish(QString(), QStringLiteral("DAEMON_UNREACHABLE"),
               tr("The core at %1 closed the pairing connection without a token.").arg(m_socket.requestUrl().toString()));
    });
    connect(&m_socket, QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), this, [this](QAbstractSocket::SocketError) {
        const QString text = m_socket.errorString();
        if (text.contains(QLatin1String("401")))
            finish(QString(), QStringLiteral("RPC_UNAUTHORIZED"), tr("The core refused the pairing code: wrong, already used or expired."));
        else if (text.contains(QLatin1String("403")) || text.contains(QLatin1String("429")))
            finish(QString(), QStringLiteral("RPC_REFUSED"), tr("The core refused the connection: %1").arg(text));
        else
            finish(QString(), QStringLiteral("DAEMON_UNREACHABLE"), tr("The core does not answer at %1: %2").arg(m_socket.requestUrl().toString(), text));
    });
}

void PairClient::start(const QString &coreUrl, const QString &code)
{
    QUrl url(coreUrl);
    url.setPath(QStringLiteral("/pair"));
    url.setQuery(QString());
    m_running = true;
    QNetworkRequest request{url};
    // The code goes in the header like a token (dashes and case are ignored by the core).
    request.setRawHeader("Authorization", "Bearer " + code.trimmed().toLatin1());
    QWebSocketHandshakeOptions options;
    options.setSubprotocols({QString::fromLatin1(kPairSubprotocol)});
    m_socket.open(request, options);
}

void PairClient::finish(const QString &token, const QString &code, const QString &message)
{
    if (!m_running)
        return;
    m_running = false;
    if (token.isEmpty())
        emit failed(code, message);
    else
        emit paired(token);
}
