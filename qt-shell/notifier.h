// Desktop notifications: `Notifier` sends one through the freedesktop notification service
// (org.freedesktop.Notifications on the session D-Bus) when Qt was built with QtDBus and a session
// bus is there; it always records the last one it was asked for (`count`, `lastTitle`, `lastBody`),
// which is what the shell's tests read. Which messages deserve one is decided in QML (AppShell).
#pragma once
#include <QHash>
#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

class Notifier : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(int count READ count NOTIFY notified)
    Q_PROPERTY(QString lastTitle READ lastTitle NOTIFY notified)
    Q_PROPERTY(QString lastBody READ lastBody NOTIFY notified)
    // Whether the last notification was handed to the desktop's notification service.
    Q_PROPERTY(bool lastSent READ lastSent NOTIFY notified)
    // Whether a notification service can be reached at all (QtDBus and a session bus).
    Q_PROPERTY(bool available READ available CONSTANT)

public:
    explicit Notifier(QObject *parent = nullptr);

    int count() const { return m_count; }
    QString lastTitle() const { return m_lastTitle; }
    QString lastBody() const { return m_lastBody; }
    bool lastSent() const { return m_lastSent; }
    bool available() const;

    // Shows a notification (title and plain-text body, both clipped to kMaxChars); a newer one for
    // the same `tag` (e.g. a place id) replaces the older one on the desktop instead of piling up.
    Q_INVOKABLE void notify(const QString &title, const QString &body, const QString &tag = QString());

signals:
    void notified();

private:
    int m_count = 0;
    QString m_lastTitle;
    QString m_lastBody;
    bool m_lastSent = false;
    QHash<QString, uint> m_ids; // tag → the notification service's id, for replaces_id
};
