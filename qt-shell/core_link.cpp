#include "core_link.h"
#include "home_files.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>

#ifndef SECUSHARE_REPO_DIR
#define SECUSHARE_REPO_DIR "."
#endif

static constexpr int kRetryMs = 2000;
static constexpr int kReadyTimeoutMs = 60000;
static constexpr int kStopGraceMs = 10000;

// The CLI reports failures on stderr as `secushare: MESSAGE [CODE]`.
static void parseCliError(const QByteArray &stderrText, QString *code, QString *message)
{
    static const QRegularExpression line(QStringLiteral("secushare: (.*) \\[([A-Z_]+)\\]"));
    const QString text = QString::fromUtf8(stderrText);
    QRegularExpressionMatch last;
    for (auto it = line.globalMatch(text); it.hasNext();)
        last = it.next();
    if (last.hasMatch()) {
        *message = last.captured(1);
        *code = last.captured(2);
    } else {
        *message = text.trimmed().right(400);
        *code = QStringLiteral("INTERNAL");
    }
}

CoreLink::CoreLink(QObject *parent)
    : QObject(parent),
      m_home(HomeFiles::defaultHome()),
      m_repoDir(qEnvironmentVariable("SECUSHARE_REPO", QStringLiteral(SECUSHARE_REPO_DIR))),
      m_nodeProgram(qEnvironmentVariable("SECUSHARE_NODE", QStringLiteral("node")))
{
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setInterval(kRetryMs);
    connect(&m_retryTimer, &QTimer::timeout, this, [this]() { locate(false); });
    m_readyTimer.setSingleShot(true);
    m_readyTimer.setInterval(kReadyTimeoutMs);
    connect(&m_readyTimer, &QTimer::timeout, this, [this]() {
        setState(QStringLiteral("failed"), QStringLiteral("DAEMON_UNREACHABLE"),
                 tr("The core did not become ready within %1 s.").arg(kReadyTimeoutMs / 1000));
        stopCore();
    });

    connect(&m_transport, &ChannelTransport::opened, this, [this]() { setState(QStringLiteral("connected")); });
    connect(&m_transport, &ChannelTransport::closed, this, [this]() {
        setState(QStringLiteral("unreachable"), QStringLiteral("DAEMON_UNREACHABLE"), tr("Core not reachable."));
        m_retryTimer.start();
    });
    connect(&m_transport, &ChannelTransport::failed, this, [this](const QString &code, const QString &message) {
        if (code == QLatin1String("DAEMON_UNREACHABLE")) {
            setState(QStringLiteral("unreachable"), code, message);
            m_retryTimer.start();
        } else {
            setState(QStringLiteral("failed"), code, message);
        }
    });

    connect(&m_pair, &PairClient::paired, this, [this](const QString &token) {
        m_pairCode.clear(); // used up
        m_pairedToken = token;
        if (!m_tokenFile.isEmpty()) {
            QFile f(m_tokenFile);
            if (f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
                f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
                f.write(token.toUtf8() + '\n');
            }
        }
        emit configChanged();
        setState(QStringLiteral("idle"));
        locate(false);
    });
    connect(&m_pair, &PairClient::failed, this, [this](const QString &code, const QString &message) {
        setState(QStringLiteral("failed"), code, message);
    });

    connect(&m_daemon, &QProcess::readyReadStandardOutput, this, &CoreLink::onDaemonOutput);
    connect(&m_daemon, &QProcess::readyReadStandardError, this, [this]() {
        m_daemonStderr = (m_daemonStderr + m_daemon.readAllStandardError()).right(8192);
    });
    connect(&m_daemon, &QProcess::finished, this, &CoreLink::onDaemonFinished);
    connect(&m_daemon, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            setState(QStringLiteral("failed"), QStringLiteral("DAEMON_NOT_RUNNING"),
                     tr("Cannot run %1: %2").arg(m_nodeProgram, m_daemon.errorString()));
    });
}

CoreLink::~CoreLink()
{
    m_transport.close();
    stopCore();
}

void CoreLink::setHome(const QString &home)
{
    m_home = QDir(home).absolutePath();
    emit configChanged();
}

void CoreLink::setState(const QString &state, const QString &code, const QString &message)
{
    m_state = state;
    m_errorCode = code;
    m_errorMessage = message;
    emit stateChanged();
}

QString CoreLink::script() const
{
    return QDir(m_repoDir).absoluteFilePath(QStringLiteral("bin/secushare.js"));
}

QProcessEnvironment CoreLink::childEnvironment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("SECUSHARE_HOME")); // --home says which
    if (!m_passphrase.isEmpty())
        env.insert(QStringLiteral("SECUSHARE_PASSPHRASE"), m_passphrase);
    return env;
}

void CoreLink::start()
{
    m_retryTimer.stop();
    locate(true);
}

void CoreLink::unlock(const QString &passphrase)
{
    if (m_state != QLatin1String("needsPassphrase") || passphrase.isEmpty())
        return;
    m_passphrase = passphrase;
    setState(QStringLiteral("idle"));
    launchDaemon();
}

void CoreLink::retry()
{
    start();
}

