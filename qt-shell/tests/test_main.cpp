// The Qt Quick Test runner for qml/tests (what qmltestrunner does, plus the Secushare module, the
// QR image provider and `harness`, which starts real nodes for the tests to talk to).
#include <QQmlContext>
#include <QQmlEngine>
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuickTest/quicktest.h>

#include "qr_image_provider.h"
#include "test_harness.h"

Q_IMPORT_QML_PLUGIN(SecusharePlugin)

class Setup : public QObject
{
    Q_OBJECT
public slots:
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        engine->addImportPath(QStringLiteral("qrc:/qt/qml"));
        engine->addImageProvider(QStringLiteral("qr"), new QrImageProvider);
        engine->rootContext()->setContextProperty(QStringLiteral("harness"), &m_harness);
    }
    void cleanupTestCase() { m_harness.stopAll(); }

private:
    TestHarness m_harness;
};

QUICK_TEST_MAIN_WITH_SETUP(secushare_shell, Setup)

#include "test_main.moc"
