#include "instance_lock.h"

#include <QCryptographicHash>
#include <QDir>
#include <QStandardPaths>

InstanceLock::InstanceLock(const QString &home)
{
    QString dir = QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation);
    if (dir.isEmpty())
        dir = QDir::tempPath();
    const QByteArray hash = QCryptographicHash::hash(QDir(home).absolutePath().toUtf8(), QCryptographicHash::Sha256).toHex().left(16);
    m_lock = std::make_unique<QLockFile>(QDir(dir).absoluteFilePath(QStringLiteral("secushare-qt-%1.lock").arg(QString::fromLatin1(hash))));
    m_lock->setStaleLockTime(0); // stale only when its process is gone
}

bool InstanceLock::acquire(qint64 *holder)
{
    if (m_lock->tryLock(0))
        return true;
    QString host, app;
    if (!m_lock->getLockInfo(holder, &host, &app))
        *holder = 0;
    return false;
}
