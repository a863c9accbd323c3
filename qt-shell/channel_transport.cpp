#include "channel_transport.h"

#include <QJSEngine>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkRequest>
#include <QWebSocketHandshakeOptions>

static constexpr int kMaxRememberedErrors = 64;
static const char kSubprotocol[] = "secushare.webchannel.v1";

ChannelTransport::ChannelTransport(QObject *parent) : QObject(parent)
{
    connect(&m_socket, &QWebSocket::connected, this, [this]() {
        m_open = true;
        emit openChanged();
        emit opened();
    });
    connect(&m_socket, &QWebSocket::disconnected, this, [this]() {
        const bool wasOpen = m_open;
        m_open = false;
        if (wasOpen) {
            emit openChanged();
            emit closed();
        } else if (!m_handshakeFailed) {
            emit failed(QStringLiteral("DAEMON_UNREACHABLE"),
                        tr("The core does not answer at %1").arg(m_socket.requestUrl().toString()));
        }
    });
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &ChannelTransport::onText);
    // 401 (bad token) and 403 (refused) arrive as a failed handshake.
    connect(&m_socket, QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), this, [this](QAbstractSocket::SocketError) {
        const QString text = m_socket.errorString();
        if (m_open)
            return;
        if (text.contains(QLatin1String("401"))) {
            m_handshakeFailed = true;
            emit failed(QStringLiteral("RPC_UNAUTHORIZED"), tr("The core refused the token (401)."));
        } else if (text.contains(QLatin1String("403")) || text.contains(QLatin1String("429"))) {
            m_handshakeFailed = true;
            emit failed(QStringLiteral("RPC_REFUSED"), tr("The core refused the connection: %1").arg(text));
        }
    });
}

void ChannelTransport::connectTo(const QString &url, const QString &token)
{
    m_handshakeFailed = false;
    m_errors.clear();
    QNetworkRequest request{QUrl(url)};
    request.setRawHeader("Authorization", "Bearer " + token.toLatin1());
    QWebSocketHandshakeOptions options;
    options.setSubprotocols({QString::fromLatin1(kSubprotocol)});
    m_socket.open(request, options);
}

void ChannelTransport::close()
{
    m_socket.close();
}

void ChannelTransport::setOnmessage(const QJSValue &callback)
{
    m_onmessage = callback;
    emit onmessageChanged();
}

void ChannelTransport::send(const QString &message)
{
    if (m_open)
        m_socket.sendTextMessage(message);
}

QVariantMap ChannelTransport::takeError(int id)
{
    return m_errors.take(id);
}

void ChannelTransport::rememberError(const QString &message)
{
    const QJsonObject frame = QJsonDocument::fromJson(message.toUtf8()).object();
    if (frame.value(QStringLiteral("type")).toInt() != 10 || !frame.contains(QStringLiteral("error")))
        return;
    if (m_errors.size() >= kMaxRememberedErrors)
        m_errors.clear(); // answers nobody asked for: forget them rather than grow
    m_errors.insert(frame.value(QStringLiteral("id")).toInt(),
                    frame.value(QStringLiteral("error")).toObject().toVariantMap());
}

void ChannelTransport::onText(const QString &message)
{
    if (message.contains(QLatin1String("\"error\"")))
        rememberError(message);
    QJSEngine *engine = qjsEngine(this);
    if (!engine || !m_onmessage.isCallable())
        return;
    QJSValue event = engine->newObject();
    event.setProperty(QStringLiteral("data"), message);
    const QJSValue result = m_onmessage.call({event});
    if (result.isError())
        emit protocolError(result.toString());
}
