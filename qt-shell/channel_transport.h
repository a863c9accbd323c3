// The QWebChannel transport for QML. Qt 6.4's QML WebSocket cannot set request headers, so the
// socket lives here and presents the token as `Authorization: Bearer TOKEN`. To qwebchannel.js
// (which runs unchanged in QML) this object is what a browser WebSocket is: `send(string)` and an
// `onmessage` callback property called with `{data: string}`.
#pragma once
#include <QHash>
#include <QJSValue>
#include <QObject>
#include <QVariantMap>
#include <QWebSocket>
#include <QtQml/qqmlregistration.h>

class ChannelTransport : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("made by CoreLink")
    Q_PROPERTY(QJSValue onmessage READ onmessage WRITE setOnmessage NOTIFY onmessageChanged)
    Q_PROPERTY(bool open READ isOpen NOTIFY openChanged)

public:
    explicit ChannelTransport(QObject *parent = nullptr);

    // Connects to a /webchannel URL; `opened` or `failed(code, message)` follows.
    void connectTo(const QString &url, const QString &token);
    Q_INVOKABLE void close();
    bool isOpen() const { return m_open; }

    QJSValue onmessage() const { return m_onmessage; }
    void setOnmessage(const QJSValue &callback);

    Q_INVOKABLE void send(const QString &message);
    // The `error: {code, message, detail}` of the failed response to request `id`, once (then
    // forgotten); qwebchannel.js only rejects the call's promise without a reason.
    Q_INVOKABLE QVariantMap takeError(int id);

signals:
    void onmessageChanged();
    void openChanged();
    void opened();
    // code: a secushare error code (RPC_UNAUTHORIZED, RPC_REFUSED, DAEMON_UNREACHABLE).
    void failed(const QString &code, const QString &message);
    void closed();
    // A frame the channel script could not handle (malformed JSON, unknown type): shown, not fatal.
    void protocolError(const QString &message);

private:
    void onText(const QString &message);
    void rememberError(const QString &message);

    QWebSocket m_socket;
    QJSValue m_onmessage;
    QHash<int, QVariantMap> m_errors;
    bool m_open = false;
    bool m_handshakeFailed = false;
};
