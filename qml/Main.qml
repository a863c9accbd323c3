import QtQuick
import QtQuick.Controls

// The root window. Pages (onboarding, contacts, places, ...) arrive with the Qt shell issue.
ApplicationWindow {
    id: root
    width: 420
    height: 720
    visible: true
    title: qsTr("secushare")

    Label {
        anchors.centerIn: parent
        text: qsTr("secushare")
    }
}
