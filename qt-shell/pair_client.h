// Pairing with a remote core (docs/rpc.md "Remote UIs"): presents a one-time code from `secushare
// pair` at ws://HOST:PORT/pair and receives the UI token the core makes for this shell.
#pragma once
#include <QObject>
#include <QWebSocket>

class PairClient : public QObject
{
    Q_OBJECT

public:
    explicit PairClient(QObject *parent = nullptr);

    // coreUrl: ws://HOST:PORT (any path is replaced by /pair). One attempt; `paired` or `failed` follows.
    void start(const QString &coreUrl, const QString &code);
    bool running() const { return m_running; }

signals:
    void paired(const QString &token);
    // code: RPC_UNAUTHORIZED (wrong, used or expired code), RPC_REFUSED, DAEMON_UNREACHABLE, or the core's.
    void failed(const QString &code, const QString &message);

private:
    void finish(const QString &token, const QString &code, const QString &message);

    QWebSocket m_socket;
    bool m_running = false;
};
