#include "home_files.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>
#include <csignal>
#include <cerrno>
#include <sys/types.h>

namespace HomeFiles {

QString defaultHome()
{
    const QString explicitHome = qEnvironmentVariable("SECUSHARE_HOME");
    if (!explicitHome.isEmpty())
        return QDir(explicitHome).absolutePath();
    const QString xdg = qEnvironmentVariable("XDG_DATA_HOME");
    if (!xdg.isEmpty())
        return QDir(xdg).absoluteFilePath(QStringLiteral("secushare"));
    return QDir::home().absoluteFilePath(QStringLiteral(".local/share/secushare"));
}

bool hasNode(const QString &home)
{
    return QFile::exists(QDir(home).absoluteFilePath(QStringLiteral("store.lmdb")));
}

static bool processAlive(qint64 pid)
{
    if (pid <= 0)
        return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

bool readCoreAddress(const QString &home, CoreAddress *out, QString *why)
{
    const QDir dir(home);
    QFile rpc(dir.absoluteFilePath(QStringLiteral("rpc.json")));
    QFile tokenFile(dir.absoluteFilePath(QStringLiteral("token")));
    if (!rpc.open(QIODevice::ReadOnly) || !tokenFile.open(QIODevice::ReadOnly)) {
        *why = QStringLiteral("no daemon is running for %1").arg(home);
        return false;
    }
    const QJsonObject info = QJsonDocument::fromJson(rpc.readAll()).object();
    const QString token = QString::fromUtf8(tokenFile.readAll()).trimmed();
    const qint64 pid = info.value(QStringLiteral("pid")).toInteger();
    QString url = info.value(QStringLiteral("endpoints")).toObject()
                      .value(QStringLiteral("webchannel")).toObject()
                      .value(QStringLiteral("url")).toString();
    if (url.isEmpty()) {
        *why = QStringLiteral("the core in %1 has no QWebChannel endpoint (an older version?)").arg(home);
        return false;
    }
    if (token.isEmpty() || !processAlive(pid)) {
        *why = QStringLiteral("no daemon is running for %1 (stale rpc.json)").arg(home);
        return false;
    }
    out->webchannelUrl = url;
    out->token = token;
    out->pid = pid;
    return true;
}

QString webchannelUrlFor(const QString &coreUrl)
{
    QUrl url(coreUrl);
    if (url.path().isEmpty() || url.path() == QLatin1String("/"))
        url.setPath(QStringLiteral("/webchannel"));
    return url.toString();
}

}
