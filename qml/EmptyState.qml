import QtQuick
import QtQuick.Controls

// What a list shows when it has nothing yet: a sentence saying what to do.
Label {
    property bool busy: false
    wrapMode: Text.Wrap
    horizontalAlignment: Text.AlignHCenter
    opacity: 0.7
    padding: 24
    BusyIndicator {
        anchors.horizontalCenter: parent.horizontalCenter
        anchors.bottom: parent.top
        running: parent.busy
        visible: running
    }
}
