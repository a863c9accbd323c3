// The shell's link to a secushare core: finds the daemon running for a home (rpc.json + token),
// or creates the node (`secushare init`) and starts the daemon as a child process, or connects to
// a remote core; then opens the QWebChannel transport. Stops the daemon on exit only if it started
// it. While the core is unreachable it keeps looking and reconnects when the core returns.
#pragma once
#include <QObject>
#include <QProcess>
#include <QStringList>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

#include "channel_transport.h"
#include "pair_client.h"

class CoreLink : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QString home READ home WRITE setHome NOTIFY configChanged)
    Q_PROPERTY(QString coreUrl READ coreUrl WRITE setCoreUrl NOTIFY configChanged)
    Q_PROPERTY(QString tokenFile READ tokenFile WRITE setTokenFile NOTIFY configChanged)
    // A one-time pairing code (`secushare pair` on the core's machine) for the remote core at
    // coreUrl: exchanged once for a UI token, which is then kept in memory and, when tokenFile is
    // set, written there (0600) for the next start.
    Q_PROPERTY(QString pairCode READ pairCode WRITE setPairCode NOTIFY configChanged)
    Q_PROPERTY(QStringList daemonArgs READ daemonArgs WRITE setDaemonArgs NOTIFY configChanged)
    Q_PROPERTY(QString repoDir READ repoDir WRITE setRepoDir NOTIFY configChanged)
    Q_PROPERTY(QString nodeProgram READ nodeProgram WRITE setNodeProgram NOTIFY configChanged)
    // idle, needsNode, creating, needsPassphrase, starting, pairing, connecting, connected, unreachable, failed
    Q_PROPERTY(QString state READ state NOTIFY stateChanged)
    Q_PROPERTY(QString errorCode READ errorCode NOTIFY stateChanged)
    Q_PROPERTY(QString errorMessage READ errorMessage NOTIFY stateChanged)
    Q_PROPERTY(bool startedCore READ startedCore NOTIFY stateChanged)
    Q_PROPERTY(QString url READ url NOTIFY stateChanged)
    Q_PROPERTY(ChannelTransport *transport READ transport CONSTANT)

public:
    explicit CoreLink(QObject *parent = nullptr);
    ~CoreLink() override;

    QString home() const { return m_home; }
    void setHome(const QString &home);
    QString coreUrl() const { return m_coreUrl; }
    void setCoreUrl(const QString &url) { m_coreUrl = url; emit configChanged(); }
    QString tokenFile() const { return m_tokenFile; }
    void setTokenFile(const QString &file) { m_tokenFile = file; emit configChanged(); }
    QString pairCode() const { return m_pairCode; }
    void setPairCode(const QString &code) { m_pairCode = code; emit configChanged(); }
    QStringList daemonArgs() const { return m_daemonArgs; }
    void setDaemonArgs(const QStringList &args) { m_daemonArgs = args; emit configChanged(); }
    QString repoDir() const { return m_repoDir; }
    void setRepoDir(const QString &dir) { m_repoDir = dir; emit configChanged(); }
    QString nodeProgram() const { return m_nodeProgram; }
    void setNodeProgram(const QString &program) { m_nodeProgram = program; emit configChanged(); }

    QString state() const { return m_state; }
    QString errorCode() const { return m_errorCode; }
    QString errorMessage() const { return m_errorMessage; }
    bool startedCore() const { return m_daemon.state() != QProcess::NotRunning; }
    QString url() const { return m_url; }
    ChannelTransport *transport() { return &m_transport; }

    // Finds or starts the core and connects (or asks for onboarding when the home has no node).
    Q_INVOKABLE void start();
    // Onboarding: `secushare init --nick NICK` (keys protected when a passphrase is given), then start.
    Q_INVOKABLE void createNode(const QString &nick, const QString &passphrase = QString());
    // The home's keys are protected (state needsPassphrase): starts the daemon with this
    // passphrase, handed over in the child's environment (SECUSHARE_PASSPHRASE), never on its
    // command line. It is forgotten once the daemon is ready or has refused it (WRONG_PASSPHRASE
    // brings back needsPassphrase).
    Q_INVOKABLE void unlock(const QString &passphrase);
    // Looks again now (after "core not reachable" or an error), starting the core if none runs.
    Q_INVOKABLE void retry();
    // Stops the daemon if this shell started it (also done on exit).
    Q_INVOKABLE void stopCore();

signals:
    void configChanged();
    void stateChanged();

private:
    void setState(const QString &state, const QString &code = QString(), const QString &message = QString());
    void locate(bool mayStart);
    void launchDaemon();
    void connectTransport(const QString &url, const QString &token);
    QString script() const;
    QProcessEnvironment childEnvironment() const;
    void onDaemonOutput();
    void onDaemonFinished();

    QString m_home;
    QString m_coreUrl;
    QString m_tokenFile;
    QString m_pairCode;
    QString m_pairedToken;
    PairClient m_pair;
    QStringList m_daemonArgs;
    QString m_repoDir;
    QString m_nodeProgram;
    QString m_passphrase;
    QString m_state = QStringLiteral("idle");
    QString m_errorCode;
    QString m_errorMessage;
    QString m_url;
    QProcess m_init;
    QProcess m_daemon;
    QByteArray m_daemonStdout;
    QByteArray m_daemonStderr;
    bool m_daemonReady = false;
    QTimer m_retryTimer;
    QTimer m_readyTimer;
    ChannelTransport m_transport;
};
