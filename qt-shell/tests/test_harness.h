// What the QML tests use to drive real secushare nodes: temporary homes, the `secushare` CLI, and
// daemons on 127.0.0.1 (the second node of each test). Everything it starts is stopped at the end.
#pragma once
#include <QList>
#include <QObject>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>
#include <QVariantMap>

class TestHarness : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString repoDir READ repoDir CONSTANT)
    Q_PROPERTY(QString screenshotDir READ screenshotDir CONSTANT)
    Q_PROPERTY(QStringList localDaemonArgs READ localDaemonArgs CONSTANT)

public:
    explicit TestHarness(QObject *parent = nullptr);
    ~TestHarness() override;

    QString repoDir() const;
    QString screenshotDir() const;
    // Daemon flags that keep a node on 127.0.0.1 with no LAN discovery.
    QStringList localDaemonArgs() const;

    // A new, empty directory for a node's home (not created as a node).
    Q_INVOKABLE QString newHome(const QString &name);
    // Runs `secushare --home HOME ARGS…` (bounded by timeoutMs): {code, stdout, stderr, json}.
    Q_INVOKABLE QVariantMap cli(const QString &home, const QStringList &args, int timeoutMs = 60000);
    // `init --nick NICK` then the daemon; true once it printed its readiness line.
    Q_INVOKABLE bool startNode(const QString &home, const QString &nick, int timeoutMs = 60000);
    // Starts qt-shell/tests/incompatible-core.mjs (a stand-in for a core this shell cannot use,
    // on 127.0.0.1; mode "incompatible" or "malformed") that accepts the token in tokenFile; returns
    // its ws:// URL, or "" when it did not start within timeoutMs. Stopped by stopAll().
    Q_INVOKABLE QString startIncompatibleCore(const QString &mode, const QString &tokenFile, int timeoutMs = 30000);
    // Writes `text` to `path` (mode 0600).
    Q_INVOKABLE bool writeFile(const QString &path, const QString &text);
    // SIGTERM to every daemon started here, then wait.
    Q_INVOKABLE void stopAll();

private:
    QTemporaryDir m_root;
    QList<QProcess *> m_daemons;
};
