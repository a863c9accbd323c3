import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// How this shell reaches its core, and controls for it.
Page {
    id: page
    objectName: "settingsPage"
    required property var shell
    readonly property var link: shell.link

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12
        spacing: 8
        SectionHeader { text: qsTr("Settings") }
        Label { text: qsTr("Home: %1").arg(page.link.home); wrapMode: Text.WrapAnywhere; Layout.fillWidth: true }
        Label { text: qsTr("Core: %1").arg(page.link.url); wrapMode: Text.WrapAnywhere; Layout.fillWidth: true }
        Label {
            text: page.link.startedCore ? qsTr("This window started the core and stops it when it closes.")
                                        : qsTr("The core runs on its own; closing this window leaves it running.")
            wrapMode: Text.Wrap; Layout.fillWidth: true
        }
        Label { text: qsTr("Layout: %1").arg(page.shell.wide ? qsTr("wide (split panes)") : qsTr("narrow (stack)")) }
        RowLayout {
            TouchButton { text: qsTr("Reconnect"); onClicked: { page.link.transport.close(); page.link.retry() } }
            TouchButton { text: qsTr("Stop core"); visible: page.link.startedCore; onClicked: page.link.stopCore() }
        }
        Label {
            text: qsTr("Shortcuts: Ctrl+1 places, Ctrl+2 contacts, Ctrl+3 profile, Ctrl+4 node, Ctrl+5 settings, Ctrl+N new place, Ctrl+Return send, Esc back.")
            wrapMode: Text.Wrap; Layout.fillWidth: true; opacity: 0.7
        }
        Item { Layout.fillHeight: true }
    }
}
