import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// A home without a node: create the identity (nick, optional passphrase), then start the core.
Page {
    id: page
    objectName: "onboarding"
    required property var link
    readonly property bool busy: link.state === "creating" || link.state === "starting"

    ColumnLayout {
        anchors.centerIn: parent
        width: Math.min(parent.width - 32, 420)
        spacing: 10
        Label { text: qsTr("Welcome to secushare"); font.pixelSize: 24; font.bold: true; wrapMode: Text.Wrap; Layout.fillWidth: true }
        Label {
            text: qsTr("Your node keeps your identity and messages on this device. Choose the name your contacts see first; they can give you their own name for you.")
            wrapMode: Text.Wrap; Layout.fillWidth: true
        }
        TextField {
            id: nick
            objectName: "nickField"
            Layout.fillWidth: true
            implicitHeight: 48
            placeholderText: qsTr("Your nick")
            Accessible.name: qsTr("Your nick")
            focus: true
            onAccepted: if (create.enabled) create.clicked()
        }
        TextField {
            id: passphrase
            Layout.fillWidth: true
            implicitHeight: 48
            echoMode: TextInput.Password
            placeholderText: qsTr("Passphrase (optional, protects your keys)")
            Accessible.name: qsTr("Passphrase, optional")
        }
        TouchButton {
            id: create
            objectName: "createButton"
            text: qsTr("Create my identity")
            enabled: !page.busy && nick.text.trim() !== ""
            Layout.fillWidth: true
            onClicked: page.link.createNode(nick.text.trim(), passphrase.text)
        }
        BusyIndicator { running: page.busy; visible: running; Layout.alignment: Qt.AlignHCenter }
        Label {
            visible: page.link.errorMessage !== ""
            text: qsTr("%1 (%2)").arg(page.link.errorMessage).arg(page.link.errorCode)
            color: "#b3261e"; wrapMode: Text.Wrap; Layout.fillWidth: true
        }
        Label { text: qsTr("Home: %1").arg(page.link.home); opacity: 0.6; font.pixelSize: 11; wrapMode: Text.WrapAnywhere; Layout.fillWidth: true }
    }
}
