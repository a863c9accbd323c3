import QtQuick
import QtQuick.Controls
import Secushare

// The application window; secushare-qt (qt-shell/main.cpp) passes the CoreLink it configured.
ApplicationWindow {
    id: root
    required property CoreLink link
    width: 1280
    height: 800
    minimumWidth: 320
    minimumHeight: 480
    visible: true
    title: link.state === "connected" ? qsTr("secushare") : qsTr("secushare (%1)").arg(link.state)

    AppShell {
        anchors.fill: parent
        link: root.link
    }
}
