import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import QtQuick.Window
import Secushare

// Everything inside the window: onboarding, the connection state, or the interface in its narrow
// (stack) or wide (split panes) layout, chosen by width and switched live on resize. Navigation
// state lives here, so it survives the switch.
Item {
    id: appShell
    required property CoreLink link
    property alias api: api
    property alias notifier: notifier
    // Desktop notifications for new posts by others arrive only while the window is not active.
    readonly property bool windowActive: Window.active
    readonly property bool wide: width >= 760
    // places, contacts, profile, node, settings (sections); place, dm, details (pushed on top)
    property string page: "places"
    property string section: "places"
    property string placeId: ""
    property string placeName: ""
    property string dmPetname: ""
    signal navigated()

    function openSection(name) { section = name; page = name; navigated() }
    function openPlace(id, name) { placeId = id; placeName = name || ""; page = "place"; navigated() }
    function openDm(petname) { dmPetname = petname; page = "dm"; navigated() }
    function openDetails() { if (placeId !== "") { page = "details"; navigated() } }
    function back() {
        if (page === "details") page = "place"
        else page = section
        navigated()
    }
    function showError(e) { banner.isError = true; banner.text = api.describe(e) }
    function notice(text) { banner.isError = false; banner.text = text }

    Api { id: api; link: appShell.link }
    Notifier { id: notifier }
    Connections {
        target: api
        function onMessage(event) { if (!appShell.windowActive) appShell.notifyMessage(event) }
    }
    // Peeks at the new message (markRead: false keeps it unread) and notifies posts and replies by
    // others; my own posts, reactions and notices (joins, settings) get none.
    function notifyMessage(event) {
        api.call("feed", { place: event.place, since: event.id - 1, limit: 1, markRead: false }).then(function (items) {
            const m = items[0]
            if (!m || m.id !== event.id || m.authorPetname === "me" || !m.text) return
            if (m.method !== "_converse" && m.method.indexOf("_converse_reply") !== 0) return
            const author = m.authorPetname || m.author.substring(0, 8)
            api.call("placeList").then(function (places) {
                const p = places.filter(function (x) { return x.place === event.place })[0]
                const title = !p ? author : p.dm ? qsTr("%1 (private)").arg(author) : qsTr("%1 in %2").arg(author).arg(p.name)
                notifier.notify(title, m.text, event.place)
            }, function () { notifier.notify(author, m.text, event.place) })
        }, function () {})
    }
    // While the interface is shown, what the core sent that cannot be read goes to the banner
    // (before that, the connection page shows it).
    Connections {
        target: api
        function onProtocolErrorChanged() { appShell.showProtocolError() }
        function onReadyChanged() { appShell.showProtocolError() }
    }
    function showProtocolError() {
        if (api.ready && api.protocolError !== "") { banner.isError = true; banner.text = api.protocolError }
    }

    Shortcut { sequence: "Ctrl+1"; onActivated: appShell.openSection("places") }
    Shortcut { sequence: "Ctrl+2"; onActivated: appShell.openSection("contacts") }
    Shortcut { sequence: "Ctrl+3"; onActivated: appShell.openSection("profile") }
    Shortcut { sequence: "Ctrl+4"; onActivated: appShell.openSection("node") }
    Shortcut { sequence: "Ctrl+5"; onActivated: appShell.openSection("settings") }
    Shortcut { sequences: [StandardKey.Back, "Esc"]; enabled: appShell.page !== appShell.section; onActivated: appShell.back() }
    Shortcut {
        sequence: StandardKey.New
        onActivated: { appShell.openSection("places"); const p = appShell.findPlaces(content); if (p) p.focusCreate() }
    }
    function findPlaces(item) {
        if (!item) return null
        if (item.objectName === "placesPage") return item
        for (let i = 0; i < item.children.length; i++) {
            const found = findPlaces(item.children[i])
            if (found) return found
        }
        return null
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0
        ErrorBanner {
            id: banner
            property bool isError: true
            color: isError ? "#b3261e" : "#3c4043"
            Layout.fillWidth: true
        }
        Loader {
            id: content
            Layout.fillWidth: true
            Layout.fillHeight: true
            sourceComponent: appShell.link.state === "needsNode" || appShell.link.state === "creating" ? onboarding
                           : appShell.link.state === "needsPassphrase" ? unlock
                           : !appShell.api.ready ? connection
                           : appShell.wide ? wideLayout : narrowLayout
        }
    }
    Component { id: onboarding; OnboardingPage { link: appShell.link } }
    Component { id: unlock; PassphrasePage { link: appShell.link } }
    Component { id: connection; ConnectionPage { link: appShell.link; protocolError: appShell.api.protocolError } }
    Component { id: wideLayout; WideLayout { shell: appShell } }
    Component { id: narrowLayout; NarrowLayout { shell: appShell } }
}
