#include "test_harness.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcessEnvironment>

#ifndef SECUSHARE_REPO_DIR
#define SECUSHARE_REPO_DIR "."
#endif

static QProcessEnvironment cleanEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString &key : env.keys())
        if (key.startsWith(QLatin1String("SECUSHARE_")))
            env.remove(key);
    return env;
}

static QString nodeProgram()
{
    return qEnvironmentVariable("SECUSHARE_NODE", QStringLiteral("node"));
}

TestHarness::TestHarness(QObject *parent) : QObject(parent)
{
    m_root.setAutoRemove(qEnvironmentVariableIsEmpty("SECUSHARE_KEEP_HOMES"));
}

TestHarness::~TestHarness()
{
    stopAll();
}

QString TestHarness::repoDir() const
{
    return qEnvironmentVariable("SECUSHARE_REPO", QStringLiteral(SECUSHARE_REPO_DIR));
}

QString TestHarness::screenshotDir() const
{
    const QString dir = qEnvironmentVariable("SECUSHARE_SCREENSHOTS", QDir::current().absoluteFilePath(QStringLiteral("screenshots")));
    QDir().mkpath(dir);
    return dir;
}

QStringList TestHarness::localDaemonArgs() const
{
    return {QStringLiteral("--listen"), QStringLiteral("/ip4/127.0.0.1/tcp/0"),
            QStringLiteral("--rpc"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--no-mdns")};
}

QString TestHarness::newHome(const QString &name)
{
    const QString path = m_root.filePath(name);
    QDir().mkpath(path);
    QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    return path;
}

QVariantMap TestHarness::cli(const QString &home, const QStringList &args, int timeoutMs)
{
    QProcess process;
    process.setProcessEnvironment(cleanEnvironment());
    process.start(nodeProgram(), QStringList{QDir(repoDir()).absoluteFilePath(QStringLiteral("bin/secushare.js")),
                                             QStringLiteral("--home"), home} + args);
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        return {{QStringLiteral("code"), -1}, {QStringLiteral("stderr"), QStringLiteral("timed out")}};
    }
    const QByteArray out = process.readAllStandardOutput();
    return {{QStringLiteral("code"), process.exitCode()},
            {QStringLiteral("stdout"), QString::fromUtf8(out)},
            {QStringLiteral("stderr"), QString::fromUtf8(process.readAllStandardError())},
            {QStringLiteral("json"), QJsonDocument::fromJson(out).toVariant()}};
}

bool TestHarness::startNode(const QString &home, const QString &nick, int timeoutMs)
{
    const QVariantMap init = cli(home, {QStringLiteral("init"), QStringLiteral("--nick"), nick, QStringLiteral("--json")}, timeoutMs);
    if (init.value(QStringLiteral("code")).toInt() != 0) {
        qWarning("init failed: %s", qPrintable(init.value(QStringLiteral("stderr")).toString()));
        return false;
    }
    auto *daemon = new QProcess(this);
    daemon->setProcessEnvironment(cleanEnvironment());
    daemon->setProcessChannelMode(QProcess::SeparateChannels);
    daemon->start(nodeProgram(), QStringList{QDir(repoDir()).absoluteFilePath(QStringLiteral("bin/secushare.js")),
                                            QStringLiteral("--home"), home, QStringLiteral("daemon"), QStringLiteral("--json")} + localDaemonArgs());
    m_daemons.append(daemon);
    QDeadlineTimer deadline(timeoutMs);
    QByteArray out;
    while (!deadline.hasExpired() && daemon->state() != QProcess::NotRunning) {
        daemon->waitForReadyRead(static_cast<int>(qMin<qint64>(deadline.remainingTime(), 1000)));
        out += daemon->readAllStandardOutput();
        if (out.contains("{\"ready\":true"))
            return true;
    }
    qWarning("daemon for %s not ready: %s", qPrintable(home), daemon->readAllStandardError().constData());
    return false;
}

QString TestHarness::startIncompatibleCore(const QString &mode, const QString &tokenFile, int timeoutMs)
{
    auto *core = new QProcess(this);
    core->setProcessEnvironment(cleanEnvironment());
    core->setProcessChannelMode(QProcess::SeparateChannels);
    core->start(nodeProgram(), {QDir(repoDir()).absoluteFilePath(QStringLiteral("qt-shell/tests/incompatible-core.mjs")),
                                QStringLiteral("--mode"), mode, QStringLiteral("--token-file"), tokenFile});
    m_daemons.append(core);
    QDeadlineTimer deadline(timeoutMs);
    QByteArray out;
    while (!deadline.hasExpired() && core->state() != QProcess::NotRunning) {
        core->waitForReadyRead(static_cast<int>(qMin<qint64>(deadline.remainingTime(), 1000)));
        out += core->readAllStandardOutput();
        const int end = out.indexOf('\n');
        if (end >= 0)
            return QJsonDocument::fromJson(out.left(end)).object().value(QStringLiteral("url")).toString();
    }
    qWarning("incompatible core (%s) did not start: %s", qPrintable(mode), core->readAllStandardError().constData());
    return QString();
}

void TestHarness::stopAll()
{
    for (QProcess *daemon : std::as_const(m_daemons)) {
        if (daemon->state() == QProcess::NotRunning)
            continue;
        daemon->terminate();
        if (!daemon->waitForFinished(10000)) {
            daemon->kill();
            daemon->waitForFinished(5000);
        }
    }
    qDeleteAll(m_daemons);
    m_daemons.clear();
}

bool TestHarness::writeFile(const QString &path, const QString &text)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    return file.write(text.toUtf8()) >= 0;
}