void CoreLink::locate(bool mayStart)
{
    if (m_state == QLatin1String("connected") || m_state == QLatin1String("creating")
        || m_state == QLatin1String("starting") || m_state == QLatin1String("pairing"))
        return;
    if (!m_coreUrl.isEmpty()) {
        if (!m_pairCode.isEmpty()) {
            setState(QStringLiteral("pairing"));
            m_pair.start(m_coreUrl, m_pairCode);
            return;
        }
        QString token = m_pairedToken.isEmpty() ? qEnvironmentVariable("SECUSHARE_TOKEN") : m_pairedToken;
        if (m_pairedToken.isEmpty() && !m_tokenFile.isEmpty()) {
            QFile f(m_tokenFile);
            if (f.open(QIODevice::ReadOnly))
                token = QString::fromUtf8(f.readAll()).trimmed();
        }
        if (token.isEmpty()) {
            setState(QStringLiteral("failed"), QStringLiteral("RPC_UNAUTHORIZED"),
                     tr("A remote core needs a token: --pair CODE (from `secushare pair`), --token-file FILE or SECUSHARE_TOKEN."));
            return;
        }
        connectTransport(HomeFiles::webchannelUrlFor(m_coreUrl), token);
        return;
    }
    if (!HomeFiles::hasNode(m_home)) {
        setState(QStringLiteral("needsNode"));
        return;
    }
    HomeFiles::CoreAddress address;
    QString why;
    if (HomeFiles::readCoreAddress(m_home, &address, &why)) {
        connectTransport(address.webchannelUrl, address.token);
    } else if (mayStart) {
        launchDaemon();
    } else {
        setState(QStringLiteral("unreachable"), QStringLiteral("DAEMON_NOT_RUNNING"), why);
        m_retryTimer.start();
    }
}

void CoreLink::connectTransport(const QString &url, const QString &token)
{
    m_url = url;
    setState(QStringLiteral("connecting"));
    m_transport.connectTo(url, token);
}

void CoreLink::createNode(const QString &nick, const QString &passphrase)
{
    if (m_state == QLatin1String("creating") || HomeFiles::hasNode(m_home))
        return;
    m_passphrase = passphrase;
    QStringList args{script(), QStringLiteral("--home"), m_home, QStringLiteral("init"), QStringLiteral("--json")};
    if (!nick.trimmed().isEmpty())
        args << QStringLiteral("--nick") << nick.trimmed();
    if (!passphrase.isEmpty())
        args << QStringLiteral("--protect");
    setState(QStringLiteral("creating"));
    m_init.setProcessEnvironment(childEnvironment());
    disconnect(&m_init, nullptr, this, nullptr);
    connect(&m_init, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        if (status == QProcess::NormalExit && code == 0) {
            setState(QStringLiteral("idle"));
            launchDaemon();
            return;
        }
        QString errCode, message;
        parseCliError(m_init.readAllStandardError(), &errCode, &message);
        setState(QStringLiteral("needsNode"), errCode, message);
    });
    m_init.start(m_nodeProgram, args);
}

void CoreLink::launchDaemon()
{
    if (m_daemon.state() != QProcess::NotRunning)
        return;
    m_daemonStdout.clear();
    m_daemonStderr.clear();
    m_daemonReady = false;
    setState(QStringLiteral("starting"));
    m_daemon.setProcessEnvironment(childEnvironment());
    m_daemon.start(m_nodeProgram, QStringList{script(), QStringLiteral("--home"), m_home,
                                             QStringLiteral("daemon"), QStringLiteral("--json")} + m_daemonArgs);
    m_readyTimer.start();
}

void CoreLink::onDaemonOutput()
{
    m_daemonStdout += m_daemon.readAllStandardOutput();
    if (m_daemonReady || !m_daemonStdout.contains("{\"ready\":true"))
        return;
    m_daemonReady = true;
    m_readyTimer.stop();
    m_passphrase.clear(); // the daemon has opened the keys
    HomeFiles::CoreAddress address;
    QString why;
    if (HomeFiles::readCoreAddress(m_home, &address, &why))
        connectTransport(address.webchannelUrl, address.token);
    else
        setState(QStringLiteral("failed"), QStringLiteral("DAEMON_NOT_RUNNING"), why);
}

void CoreLink::onDaemonFinished()
{
    m_readyTimer.stop();
    m_passphrase.clear();
    m_daemonStderr += m_daemon.readAllStandardError();
    if (m_daemonReady) {
        emit stateChanged(); // startedCore changed; the transport reports the lost connection
        return;
    }
    QString code, message;
    parseCliError(m_daemonStderr, &code, &message);
    if (code == QLatin1String("PASSPHRASE_REQUIRED") || code == QLatin1String("WRONG_PASSPHRASE")) {
        const bool wrong = code == QLatin1String("WRONG_PASSPHRASE");
        m_passphrase.clear();
        setState(QStringLiteral("needsPassphrase"), wrong ? code : QString(), wrong ? message : QString());
        return;
    }
    if (code == QLatin1String("DAEMON_RUNNING")) { // another one started meanwhile: use it
        setState(QStringLiteral("unreachable"), code, message);
        m_retryTimer.start();
        return;
    }
    setState(QStringLiteral("failed"), code, message);
}

void CoreLink::stopCore()
{
    if (m_daemon.state() == QProcess::NotRunning)
        return;
    m_daemon.terminate(); // SIGTERM: the daemon stops cleanly and removes rpc.json
    if (!m_daemon.waitForFinished(kStopGraceMs)) {
        m_daemon.kill();
        m_daemon.waitForFinished(kStopGraceMs);
    }
}
