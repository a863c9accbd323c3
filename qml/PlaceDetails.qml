import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// The details of the open place: topic, members, its address, inviting contacts, entry requests
// (for its host), leaving it.
Page {
    id: page
    objectName: "placeDetails"
    required property var shell
    readonly property var api: shell.api
    property string placeId: shell.placeId
    property var info: null
    property string topic: ""
    property string address: ""
    ListModel { id: contacts }
    ListModel { id: requests }

    function refresh() {
        if (placeId === "") return
        api.call("placeList").then(function (list) {
            info = null
            list.forEach(function (p) { if (p.place === placeId) info = p })
            if (info && info.host) {
                api.call("placeRequests", { place: placeId }).then(function (r) {
                    requests.clear(); r.forEach(function (q) { requests.append({ ego: q.ego, who: q.petname || q.ego.substring(0, 8), note: q.text || "" }) })
                }, function () {})
            }
        }, function (e) { shell.showError(e) })
        api.call("placeState", { place: placeId }).then(function (s) { topic = s._topic || "" }, function () {})
        api.call("placeAddress", { place: placeId }).then(function (r) { address = r.address }, function () { address = "" })
        api.call("contactList").then(function (list) {
            contacts.clear(); list.forEach(function (c) { contacts.append({ petname: c.petname }) })
        }, function () {})
    }
    onPlaceIdChanged: refresh()
    Component.onCompleted: refresh()
    Connections {
        target: page.api
        function onMessage(event) { if (event.place === page.placeId) page.refresh() }
        function onEntryRequest(event) { if (event.place === page.placeId) page.refresh() }
    }

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            TouchButton { visible: !page.shell.wide; text: qsTr("Back"); flat: true; onClicked: page.shell.back() }
            Label { text: page.info ? page.info.name : ""; font.bold: true; elide: Text.ElideRight; Layout.fillWidth: true; leftPadding: 12 }
        }
    }

    Flickable {
        anchors.fill: parent
        contentHeight: column.implicitHeight + 24
        clip: true
        ColumnLayout {
            id: column
            x: 12; y: 12
            width: parent.width - 24
            spacing: 6
            Label { text: qsTr("Topic"); font.bold: true }
            RowLayout {
                Layout.fillWidth: true
                TextField {
                    id: topicField
                    Layout.fillWidth: true
                    implicitHeight: 48
                    text: page.topic
                    readOnly: !(page.info && page.info.host)
                    placeholderText: qsTr("No topic")
                    Accessible.name: qsTr("Topic")
                }
                TouchButton {
                    visible: page.info !== null && page.info.host
                    text: qsTr("Set")
                    onClicked: page.api.call("placeSet", { place: page.placeId, name: "_topic", value: topicField.text }).then(function () { page.refresh() }, function (e) { page.shell.showError(e) })
                }
            }
            Label { objectName: "membersCount"; text: page.info ? qsTr("%n member(s)", "", page.info.members) : "" }
            Label { text: page.info ? (page.info.host ? qsTr("You host this place.") : qsTr("Hosted by %1").arg(page.info.hostEgo.substring(0, 12))) : ""; opacity: 0.7 }

            Label { text: qsTr("Invite a contact"); font.bold: true; visible: page.info !== null && page.info.host }
            RowLayout {
                visible: page.info !== null && page.info.host
                Layout.fillWidth: true
                ComboBox { id: who; Layout.fillWidth: true; implicitHeight: 48; model: contacts; textRole: "petname"; Accessible.name: qsTr("Contact to invite") }
                TouchButton {
                    text: qsTr("Invite")
                    enabled: who.currentIndex >= 0
                    onClicked: page.api.call("placeInvite", { place: page.placeId, petname: who.currentText }).then(function (r) { page.shell.notice(qsTr("Invited %1.").arg(r.petname)) }, function (e) { page.shell.showError(e) })
                }
            }
            Label { text: qsTr("Entry requests"); font.bold: true; visible: requests.count > 0 }
            Repeater {
                model: requests
                delegate: RowLayout {
                    required property string ego
                    required property string who
                    required property string note
                    Layout.fillWidth: true
                    Label { text: note !== "" ? qsTr("%1: %2").arg(who).arg(note) : who; Layout.fillWidth: true; elide: Text.ElideRight }
                    TouchButton { text: qsTr("Admit"); onClicked: page.api.call("placeAdmit", { place: page.placeId, who: ego }).then(function () { page.refresh() }, function (e) { page.shell.showError(e) }) }
                    TouchButton { text: qsTr("Refuse"); onClicked: page.api.call("placeRefuse", { place: page.placeId, who: ego }).then(function () { page.refresh() }, function (e) { page.shell.showError(e) }) }
                }
            }
            Label { text: qsTr("Address"); font.bold: true; visible: page.address !== "" }
            TextArea {
                visible: page.address !== ""
                Layout.fillWidth: true
                text: page.address
                readOnly: true; selectByMouse: true
                wrapMode: TextEdit.WrapAnywhere
                font.family: "monospace"; font.pixelSize: 11
                Accessible.name: qsTr("Place address")
            }
            TouchButton {
                visible: page.info !== null && !page.info.host
                text: qsTr("Leave place")
                onClicked: page.api.call("placeLeave", { place: page.placeId }).then(function () { page.shell.openSection("places") }, function (e) { page.shell.showError(e) })
            }
        }
    }
}
