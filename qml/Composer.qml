import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Writes a post (or a reply): Ctrl+Return or the button sends.
Pane {
    id: composer
    objectName: "composer"
    property int replyTo: 0
    property string replyAuthor: ""
    property bool busy: false
    property alias text: field.text
    signal send(string text, int replyTo)
    function focusField() { field.forceActiveFocus() }

    ColumnLayout {
        anchors.fill: parent
        RowLayout {
            visible: composer.replyTo > 0
            Label { text: qsTr("Replying to %1 (#%2)").arg(composer.replyAuthor).arg(composer.replyTo); Layout.fillWidth: true; elide: Text.ElideRight }
            TouchButton { text: qsTr("Cancel reply"); flat: true; onClicked: composer.replyTo = 0 }
        }
        RowLayout {
            ScrollView {
                Layout.fillWidth: true
                Layout.preferredHeight: Math.min(160, Math.max(48, field.implicitHeight))
                TextArea {
                    id: field
                    objectName: "composerField"
                    placeholderText: qsTr("Write a post…")
                    wrapMode: TextEdit.Wrap
                    Accessible.name: qsTr("Post text")
                    Keys.onPressed: (event) => {
                        if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter) && (event.modifiers & Qt.ControlModifier)) {
                            sendButton.clicked()
                            event.accepted = true
                        }
                    }
                }
            }
            TouchButton {
                id: sendButton
                objectName: "sendButton"
                text: qsTr("Send")
                enabled: !composer.busy && field.text.trim().length > 0
                onClicked: composer.send(field.text.trim(), composer.replyTo)
            }
        }
    }
}
