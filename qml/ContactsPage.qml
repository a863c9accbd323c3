import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Contacts: invite someone (link + QR code), accept an invite link, the contact list (online,
// fingerprint to compare, message), introductions from contacts (accept / ignore; checked every few
// seconds while shown, the core has no event for them), introducing two contacts to each other,
// and secushare nodes nearby on the LAN.
Page {
    id: page
    objectName: "contactsPage"
    required property var shell
    readonly property var api: shell.api
    property string inviteLink: ""
    property bool loading: false
    property bool adding: false
    ListModel { id: contacts }
    ListModel { id: nearby }
    ListModel { id: introductions }
    property bool introBusy: false

    function refresh() {
        loading = true
        api.call("contactList").then(function (list) {
            loading = false
            contacts.clear()
            list.forEach(function (c) { contacts.append({ petname: c.petname, nick: c.nick || "", fingerprint: c.fingerprint || "", online: !!c.online }) })
        }, function (e) { loading = false; shell.showError(e) })
        refreshIntroductions()
        api.call("nearbyList").then(function (list) {
            nearby.clear()
            list.forEach(function (n) { nearby.append({ peerId: n.peerId }) })
        }, function () {})
    }
    function refreshIntroductions() {
        api.call("contactIntroductions").then(function (list) {
            introductions.clear()
            list.forEach(function (i) {
                introductions.append({ introId: i.id, nick: i.nick, fingerprint: i.fingerprint, from: i.from || i.introducer.substring(0, 12),
                                       accepted: i.accepted, peerAccepted: i.peerAccepted })
            })
        }, function () {})
    }
    function introCall(method, params, done) {
        introBusy = true
        api.call(method, params).then(function (r) { introBusy = false; done(r); refresh() },
                                      function (e) { introBusy = false; shell.showError(e) })
    }
    function acceptIntroduction(id, nick) {
        introCall("contactIntroductionAccept", { id: id }, function (r) {
            shell.notice(r.status === "contact" ? qsTr("%1 is now a contact.").arg(r.petname)
                                                : qsTr("Accepted; you become contacts with %1 when they accept too.").arg(nick))
        })
    }
    function ignoreIntroduction(id, nick) {
        introCall("contactIntroductionIgnore", { id: id }, function () { shell.notice(qsTr("Introduction of %1 ignored.").arg(nick)) })
    }
    function introduce(a, b) {
        introCall("contactIntroduce", { petname1: a, petname2: b }, function (r) {
            shell.notice(qsTr("Introduced %1 and %2 (reached: %3).").arg(a).arg(b).arg(r.delivered.join(", ")))
        })
    }
    readonly property var petnames: {
        const names = []
        for (let i = 0; i < contacts.count; i++) names.push(contacts.get(i).petname)
        return names
    }
    function invite() {
        api.call("inviteCreate").then(function (r) { inviteLink = r.link }, function (e) { shell.showError(e) })
    }
    function add() {
        adding = true
        api.call("contactAdd", { link: linkField.text.trim(), petname: petnameField.text.trim() }).then(function (c) {
            adding = false
            linkField.text = ""; petnameField.text = ""
            shell.notice(qsTr("%1 is now a contact.").arg(c.petname))
            refresh()
        }, function (e) { adding = false; shell.showError(e) })
    }

    Component.onCompleted: refresh()
    Connections {
        target: page.api
        function onContactsChanged() { page.refresh() }
    }
    Timer { interval: 5000; repeat: true; running: page.visible; onTriggered: page.refreshIntroductions() }
    Connections {
        target: page.api
        function onStatusChanged() { if (page.api.status.contacts !== contacts.count) page.refresh() }
    }

    Flickable {
        anchors.fill: parent
        contentHeight: column.implicitHeight
        clip: true
        ScrollBar.vertical: ScrollBar {}
        ColumnLayout {
            id: column
            width: parent.width
            anchors.margins: 12
            spacing: 6

            SectionHeader { text: qsTr("Contacts"); leftPadding: 12 }
            EmptyState {
                visible: contacts.count === 0
                Layout.fillWidth: true
                busy: page.loading
                text: qsTr("No contacts yet. Send someone an invite link, or add theirs below.")
            }
            Repeater {
                model: contacts
                delegate: ItemDelegate {
                    required property string petname
                    required property string nick
                    required property string fingerprint
                    required property bool online
                    objectName: "contact-" + petname
                    Layout.fillWidth: true
                    implicitHeight: Math.max(56, implicitContentHeight + 12)
                    Accessible.name: qsTr("%1, %2").arg(petname).arg(online ? qsTr("online") : qsTr("offline"))
                    contentItem: RowLayout {
                        Rectangle { width: 12; height: 12; radius: 6; color: online ? "#1e8e3e" : "#9aa0a6" }
                        ColumnLayout {
                            Layout.fillWidth: true
                            spacing: 0
                            Label { text: nick !== "" && nick !== petname ? qsTr("%1 (%2)").arg(petname).arg(nick) : petname; font.bold: true; elide: Text.ElideRight; Layout.fillWidth: true }
                            Label { text: fingerprint; font.family: "monospace"; font.pixelSize: 11; opacity: 0.7; elide: Text.ElideRight; Layout.fillWidth: true }
                        }
                        TouchButton { text: qsTr("Message"); Accessible.name: qsTr("Message %1").arg(petname); onClicked: page.shell.openDm(petname) }
                    }
                }
            }

            SectionHeader { text: qsTr("Introductions"); leftPadding: 12; visible: introductions.count > 0 }
            Repeater {
                model: introductions
                delegate: Pane {
                    required property string introId
                    required property string nick
                    required property string fingerprint
                    required property string from
                    required property bool accepted
                    required property bool peerAccepted
                    objectName: "intro-" + introId
                    Layout.fillWidth: true
                    Accessible.name: qsTr("%1, introduced by %2").arg(nick).arg(from)
                    ColumnLayout {
                        anchors.fill: parent
                        Label { text: qsTr("%1, introduced by %2").arg(nick).arg(from); font.bold: true; wrapMode: Text.Wrap; Layout.fillWidth: true }
                        Label { text: fingerprint; font.family: "monospace"; font.pixelSize: 11; opacity: 0.7; elide: Text.ElideRight; Layout.fillWidth: true }
                        Label {
                            objectName: "introState"
                            visible: text !== ""
                            text: accepted ? qsTr("Accepted, waiting for them") : peerAccepted ? qsTr("They accepted") : ""
                            opacity: 0.8
                            font.pixelSize: 12
                        }
                        RowLayout {
                            visible: !accepted
                            TouchButton {
                                objectName: "acceptIntro-" + introId
                                text: qsTr("Accept")
                                Accessible.name: qsTr("Accept %1 as a contact").arg(nick)
                                enabled: !page.introBusy
                                onClicked: page.acceptIntroduction(introId, nick)
                            }
                            TouchButton {
                                objectName: "ignoreIntro-" + introId
                                text: qsTr("Ignore")
                                flat: true
                                Accessible.name: qsTr("Ignore the introduction of %1").arg(nick)
                                enabled: !page.introBusy
                                onClicked: page.ignoreIntroduction(introId, nick)
                            }
                        }
                    }
                }
            }

            SectionHeader { text: qsTr("Introduce two contacts"); leftPadding: 12; visible: contacts.count >= 2 }
            GridLayout {
                visible: contacts.count >= 2
                Layout.fillWidth: true
                Layout.leftMargin: 12; Layout.rightMargin: 12
                columns: page.width >= 560 ? 3 : 1
                ComboBox {
                    id: introA
                    objectName: "introduceFirst"
                    model: page.petnames
                    implicitHeight: 48
                    Layout.fillWidth: true
                    Accessible.name: qsTr("First contact to introduce")
                }
                ComboBox {
                    id: introB
                    objectName: "introduceSecond"
                    model: page.petnames
                    currentIndex: page.petnames.length > 1 ? 1 : 0
                    implicitHeight: 48
                    Layout.fillWidth: true
                    Accessible.name: qsTr("Second contact to introduce")
                }
                TouchButton {
                    objectName: "introduceButton"
                    text: qsTr("Introduce")
                    enabled: !page.introBusy && introA.currentText !== "" && introA.currentText !== introB.currentText
                    onClicked: page.introduce(introA.currentText, introB.currentText)
                }
            }
            Label {
                visible: contacts.count >= 2
                Layout.leftMargin: 12; Layout.rightMargin: 12
                Layout.fillWidth: true
                text: qsTr("Each gets a signed introduction and may accept the other as a contact.")
                opacity: 0.7
                wrapMode: Text.Wrap
            }

            SectionHeader { text: qsTr("Invite someone"); leftPadding: 12 }
            TouchButton {
                Layout.leftMargin: 12
                objectName: "inviteButton"
                text: page.inviteLink === "" ? qsTr("Create invite link") : qsTr("New invite link")
                onClicked: page.invite()
            }
            TextArea {
                id: linkText
                objectName: "inviteLink"
                visible: page.inviteLink !== ""
                Layout.fillWidth: true
                Layout.leftMargin: 12; Layout.rightMargin: 12
                text: page.inviteLink
                readOnly: true
                selectByMouse: true
                wrapMode: TextEdit.WrapAnywhere
                font.family: "monospace"
                Accessible.name: qsTr("Invite link")
            }
            RowLayout {
                visible: page.inviteLink !== ""
                Layout.leftMargin: 12
                TouchButton { text: qsTr("Copy link"); onClicked: { linkText.selectAll(); linkText.copy(); linkText.deselect(); page.shell.notice(qsTr("Invite link copied.")) } }
                Label { text: qsTr("Valid once, for 7 days. Send it privately."); opacity: 0.7; wrapMode: Text.Wrap; Layout.fillWidth: true }
            }
            Image {
                objectName: "inviteQr"
                visible: page.inviteLink !== ""
                Layout.leftMargin: 12
                Layout.preferredWidth: 220
                Layout.preferredHeight: 220
                source: page.inviteLink !== "" ? "image://qr/" + encodeURIComponent(page.inviteLink) : ""
                sourceSize: Qt.size(220, 220)
                fillMode: Image.PreserveAspectFit
                smooth: false
                Accessible.name: qsTr("QR code of the invite link")
            }

            SectionHeader { text: qsTr("Add a contact"); leftPadding: 12 }
            TextField {
                id: linkField
                objectName: "addLinkField"
                Layout.fillWidth: true
                Layout.leftMargin: 12; Layout.rightMargin: 12
                implicitHeight: 48
                placeholderText: qsTr("secushare:invite/…")
                Accessible.name: qsTr("Their invite link")
            }
            RowLayout {
                Layout.fillWidth: true
                Layout.leftMargin: 12; Layout.rightMargin: 12
                TextField {
                    id: petnameField
                    objectName: "addPetnameField"
                    Layout.fillWidth: true
                    implicitHeight: 48
                    placeholderText: qsTr("Your name for them")
                    Accessible.name: qsTr("Your name for them")
                    onAccepted: if (addButton.enabled) page.add()
                }
                TouchButton {
                    id: addButton
                    text: qsTr("Add")
                    enabled: !page.adding && linkField.text.trim() !== "" && petnameField.text.trim() !== ""
                    onClicked: page.add()
                }
                BusyIndicator { running: page.adding; visible: running }
            }

            SectionHeader { text: qsTr("Nearby on this network"); leftPadding: 12 }
            Label {
                visible: nearby.count === 0
                Layout.leftMargin: 12
                text: qsTr("No other secushare nodes seen nearby.")
                opacity: 0.7
            }
            Repeater {
                model: nearby
                delegate: Label {
                    required property string peerId
                    Layout.leftMargin: 12
                    Layout.fillWidth: true
                    text: peerId
                    font.family: "monospace"
                    elide: Text.ElideMiddle
                }
            }
            Item { Layout.preferredHeight: 12 }
        }
    }
}
