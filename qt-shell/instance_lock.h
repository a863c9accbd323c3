// One shell per home: a lock file in the runtime directory named after the home's path.
#pragma once
#include <QLockFile>
#include <QString>
#include <memory>

class InstanceLock
{
public:
    explicit InstanceLock(const QString &home);
    // False when another shell holds the lock; `holder` then says which pid.
    bool acquire(qint64 *holder);

private:
    std::unique_ptr<QLockFile> m_lock;
};
