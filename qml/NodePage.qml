import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// This node: identity, peer id, addresses, connected peers, contacts online, the RPC address.
Page {
    id: page
    objectName: "nodePage"
    required property var shell
    readonly property var api: shell.api
    property var info: null

    function refresh() {
        api.call("status").then(function (s) { info = s }, function (e) { shell.showError(e) })
    }
    Component.onCompleted: refresh()
    Connections {
        target: page.api
        function onStatusChanged() { page.refresh() }
    }

    Flickable {
        anchors.fill: parent
        contentHeight: grid.implicitHeight + 24
        clip: true
        GridLayout {
            id: grid
            x: 12; y: 12
            width: parent.width - 24
            columns: 2
            columnSpacing: 12
            SectionHeader { text: qsTr("Node status"); Layout.columnSpan: 2 }
            Label { text: qsTr("Nick") }
            Label { text: page.info ? page.info.nick : ""; Layout.fillWidth: true; elide: Text.ElideRight }
            Label { text: qsTr("Peer id") }
            Label { text: page.info ? page.info.peerId : ""; Layout.fillWidth: true; elide: Text.ElideMiddle; font.family: "monospace" }
            Label { text: qsTr("Connected peers") }
            Label { objectName: "peersValue"; text: page.api.status.peers }
            Label { text: qsTr("Contacts online") }
            Label { text: qsTr("%1 of %2").arg(page.api.status.contactsOnline).arg(page.api.status.contacts) }
            Label { text: qsTr("Places") }
            Label { text: page.api.status.places }
            Label { text: qsTr("Unread") }
            Label { text: page.api.status.unread }
            Label { text: qsTr("Keys protected") }
            Label { text: page.info && page.info.protected ? qsTr("yes") : qsTr("no") }
            Label { text: qsTr("Addresses"); Layout.alignment: Qt.AlignTop }
            Label { text: page.info ? page.info.addrs.join("\n") : ""; Layout.fillWidth: true; wrapMode: Text.WrapAnywhere; font.family: "monospace"; font.pixelSize: 11 }
            Label { text: qsTr("Home") }
            Label { text: page.info ? page.info.home : ""; Layout.fillWidth: true; elide: Text.ElideMiddle }
        }
    }
}
