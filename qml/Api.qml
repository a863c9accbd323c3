import QtQuick
import Secushare
import "qwebchannel.js" as QWC

// The core as QML sees it: Qt's qwebchannel.js over the shell's transport. `call(method, params)`
// returns a promise that rejects with the core's error {code, message}; the core's events arrive
// as signals; `status` mirrors the published `node` object's properties.
QtObject {
    id: api
    required property CoreLink link

    property var channel: null
    property var secushare: null
    property var node: null
    readonly property bool ready: secushare !== null
    // Set when the core's answer cannot be used (incompatible version, malformed frames).
    property string protocolError: ""
    property var status: ({ peers: 0, contacts: 0, contactsOnline: 0, places: 0, unread: 0, unreadByPlace: ({}) })

    signal message(var event)            // {place, id}
    signal contactsChanged()             // a contact came online or went offline
    signal placesChanged()               // created, joined, invited, new messages
    signal entryRequest(var event)       // {place, ego}
    signal eventsLost()                  // the core dropped events for us: refetch what is shown

    readonly property var requiredMethods: ["status", "placeList", "feed", "post", "contactList", "inviteCreate", "contactAdd", "profileShow"]
    readonly property var statusFields: ["peers", "contacts", "contactsOnline", "places", "unread", "unreadByPlace"]

    function call(method, params) {
        if (!secushare)
            return Promise.reject({ code: "DAEMON_UNREACHABLE", message: qsTr("Core not reachable.") })
        // an older core without a method added since (react, relayList…): say so, keep the rest working
        if (typeof secushare[method] !== "function")
            return Promise.reject({ code: "NOT_FOUND", message: qsTr("This core does not offer %1 (an older version?).").arg(method) })
        const id = channel.execId // the id qwebchannel.js gives the request made next
        const pending = params === undefined ? secushare[method]() : secushare[method](params)
        return pending.then(function (result) { return result }, function () {
            const e = link.transport.takeError(id)
            return Promise.reject(e && e.code ? e : { code: "DAEMON_UNREACHABLE", message: qsTr("The core did not answer %1.").arg(method) })
        })
    }

    // A sentence for an error from the core; the code stays visible for bug reports.
    function describe(e) {
        const texts = {
            DAEMON_UNREACHABLE: qsTr("Core not reachable."),
            RPC_UNAUTHORIZED: qsTr("The core refused this shell's token."),
            INVITE_INVALID: qsTr("That is not a secushare invite link, or it is damaged."),
            INVITE_EXPIRED: qsTr("That invite has expired; ask for a new one."),
            INVITE_REFUSED: qsTr("The inviter's node refused the invite (already used?)."),
            CONTACT_EXISTS: qsTr("That person is already a contact."),
            PETNAME_TAKEN: qsTr("Another contact already has that name."),
            PEER_UNREACHABLE: qsTr("Their node cannot be reached right now."),
            HOST_UNREACHABLE: qsTr("The place's host cannot be reached right now."),
            NOT_HOST: qsTr("Only the place's host can do that."),
            PLACE_CLOSED: qsTr("This place is closed."),
            INVALID_ARGUMENT: qsTr("Something in the form is missing or malformed."),
            LIMIT_EXCEEDED: qsTr("That is longer or larger than allowed.")
        }
        const text = texts[e && e.code] || (e && e.message) || qsTr("Something went wrong.")
        return e && e.code ? qsTr("%1 (%2)").arg(text).arg(e.code) : text
    }

    function attach() {
        protocolError = ""
        new QWC.QWebChannel(link.transport, function (ch) {
            const s = ch.objects.secushare
            const n = ch.objects.node
            const missing = api.requiredMethods.filter(function (m) { return !s || typeof s[m] !== "function" })
            if (!n || missing.length > 0) {
                api.protocolError = qsTr("This core speaks an incompatible version (missing: %1).").arg(missing.join(", ") || "node")
                return
            }
            s.message.connect(function (e) { api.message(e); api.placesChanged() })
            s.contactOnline.connect(function () { api.contactsChanged() })
            s.contactOffline.connect(function () { api.contactsChanged() })
            s.invitation.connect(function () { api.placesChanged() })
            s.placeJoined.connect(function () { api.placesChanged() })
            s.placeCreated.connect(function () { api.placesChanged() })
            s.entryRequest.connect(function (e) { api.entryRequest(e) })
            s.eventsLost.connect(function () { api.eventsLost(); api.placesChanged(); api.contactsChanged() })
            const copy = {}
            api.statusFields.forEach(function (f) {
                copy[f] = n[f]
                n[f + "Changed"].connect(function (value) {
                    const next = Object.assign({}, api.status)
                    next[f] = value
                    api.status = next
                })
            })
            api.status = copy
            api.channel = ch
            api.node = n
            api.secushare = s
        })
    }

    function detach() {
        secushare = null
        node = null
        channel = null
    }

    property Connections linkState: Connections {
        target: api.link
        function onStateChanged() {
            if (api.link.state === "connected") {
                if (!api.channel) api.attach()
            } else if (api.channel) {
                api.detach()
            }
        }
    }
    property Connections transportErrors: Connections {
        target: api.link.transport
        function onProtocolError(message) { api.protocolError = qsTr("The core sent something this shell cannot read: %1").arg(message) }
    }
    Component.onCompleted: if (link.state === "connected") attach()
}
