// secushare-qt: the Qt/QML shell. Finds (or starts) the core for a home, or connects to a remote
// core, and runs the QML interface over the core's QWebChannel endpoint (docs/ui.md).
#include <QCommandLineParser>
#include <QDir>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QtQml/qqmlextensionplugin.h>

#include "core_link.h"
#include "home_files.h"
#include "instance_lock.h"
#include "qr_image_provider.h"

Q_IMPORT_QML_PLUGIN(SecusharePlugin)

int main(int argc, char *argv[])
{
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
    const QCommandLineOption repo({QStringLiteral("repo")}, QStringLiteral("the secushare checkout whose bin/secushare.js to run"), QStringLiteral("DIR"));
    const QCommandLineOption node({QStringLiteral("node")}, QStringLiteral("the Node.js program (default: node, or $SECUSHARE_NODE)"), QStringLiteral("PROGRAM"));
    parser.addOptions({home, core, tokenFile, repo, node});
    parser.addPositionalArgument(QStringLiteral("daemon-args"), QStringLiteral("extra arguments for `secushare daemon`"), QStringLiteral("[-- ARGS...]"));
    parser.process(app);

    CoreLink link;
    if (parser.isSet(home))
        link.setHome(parser.value(home));
    if (parser.isSet(core))
        link.setCoreUrl(parser.value(core));
    if (parser.isSet(tokenFile))
        link.setTokenFile(parser.value(tokenFile));
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
    engine.setInitialProperties({{QStringLiteral("link"), QVariant::fromValue(&link)}});
    QObject::connect(&engine, &QQmlApplicationEngine::objectCreationFailed,
                     &app, []() { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    QObject::connect(&app, &QCoreApplication::aboutToQuit, &link, &CoreLink::stopCore);
    engine.load(QUrl(QStringLiteral("qrc:/qt/qml/Secushare/Main.qml")));
    link.start();
    return app.exec();
}
