// secushare-qt: the Qt/QML shell. Finds (or starts) the core for a home, or connects to a remote
// core, and runs the QML interface over the core's QWebChannel endpoint (docs/ui.md).
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QRegularExpression>
#include <cstdio>
#include <QtQml/qqmlextensionplugin.h>

#include "core_link.h"
#include "home_files.h"
#include "instance_lock.h"
#include "qr_image_provider.h"

Q_IMPORT_QML_PLUGIN(SecusharePlugin)

// Resident set of this process in MiB (Linux /proc; -1 elsewhere).
static double rssMb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    const auto m = QRegularExpression(QStringLiteral("VmRSS:\\s+(\\d+) kB")).match(QString::fromLatin1(status.readAll()));
    return m.hasMatch() ? m.captured(1).toDouble() / 1024 : -1;
}

// --report-first-frame: once the window has swapped a frame showing what was asked for (with
// --open-place, the place view with the first page of its feed in the model; otherwise anything),
// prints one JSON line {firstFrameMs, rssMb, place, posts} and quits. firstFrameMs counts from the
// start of main(); the state is checked on the GUI thread after each swap, so the frame reported
// is the first one swapped after the state was seen ready (at most one frame late).
static void reportFirstFrame(QQuickWindow *window, const QString &placeId, const QElapsedTimer &clock)
{
    auto armed = std::make_shared<bool>(false);
    auto done = std::make_shared<bool>(false);
    QObject::connect(window, &QQuickWindow::frameSwapped, window, [=, &clock]() {
        if (*done)
            return;
        QObject *view = placeId.isEmpty() ? nullptr : window->findChild<QObject *>(QStringLiteral("placeView"));
        const bool ready = placeId.isEmpty()
            || (view && view->property("placeId").toString() == placeId && view->property("loaded").toBool());
        if (!ready)
            return;
        if (!*armed) { // this frame may predate the state: report the next one
            *armed = true;
            window->update();
            return;
        }
        *done = true;
        QJsonObject line{{QStringLiteral("firstFrameMs"), static_cast<double>(clock.nsecsElapsed()) / 1e6},
                         {QStringLiteral("rssMb"), rssMb()},
                         {QStringLiteral("place"), placeId}};
        if (view)
            line.insert(QStringLiteral("posts"), view->property("postCount").toInt());
        std::fputs(QJsonDocument(line).toJson(QJsonDocument::Compact).constData(), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
        QCoreApplication::quit();
    }, Qt::QueuedConnection);
}

int main(int argc, char *argv[])
{
    QElapsedTimer clock;
    clock.start();
    QGuiApplication app(argc, argv);
    app.setApplicationName(QStringLiteral("secushare"));
    app.setApplicationVersion(QStringLiteral("0.1"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "The secushare interface. Arguments after -- go to the daemon it starts, e.g. -- --no-mdns"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption home({QStringLiteral("home")}, QStringLiteral("the node's home (default as the CLI: $SECUSHARE_HOME, $XDG_DATA_HOME/secushare, ~/.local/share/secushare)"), QStringLiteral("DIR"));
    const QCommandLineOption core({QStringLiteral("core")}, QStringLiteral("use the remote core at ws://HOST:PORT instead of the home's"), QStringLiteral("URL"));
    const QCommandLineOption tokenFile({QStringLiteral("token-file")}, QStringLiteral("the remote core's token (else $SECUSHARE_TOKEN)"), QStringLiteral("FILE"));
    const QCommandLineOption pair({QStringLiteral("pair")}, QStringLiteral("with --core: get a token with this one-time pairing code (from `secushare pair`); with --token-file it is saved there"), QStringLiteral("CODE"));
    const QCommandLineOption repo({QStringLiteral("repo")}, QStringLiteral("the secushare checkout whose bin/secushare.js to run"), QStringLiteral("DIR"));
    const QCommandLineOption node({QStringLiteral("node")}, QStringLiteral("the Node.js program (default: node, or $SECUSHARE_NODE)"), QStringLiteral("PROGRAM"));
    const QCommandLineOption openPlace({QStringLiteral("open-place")}, QStringLiteral("open this place (its id) once the core answers"), QStringLiteral("ID"));
    const QCommandLineOption firstFrame({QStringLiteral("report-first-frame")}, QStringLiteral("print one JSON line {firstFrameMs, rssMb, place, posts} at the first frame showing the interface (with --open-place: that place's feed), then quit"));
    parser.addOptions({home, core, tokenFile, pair, repo, node, openPlace, firstFrame});
    parser.addPositionalArgument(QStringLiteral("daemon-args"), QStringLiteral("extra arguments for `secushare daemon`"), QStringLiteral("[-- ARGS...]"));
    parser.process(app);

    CoreLink link;
    if (parser.isSet(home))
        link.setHome(parser.value(home));
    if (parser.isSet(core))
        link.setCoreUrl(parser.value(core));
    if (parser.isSet(tokenFile))
        link.setTokenFile(parser.value(tokenFile));
    if (parser.isSet(pair)) {
        if (!parser.isSet(core)) {
            qCritical("secushare-qt: --pair needs --core ws://HOST:PORT");
            return 2;
        }
        link.setPairCode(parser.value(pair));
    }
    if (parser.isSet(repo))
        link.setRepoDir(parser.value(repo));
    if (parser.isSet(node))
        link.setNodeProgram(parser.value(node));
    link.setDaemonArgs(parser.positionalArguments());

    InstanceLock lock(parser.isSet(core) ? parser.value(core) : link.home());
    qint64 holder = 0;
    if (!lock.acquire(&holder)) {
        qCritical("secushare-qt: another secushare-qt (pid %lld) already runs for %s",
                  holder, qPrintable(parser.isSet(core) ? parser.value(core) : link.home()));
        return 1;
    }

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/qt/qml"));
    engine.addImageProvider(QStringLiteral("qr"), new QrImageProvider);
    engine.setInitialProperties({{QStringLiteral("link"), QVariant::fromValue(&link)},
                                 {QStringLiteral("openPlaceId"), parser.value(openPlace)}});
    QObject::connect(&engine, &QQmlApplicationEngine::objectCreationFailed,
                     &app, []() { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    QObject::connect(&app, &QCoreApplication::aboutToQuit, &link, &CoreLink::stopCore);
    engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Secushare/Main.qml")));
    if (parser.isSet(firstFrame)) {
        auto *window = engine.rootObjects().isEmpty() ? nullptr : qobject_cast<QQuickWindow *>(engine.rootObjects().first());
        if (!window) {
            qCritical("secushare-qt: no window to report the first frame of");
            return 1;
        }
        reportFirstFrame(window, parser.value(openPlace), clock);
    }
    link.start();
    return app.exec();
}
