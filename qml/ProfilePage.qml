import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Your profile (the state of your home place, which every contact receives): nick, description.
Page {
    id: page
    objectName: "profilePage"
    required property var shell
    readonly property var api: shell.api
    property var profile: null
    property bool saving: false

    function refresh() {
        api.call("profileShow").then(function (p) {
            profile = p
            nickField.text = p.nick || ""
            descriptionField.text = p.description || ""
        }, function (e) { shell.showError(e) })
    }
    function save() {
        saving = true
        api.call("profileSet", { nick: nickField.text.trim(), description: descriptionField.text }).then(function (p) {
            saving = false; profile = p; shell.notice(qsTr("Profile saved."))
        }, function (e) { saving = false; shell.showError(e) })
    }
    Component.onCompleted: refresh()

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12
        spacing: 8
        SectionHeader { text: qsTr("Your profile") }
        Image {
            visible: page.profile !== null && !!page.profile.avatar
            source: visible ? "data:image/png;base64," + page.profile.avatar : ""
            Layout.preferredWidth: 64; Layout.preferredHeight: 64
            fillMode: Image.PreserveAspectFit
            Accessible.name: qsTr("Your avatar")
        }
        Label { text: qsTr("Nick") }
        TextField { id: nickField; objectName: "profileNick"; Layout.fillWidth: true; implicitHeight: 48; Accessible.name: qsTr("Nick") }
        Label { text: qsTr("About you") }
        TextArea { id: descriptionField; Layout.fillWidth: true; Layout.preferredHeight: 96; wrapMode: TextEdit.Wrap; Accessible.name: qsTr("About you") }
        Label {
            visible: page.profile !== null
            text: page.profile ? qsTr("Identity %1").arg(page.profile.ego) : ""
            font.family: "monospace"; font.pixelSize: 11; opacity: 0.7; elide: Text.ElideMiddle; Layout.fillWidth: true
        }
        RowLayout {
            TouchButton { text: qsTr("Save"); enabled: !page.saving && nickField.text.trim() !== ""; onClicked: page.save() }
            BusyIndicator { running: page.saving; visible: running }
        }
        Item { Layout.fillHeight: true }
    }
}
