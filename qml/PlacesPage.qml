import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Places (with unread counts) and conversations, invitations to join, creating a place and
// asking to enter one by its address.
Page {
    id: page
    objectName: "placesPage"
    required property var shell
    readonly property var api: shell.api
    property bool loading: false
    ListModel { id: places }
    ListModel { id: conversations }
    ListModel { id: invitations }

    function refresh() {
        loading = true
        api.call("placeList").then(function (list) {
            loading = false
            places.clear(); conversations.clear()
            list.forEach(function (p) {
                if (p.home) return // a profile's home place, shown on the profile page
                const row = { placeId: p.place, name: p.name, unread: p.unread, host: p.host, dm: p.dm || "" }
                if (p.dm) conversations.append(row); else places.append(row)
            })
        }, function (e) { loading = false; shell.showError(e) })
        api.call("placeInvitations").then(function (list) {
            invitations.clear()
            list.forEach(function (i) { if (!i.dm) invitations.append({ placeId: i.place, name: i.name, from: i.from || "" }) })
        }, function (e) { shell.showError(e) })
    }
    function create() {
        const name = createField.text.trim()
        if (name === "") return
        api.call("placeCreate", { name: name }).then(function (p) { createField.text = ""; refresh(); shell.openPlace(p.place, p.name) },
                                                    function (e) { shell.showError(e) })
    }
    function join(placeId, name) {
        api.call("placeJoin", { place: placeId }).then(function (p) { refresh(); shell.openPlace(p.place, p.name) },
                                                      function (e) { shell.showError(e) })
    }
    function request() {
        const address = addressField.text.trim()
        if (address === "") return
        api.call("placeRequest", { address: address }).then(function () { addressField.text = ""; shell.notice(qsTr("Asked the host to let you in.")) },
                                                            function (e) { shell.showError(e) })
    }
    function focusCreate() { createField.forceActiveFocus() }

    Component.onCompleted: refresh()
    Connections {
        target: page.api
        function onPlacesChanged() { page.refresh() }
        function onStatusChanged() { page.refresh() }
    }

    Flickable {
        anchors.fill: parent
        contentHeight: column.implicitHeight
        clip: true
        ScrollBar.vertical: ScrollBar {}
        ColumnLayout {
            id: column
            width: parent.width
            spacing: 4

            SectionHeader { text: qsTr("Invitations"); visible: invitations.count > 0; leftPadding: 12 }
            Repeater {
                model: invitations
                delegate: RowLayout {
                    required property string placeId
                    required property string name
                    required property string from
                    Layout.fillWidth: true
                    Layout.leftMargin: 12
                    Label { text: from !== "" ? qsTr("%1 (from %2)").arg(name).arg(from) : name; Layout.fillWidth: true; elide: Text.ElideRight }
                    TouchButton { objectName: "joinButton"; text: qsTr("Join"); Accessible.name: qsTr("Join %1").arg(name); onClicked: page.join(placeId, name) }
                }
            }

            SectionHeader { text: qsTr("Places"); leftPadding: 12 }
            EmptyState {
                visible: places.count === 0
                Layout.fillWidth: true
                busy: page.loading
                text: qsTr("No places yet. Create one below, or join one you are invited to.")
            }
            Repeater {
                model: places
                delegate: ItemDelegate {
                    required property string placeId
                    required property string name
                    required property int unread
                    required property bool host
                    objectName: "place-" + name
                    Layout.fillWidth: true
                    implicitHeight: 48
                    highlighted: page.shell.placeId === placeId && page.shell.page === "place"
                    text: name + (host ? qsTr(" · host") : "")
                    Accessible.name: unread > 0 ? qsTr("%1, %n unread", "", unread).arg(name) : name
                    onClicked: page.shell.openPlace(placeId, name)
                    Rectangle {
                        visible: unread > 0
                        anchors.right: parent.right; anchors.rightMargin: 12; anchors.verticalCenter: parent.verticalCenter
                        width: Math.max(24, badge.implicitWidth + 10); height: 24; radius: 12; color: "#1a73e8"
                        Label { id: badge; anchors.centerIn: parent; text: unread; color: "white" }
                    }
                }
            }

            SectionHeader { text: qsTr("Conversations"); visible: conversations.count > 0; leftPadding: 12 }
            Repeater {
                model: conversations
                delegate: ItemDelegate {
                    required property string dm
                    required property int unread
                    Layout.fillWidth: true
                    implicitHeight: 48
                    text: unread > 0 ? qsTr("%1 (%2)").arg(dm).arg(unread) : dm
                    Accessible.name: text
                    onClicked: page.shell.openDm(dm)
                }
            }

            SectionHeader { text: qsTr("New place"); leftPadding: 12 }
            RowLayout {
                Layout.fillWidth: true
                Layout.leftMargin: 12; Layout.rightMargin: 12
                TextField {
                    id: createField
                    objectName: "createPlaceField"
                    Layout.fillWidth: true
                    implicitHeight: 48
                    placeholderText: qsTr("Name of the new place")
                    Accessible.name: qsTr("Name of the new place")
                    onAccepted: page.create()
                }
                TouchButton { objectName: "createPlaceButton"; text: qsTr("Create"); enabled: createField.text.trim() !== ""; onClicked: page.create() }
            }
            SectionHeader { text: qsTr("Join by address"); leftPadding: 12 }
            RowLayout {
                Layout.fillWidth: true
                Layout.leftMargin: 12; Layout.rightMargin: 12; Layout.bottomMargin: 12
                TextField {
                    id: addressField
                    Layout.fillWidth: true
                    implicitHeight: 48
                    placeholderText: qsTr("secushare:place/…")
                    Accessible.name: qsTr("Place address")
                    onAccepted: page.request()
                }
                TouchButton { text: qsTr("Ask to enter"); enabled: addressField.text.trim() !== ""; onClicked: page.request() }
            }
        }
    }
}
