import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The home's keys are protected by a passphrase: ask for it, then start the core with it
// (CoreLink.unlock hands it to the daemon in its environment, never on its command line).
Page {
    id: page
    objectName: "passphrasePage"
    required property var link

    function unlock() {
        if (field.text === "") return
        const passphrase = field.text
        field.text = ""
        page.link.unlock(passphrase)
    }

    ColumnLayout {
        anchors.centerIn: parent
        width: Math.min(parent.width - 32, 420)
        spacing: 10
        Label { text: qsTr("Unlock your node"); font.pixelSize: 24; font.bold: true; wrapMode: Text.Wrap; Layout.fillWidth: true }
        Label {
            text: qsTr("This node's keys are protected by a passphrase. Enter it to start your node.")
            wrapMode: Text.Wrap; Layout.fillWidth: true
        }
        TextField {
            id: field
            objectName: "passphraseField"
            Layout.fillWidth: true
            implicitHeight: 48
            echoMode: TextInput.Password
            placeholderText: qsTr("Passphrase")
            Accessible.name: qsTr("Passphrase of your node's keys")
            focus: true
            onAccepted: page.unlock()
        }
        TouchButton {
            objectName: "unlockButton"
            text: qsTr("Unlock")
            enabled: field.text !== ""
            Layout.fillWidth: true
            onClicked: page.unlock()
        }
        Label {
            objectName: "unlockError"
            visible: page.link.errorCode === "WRONG_PASSPHRASE"
            text: qsTr("That passphrase does not open the keys. Try again.")
            color: "#b3261e"; wrapMode: Text.Wrap; Layout.fillWidth: true
        }
        Label { text: qsTr("Home: %1").arg(page.link.home); opacity: 0.6; font.pixelSize: 11; wrapMode: Text.WrapAnywhere; Layout.fillWidth: true }
    }
}
