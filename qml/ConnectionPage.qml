import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Shown while the core is being found, started or connected, and when it cannot be reached.
Page {
    id: page
    objectName: "connectionPage"
    required property var link
    required property string protocolError
    readonly property bool waiting: ["idle", "starting", "pairing", "connecting", "connected"].indexOf(link.state) >= 0 && protocolError === ""

    ColumnLayout {
        anchors.centerIn: parent
        width: Math.min(parent.width - 32, 420)
        spacing: 10
        BusyIndicator { running: page.waiting; visible: running; Layout.alignment: Qt.AlignHCenter }
        Label {
            objectName: "connectionState"
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            font.pixelSize: 18
            text: page.protocolError !== "" ? page.protocolError
                : page.link.state === "starting" ? qsTr("Starting your node…")
                : page.link.state === "pairing" ? qsTr("Pairing with the core…")
                : page.link.state === "unreachable" ? qsTr("Core not reachable")
                : page.link.state === "failed" ? qsTr("Cannot use the core")
                : qsTr("Connecting to your node…")
        }
        Label {
            visible: !page.waiting && page.link.errorMessage !== ""
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            text: qsTr("%1 (%2)").arg(page.link.errorMessage).arg(page.link.errorCode)
        }
        Label {
            visible: page.link.state === "unreachable"
            Layout.fillWidth: true
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            opacity: 0.7
            text: qsTr("Reconnects by itself when the core is back.")
        }
        TouchButton {
            visible: !page.waiting
            Layout.alignment: Qt.AlignHCenter
            text: qsTr("Start or reconnect now")
            onClicked: page.link.retry()
        }
    }
}
