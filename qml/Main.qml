import QtQuick
import QtQuick.Controls
import Secushare

// The application window; secushare-qt (qt-shell/main.cpp) passes the CoreLink it configured.
ApplicationWindow {
    id: root
    required property CoreLink link
    // A place to open once the core answers (secushare-qt --open-place ID).
    property string openPlaceId: ""
    width: 1280
    height: 800
    minimumWidth: 320
    minimumHeight: 480
    visible: true
    title: link.state === "connected" ? qsTr("secushare") : qsTr("secushare (%1)").arg(link.state)

    AppShell {
        id: shell
        anchors.fill: parent
        link: root.link
        property bool placeOpened: false
        Connections {
            target: shell.api
            function onReadyChanged() {
                if (shell.api.ready && root.openPlaceId !== "" && !shell.placeOpened) {
                    shell.placeOpened = true
                    shell.openPlace(root.openPlaceId)
                }
            }
        }
    }
}
