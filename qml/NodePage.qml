import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// This node: identity, peer id, addresses, connected peers, contacts online, the RPC address; the
// relays it uses (state, bytes waiting there at the last contact, last contact; add, drop, fetch
// now) and what it keeps for others when it serves as a relay.
Page {
    id: page
    objectName: "nodePage"
    required property var shell
    readonly property var api: shell.api
    property var info: null
    property var relayInfo: ({ relays: [], serving: null, contacts: [] })
    property var contactNames: []
    property bool relayBusy: false

    function refresh() {
        api.call("status").then(function (s) { info = s }, function (e) { shell.showError(e) })
        refreshRelays()
    }
    function refreshRelays() {
        // assigned only when changed: a new value rebuilds the list (and would reset a pressed button)
        api.call("relayList").then(function (r) { if (JSON.stringify(r) !== JSON.stringify(relayInfo)) relayInfo = r }, function (e) { shell.showError(e) })
        api.call("contactList").then(function (list) { contactNames = list.map(function (c) { return c.petname }) }, function () {})
    }
    function relayCall(method, params, done) {
        relayBusy = true
        api.call(method, params).then(function (r) { relayBusy = false; if (done) done(r); refreshRelays() },
                                      function (e) { relayBusy = false; shell.showError(e) })
    }
    function bytes(n) {
        if (n < 1024) return qsTr("%1 B").arg(n)
        if (n < 1024 * 1024) return qsTr("%1 KiB").arg((n / 1024).toFixed(1))
        return qsTr("%1 MiB").arg((n / 1024 / 1024).toFixed(1))
    }
    function stateText(state) {
        return state === "ok" ? qsTr("working") : state === "new" ? qsTr("not contacted yet")
             : state === "unreachable" ? qsTr("unreachable") : state === "refused" ? qsTr("refuses to relay for me") : state
    }
    function when(t) { return t ? new Date(t).toLocaleString(Qt.locale(), Locale.ShortFormat) : qsTr("never") }
    readonly property var candidates: contactNames.filter(function (n) { return !relayInfo.relays.some(function (r) { return r.petname === n }) })
    Component.onCompleted: refresh()
    Timer { interval: 10000; repeat: true; running: page.visible; onTriggered: page.refreshRelays() }
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

            SectionHeader { text: qsTr("Relays I use"); Layout.columnSpan: 2 }
            Label {
                Layout.columnSpan: 2
                Layout.fillWidth: true
                visible: page.relayInfo.relays.length === 0
                text: qsTr("No relays. A contact's node that is often online can keep what arrives for you while yours is off.")
                wrapMode: Text.Wrap
                opacity: 0.7
            }
            Repeater {
                model: page.relayInfo.relays
                delegate: RowLayout {
                    required property var modelData
                    objectName: "relay-" + modelData.petname
                    Layout.columnSpan: 2
                    Layout.fillWidth: true
                    ColumnLayout {
                        Layout.fillWidth: true
                        spacing: 0
                        Label { objectName: "relayName"; text: modelData.petname; font.bold: true; elide: Text.ElideRight; Layout.fillWidth: true }
                        Label {
                            objectName: "relayState"
                            text: qsTr("%1 · %2 waiting at last contact · last contact %3")
                                  .arg(page.stateText(modelData.state)).arg(page.bytes(modelData.storedBytes)).arg(page.when(modelData.lastContact))
                            wrapMode: Text.Wrap
                            font.pixelSize: 12
                            opacity: 0.8
                            Layout.fillWidth: true
                        }
                    }
                    TouchButton {
                        objectName: "dropRelay-" + modelData.petname
                        text: qsTr("Stop using")
                        Accessible.name: qsTr("Stop using %1 as a relay").arg(modelData.petname)
                        enabled: !page.relayBusy
                        onClicked: page.relayCall("relayDrop", { petname: modelData.petname })
                    }
                }
            }
            RowLayout {
                Layout.columnSpan: 2
                Layout.fillWidth: true
                visible: page.candidates.length > 0
                ComboBox {
                    id: relayChoice
                    objectName: "relayChoice"
                    model: page.candidates
                    implicitHeight: 48
                    Layout.fillWidth: true
                    Accessible.name: qsTr("Contact to use as a relay")
                }
                TouchButton {
                    objectName: "useRelayButton"
                    text: qsTr("Use as relay")
                    enabled: !page.relayBusy && relayChoice.currentText !== ""
                    onClicked: page.relayCall("relayUse", { petname: relayChoice.currentText })
                }
            }
            TouchButton {
                Layout.columnSpan: 2
                visible: page.relayInfo.relays.length > 0
                text: qsTr("Fetch from relays now")
                enabled: !page.relayBusy
                onClicked: page.relayCall("relayFetch", undefined, function (r) { page.shell.notice(qsTr("%n message(s) fetched from relays.", "", r.added)) })
            }
            SectionHeader { text: qsTr("Relaying for others"); Layout.columnSpan: 2; visible: page.relayInfo.serving !== null }
            Label {
                objectName: "servingValue"
                Layout.columnSpan: 2
                Layout.fillWidth: true
                visible: page.relayInfo.serving !== null
                wrapMode: Text.Wrap
                text: page.relayInfo.serving === null ? ""
                    : qsTr("Keeping %1 of %2 (%n item(s)) for %3 contact(s)", "", page.relayInfo.serving.blobs)
                      .arg(page.bytes(page.relayInfo.serving.bytes)).arg(page.bytes(page.relayInfo.serving.quotaBytes)).arg(page.relayInfo.serving.depositors)
            }
        }
    }
}
