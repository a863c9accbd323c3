import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// A red strip with the latest error and a close button; hidden when `text` is empty.
Rectangle {
    id: banner
    property string text: ""
    objectName: "errorBanner"
    visible: text !== ""
    color: "#b3261e"
    implicitHeight: visible ? Math.max(48, row.implicitHeight + 16) : 0
    Accessible.role: Accessible.AlertMessage
    Accessible.name: text

    RowLayout {
        id: row
        anchors.fill: parent
        anchors.leftMargin: 12
        anchors.rightMargin: 4
        Label {
            Layout.fillWidth: true
            text: banner.text
            color: "white"
            wrapMode: Text.Wrap
        }
        TouchButton {
            text: qsTr("Dismiss")
            flat: true
            onClicked: banner.text = ""
        }
    }
}
