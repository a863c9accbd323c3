#include "notifier.h"

#include <QCoreApplication>
#include <QHash>

#ifdef SECUSHARE_HAVE_DBUS
#include <QDBusConnection>
#include <QDBusConnectionInterface>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#endif

static constexpr int kMaxChars = 200;
static constexpr int kExpireMs = 10000;

static QString clip(const QString &text)
{
    return text.size() <= kMaxChars ? text : text.left(kMaxChars - 1) + QChar(0x2026);
}

Notifier::Notifier(QObject *parent) : QObject(parent) {}

bool Notifier::available() const
{
#ifdef SECUSHARE_HAVE_DBUS
    const QDBusConnection bus = QDBusConnection::sessionBus();
    return bus.isConnected() && bus.interface()
        && bus.interface()->isServiceRegistered(QStringLiteral("org.freedesktop.Notifications")).value();
#else
    return false;
#endif
}

void Notifier::notify(const QString &title, const QString &body, const QString &tag)
{
    m_lastTitle = clip(title);
    m_lastBody = clip(body);
    m_lastSent = false;
    m_count++;
#ifdef SECUSHARE_HAVE_DBUS
    QDBusConnection bus = QDBusConnection::sessionBus();
    if (bus.isConnected()) {
        // Notify(app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout);
        // the body is escaped: servers may read it as markup.
        QDBusMessage call = QDBusMessage::createMethodCall(
            QStringLiteral("org.freedesktop.Notifications"), QStringLiteral("/org/freedesktop/Notifications"),
            QStringLiteral("org.freedesktop.Notifications"), QStringLiteral("Notify"));
        call << QCoreApplication::applicationName() << m_ids.value(tag, 0u) << QString() << m_lastTitle
             << m_lastBody.toHtmlEscaped() << QStringList() << QVariantMap() << kExpireMs;
        auto *watcher = new QDBusPendingCallWatcher(bus.asyncCall(call), this);
        connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, tag](QDBusPendingCallWatcher *w) {
            const QDBusPendingReply<uint> reply = *w;
            if (!reply.isError() && !tag.isEmpty())
                m_ids.insert(tag, reply.value());
            w->deleteLater();
        });
        m_lastSent = true;
    }
#endif
    emit notified();
}
