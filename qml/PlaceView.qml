import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// A place's feed (or a 1:1 conversation when `dmPetname` is set): the latest 50 posts, older ones
// loaded when scrolled to the top, new ones as the core announces them; replies under their thread.
// Reactions (`_converse_reaction` messages, replyTo = the post) are counted under their post, not
// listed; my own posts show their delivery state, refreshed while some are not delivered yet.
Page {
    id: view
    objectName: "placeView"
    required property var shell
    property string placeId: ""
    property string dmPetname: ""
    property string heading: dmPetname !== "" ? dmPetname : placeId.substring(0, 8)
    property string topic: ""
    property int members: 0
    property bool loading: false
    // The first page of the feed is in the model (the shell's --report-first-frame waits for it).
    property bool loaded: false
    readonly property int postCount: posts.count
    property bool loadingOlder: false
    property int firstId: 0
    property int lastId: 0
    readonly property var api: shell.api
    readonly property int pageSize: 50
    readonly property var reactionChoices: ["👍", "❤️", "😂", "😮", "🙏"]
    // post id → {reaction → {authors: {ego: true}, mine: bool}}: kept for posts not loaded yet too
    property var reactionsByPost: ({})
    // my own posts in the model whose delivery is not "delivered" yet (ids)
    property var undelivered: ({})
    readonly property bool hasUndelivered: Object.keys(undelivered).length > 0

    ListModel { id: posts }

    function sortKey(item) { return [item.thread > 0 ? item.thread : item.id, item.id] }
    function before(a, b) { const x = sortKey(a), y = sortKey(b); return x[0] !== y[0] ? x[0] < y[0] : x[1] < y[1] }
    // Messages without text are state changes and arrivals: say what happened.
    function describe(item) {
        if (item.text) return item.text
        if (item.method === "_notice_place_enter") return qsTr("joined the place")
        if (item.method === "_notice_place_leave") return qsTr("left the place")
        if (item.method.indexOf("_notice_set") === 0) return qsTr("changed the place's settings")
        return item.method
    }
    function row(item) {
        const d = item.delivery || null
        return { postId: item.id, author: item.authorPetname || item.author.substring(0, 8), body: describe(item),
                 replyTo: item.replyTo || 0, thread: item.thread || 0, time: item.time || 0, pending: false,
                 delivery: d ? d.state : "", relays: d && d.relays ? d.relays.join(", ") : "",
                 reactions: reactionSummary(item.id), reactable: item.method.indexOf("_converse") === 0 }
    }
    // What the delegate shows: [{reaction, count, mine}] as JSON (a ListModel role cannot hold a list of objects).
    function reactionSummary(postId) {
        const byReaction = reactionsByPost[postId]
        if (!byReaction) return "[]"
        return JSON.stringify(Object.keys(byReaction).sort().map(function (r) {
            return { reaction: r, count: Object.keys(byReaction[r].authors).length, mine: byReaction[r].mine }
        }))
    }
    function indexOfPost(postId) {
        for (let i = posts.count - 1; i >= 0; i--) if (posts.get(i).postId === postId) return i
        return -1
    }
    // Counts one reaction (each author once per reaction) and updates its post's row if loaded.
    function addReaction(item) {
        if (!item.replyTo || !item.text) return
        const all = reactionsByPost
        const byReaction = all[item.replyTo] || (all[item.replyTo] = {})
        const entry = byReaction[item.text] || (byReaction[item.text] = { authors: {}, mine: false })
        entry.authors[item.author] = true
        if (item.authorPetname === "me") entry.mine = true
        const i = indexOfPost(item.replyTo)
        if (i >= 0) posts.setProperty(i, "reactions", reactionSummary(item.replyTo))
    }
    function noteDelivery(item) {
        if (!item.delivery) return
        const next = Object.assign({}, undelivered)
        if (item.delivery.state === "delivered") delete next[item.id]
        else next[item.id] = true
        undelivered = next
    }
    function react(postId, reaction) {
        if (dmPetname !== "" || postId <= 0) return
        api.call("react", { place: placeId, id: postId, reaction: reaction }).then(function (r) {
            if (r.pending) shell.notice(qsTr("The host is unreachable; your reaction is kept and delivered later."))
            else loadNewer()
        }, function (e) { shell.showError(e) })
    }
    // Fetches my posts that were not delivered yet again and updates their delivery state.
    function refreshDelivery() {
        const ids = Object.keys(undelivered).map(Number)
        if (loading || ids.length === 0) return
        const from = Math.min.apply(null, ids)
        fetch({ since: from - 1, limit: pageSize }).then(function (items) {
            items.forEach(function (item) {
                if (!item.delivery || !undelivered[item.id]) return
                const i = indexOfPost(item.id)
                if (i >= 0) {
                    posts.setProperty(i, "delivery", item.delivery.state)
                    posts.setProperty(i, "relays", item.delivery.relays ? item.delivery.relays.join(", ") : "")
                }
                noteDelivery(item)
            })
        }, function () {})
    }
    // Keeps the model ordered by (thread root, id): a reply lands after the rest of its thread.
    function insert(item) {
        let i = posts.count
        const r = row(item)
        const mine = { id: r.postId, thread: r.thread }
        while (i > 0 && before(mine, { id: posts.get(i - 1).postId, thread: posts.get(i - 1).thread })) i--
        if (i > 0 && posts.get(i - 1).postId === r.postId) return
        posts.insert(i, r)
    }
    function fetch(params) {
        if (dmPetname !== "") {
            const p = Object.assign({ petname: dmPetname }, params)
            return api.call("dmFeed", p)
        }
        return api.call("feed", Object.assign({ place: placeId }, params))
    }
    function absorb(items) {
        items.forEach(function (item) {
            if (item.method === "_converse_reaction") addReaction(item)
            else { insert(item); noteDelivery(item) }
            if (item.id > lastId) lastId = item.id
            if (firstId === 0 || item.id < firstId) firstId = item.id
        })
    }
    function reload() {
        posts.clear(); firstId = 0; lastId = 0; loaded = false; reactionsByPost = {}; undelivered = {}
        if (placeId === "" && dmPetname === "") return
        loading = true
        fetch({ limit: pageSize }).then(function (items) { absorb(items); loading = false; list.positionViewAtEnd(); loaded = true },
                                         function (e) { loading = false; shell.showError(e) })
        if (dmPetname === "") {
            api.call("placeState", { place: placeId }).then(function (s) {
                topic = s._topic || ""
                if (s._name) heading = s._name
            }, function () {})
            api.call("placeList").then(function (list) {
                list.forEach(function (p) { if (p.place === placeId) { members = p.members; heading = p.name } })
            }, function () {})
        }
    }
    function loadNewer() {
        if (loading) return
        fetch({ since: lastId, limit: pageSize }).then(function (items) {
            const atEnd = list.atYEnd
            absorb(items)
            if (atEnd) list.positionViewAtEnd()
        }, function (e) { shell.showError(e) })
    }
    function loadOlder() {
        if (loading || loadingOlder || firstId <= 1) return
        loadingOlder = true
        const below = firstId
        fetch({ since: Math.max(0, below - pageSize - 1), limit: pageSize }).then(function (items) {
            absorb(items.filter(function (i) { return i.id < below }))
            loadingOlder = false
        }, function (e) { loadingOlder = false; shell.showError(e) })
    }
    function send(text, replyTo) {
        composer.busy = true
        const params = dmPetname !== "" ? { petname: dmPetname, text: text } : { place: placeId, text: text }
        if (replyTo > 0 && dmPetname === "") params.replyTo = replyTo
        api.call(dmPetname !== "" ? "dmSend" : "post", params).then(function (r) {
            composer.busy = false
            composer.text = ""
            composer.replyTo = 0
            if (r.pending) {
                posts.append({ postId: 0, author: qsTr("me"), body: text, replyTo: replyTo, thread: 0, time: 0, pending: true,
                               delivery: "", relays: "", reactions: "[]", reactable: false })
                shell.notice(qsTr("The host is unreachable; your post is kept and delivered later."))
            } else {
                loadNewer()
            }
        }, function (e) { composer.busy = false; shell.showError(e) })
    }

    Connections {
        target: view.api
        function onMessage(event) { if (view.dmPetname !== "" || event.place === view.placeId) view.loadNewer() }
        function onEventsLost() { view.loadNewer() }
    }
    Timer {
        interval: 5000
        repeat: true
        running: view.hasUndelivered
        onTriggered: view.refreshDelivery()
    }
    Component.onCompleted: reload()
    onPlaceIdChanged: if (api.ready) reload()
    onDmPetnameChanged: if (api.ready) reload()

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            TouchButton {
                visible: !view.shell.wide
                text: qsTr("Back")
                flat: true
                onClicked: view.shell.back()
            }
            ColumnLayout {
                Layout.fillWidth: true
                spacing: 0
                Label { objectName: "placeTitle"; text: view.heading; font.bold: true; elide: Text.ElideRight; Layout.fillWidth: true }
                Label {
                    text: view.dmPetname !== "" ? qsTr("Private conversation") : (view.topic !== "" ? view.topic + " · " : "") + qsTr("%n member(s)", "", view.members)
                    opacity: 0.7; font.pixelSize: 12; elide: Text.ElideRight; Layout.fillWidth: true
                }
            }
            TouchButton {
                visible: !view.shell.wide && view.dmPetname === ""
                text: qsTr("Details")
                flat: true
                onClicked: view.shell.openDetails()
            }
        }
    }

    ListView {
        id: list
        objectName: "postList"
        anchors.fill: parent
        clip: true
        model: posts
        delegate: PostDelegate {
            reactionChoices: view.dmPetname === "" ? view.reactionChoices : []
            onReactRequested: (id, reaction) => view.react(id, reaction)
            onReplyRequested: (id, who) => { if (view.dmPetname === "" && id > 0) { composer.replyTo = id; composer.replyAuthor = who; composer.focusField() } }
        }
        onAtYBeginningChanged: if (atYBeginning && contentHeight > height) view.loadOlder()
        header: BusyIndicator { running: view.loadingOlder; visible: running; width: list.width }
        ScrollBar.vertical: ScrollBar {}
        Accessible.name: qsTr("Posts")
        EmptyState {
            anchors.centerIn: parent
            width: parent.width
            visible: posts.count === 0
            busy: view.loading
            text: view.loading ? qsTr("Loading…") : qsTr("No posts yet. Write the first one below.")
        }
    }

    footer: Composer {
        id: composer
        onSend: (text, replyTo) => view.send(text, replyTo)
    }
}
