import QtQuick
import QtQuick.Window
import QtTest
import Secushare

// Acceptance tests of the shell against real cores: the shell's own node (alice) is created by
// onboarding and started by the shell; a second node (bob) is started by the harness and driven
// with the `secushare` CLI. The tests run in order (Qt Quick Test sorts them by name).
TestCase {
    id: t
    name: "Shell"
    when: windowShown
    width: 10
    height: 10

    readonly property string homeA: harness.newHome("alice")
    readonly property string homeB: harness.newHome("bob")
    readonly property string homeC: harness.newHome("carol")
    readonly property int waitMs: 60000
    property var win: null
    property string gardenId: ""

    Component {
        id: windowComponent
        Window {
            property alias shell: shell
            property alias link: link
            width: 390
            height: 844
            visible: true
            CoreLink { id: link; home: t.homeA; daemonArgs: harness.localDaemonArgs }
            AppShell { id: shell; anchors.fill: parent; link: link }
        }
    }

    // A second shell, linked to the core at `url` with the token in `tokenFile`.
    Component {
        id: remoteWindowComponent
        Window {
            property alias shell: shell
            property alias link: link
            width: 390
            height: 844
            visible: true
            CoreLink { id: link }
            AppShell { id: shell; anchors.fill: parent; link: link }
        }
    }
    function openRemoteShell(url, tokenFile) {
        const w = remoteWindowComponent.createObject(null)
        verify(w !== null)
        w.link.coreUrl = url
        w.link.tokenFile = tokenFile
        w.link.start()
        return w
    }

    // Items under `item` showing `text`, visible and inside the window (`win` unless told).
    function visibleText(item, text, inWindow) {
        const w = inWindow || win
        if (!item || !item.visible || item.opacity === 0) return false
        if (typeof item.text === "string" && item.text.indexOf(text) >= 0 && item.width > 0 && item.height > 0) {
            const p = item.mapToItem(w.contentItem, 0, 0)
            if (p.x < w.width && p.y < w.height && p.x + item.width > 0 && p.y + item.height > 0) return true
        }
        const kids = item.children || []
        for (let i = 0; i < kids.length; i++) if (visibleText(kids[i], text, w)) return true
        return false
    }
    function cli(home, args) {
        const r = harness.cli(home, args.concat(["--json"]))
        compare(r.code, 0, "secushare " + args.join(" ") + ": " + r.stderr)
        return r.json
    }
    function typeText(item, text) {
        mouseClick(item)
        tryVerify(function () { return item.activeFocus }, 5000, "the field takes focus")
        for (let i = 0; i < text.length; i++) keyClick(text[i])
    }

    function initTestCase() {
        verify(harness.startNode(homeB, "bob"), "the second node starts")
        win = windowComponent.createObject(null)
        verify(win !== null)
        win.requestActivate()
        win.link.start()
    }
    function cleanupTestCase() {
        if (win) {
            win.link.stopCore()
            win.destroy()
        }
    }

    function test_1_onboardingCreatesIdentity() {
        tryCompare(win.link, "state", "needsNode", 10000)
        const nick = findChild(win.shell, "nickField")
        verify(nick !== null, "the onboarding page asks for a nick")
        tryVerify(function () { return visibleText(win.contentItem, "Welcome to secushare") }, 5000)
        typeText(nick, "alice")
        compare(nick.text, "alice")
        mouseClick(findChild(win.shell, "createButton"))
        tryVerify(function () { return win.shell.api.ready }, waitMs, "the shell created the node, started its core and connected")
        verify(win.link.startedCore)
        const ids = cli(homeA, ["id", "list"])
        compare(ids.length, 1)
        compare(ids[0].nick, "alice")
    }

    function test_2_contactAddedOnSecondNodeAppears() {
        win.shell.openSection("contacts")
        tryVerify(function () { return visibleText(win.contentItem, "No contacts yet") }, 10000, "empty state first")
        const invite = cli(homeA, ["invite"])
        cli(homeB, ["contact", "add", invite.link, "--petname", "alice"])
        tryVerify(function () { return findChild(win.shell, "contact-bob") !== null }, waitMs, "bob appears without a reload")
        tryVerify(function () { return visibleText(win.contentItem, "bob") }, 10000)
    }

    function test_3_postFromSecondNodeAppearsInOpenPlace() {
        const garden = cli(homeB, ["place", "create", "garden"])
        gardenId = garden.place
        cli(homeB, ["place", "invite", "garden", "alice"])
        win.shell.openSection("places")
        tryVerify(function () { return findChild(win.shell, "joinButton") !== null }, waitMs, "the invitation is shown")
        mouseClick(findChild(win.shell, "joinButton"))
        tryCompare(win.shell, "page", "place", waitMs)
        compare(win.shell.placeId, gardenId)
        tryVerify(function () { return findChild(win.shell, "placeView") !== null && findChild(win.shell, "placeView").loading === false }, waitMs)
        cli(homeB, ["post", "garden", "hello from bob"])
        tryVerify(function () { return visibleText(win.contentItem, "hello from bob") }, waitMs, "the post appears in the open place view")
    }

    function test_4_postTypedInComposerReachesSecondNode() {
        const field = findChild(win.shell, "composerField")
        verify(field !== null)
        typeText(field, "hello from alice")
        compare(field.text, "hello from alice")
        mouseClick(findChild(win.shell, "sendButton"))
        untilTrue(function () { return feedOf(homeB, "garden").some(function (p) { return p.text === "hello from alice" }) }, waitMs, "bob's node has alice's post")
        tryCompare(field, "text", "", 10000)
    }

    // The post shown for message `id` of the open place (its delegate), or null.
    function postItem(id) { return findChild(win.shell, "post-" + id) }
    // Scrolls the Flickable that holds `item` so that the item is on screen (mouseClick needs it there).
    function scrollIntoView(item) {
        let f = item.parent
        while (f && f.contentY === undefined) f = f.parent
        if (!f) return item
        const y = item.mapToItem(f.contentItem, 0, 0).y
        f.contentY = Math.max(0, Math.min(y - 24, f.contentHeight - f.height))
        waitForRendering(item)
        return item
    }
    function feedOf(home, place) { return harness.cli(home, ["feed", place, "--json"]).json || [] }
    // tryVerify for checks that run the CLI: tryVerify counts 50 ms per try, not the time a try
    // takes, so a slow check would make its timeout many times longer; this one keeps wall time.
    function untilTrue(check, ms, message) {
        const deadline = Date.now() + ms
        while (!check()) {
            if (Date.now() > deadline) fail((typeof message === "function" ? message() : message) + " (within " + ms + " ms)")
            wait(200)
        }
    }

    function test_4b_reactionFromTheShellReachesSecondNodeAndIsCounted() {
        const bobPost = feedOf(homeB, "garden").filter(function (p) { return p.text === "hello from bob" })[0]
        verify(bobPost !== undefined)
        tryVerify(function () { return postItem(bobPost.id) !== null }, waitMs)
        const react = findChild(postItem(bobPost.id), "reactButton-" + bobPost.id)
        verify(react !== null && react.visible, "a React button under the post")
        verify(react.height >= 48, "a touch target of at least 48 px")
        mouseClick(react)
        const picker = findChild(postItem(bobPost.id), "reactionPicker")
        verify(picker !== null)
        tryVerify(function () { return picker.opened }, 10000, "the reaction picker opens")
        const choice = findChild(picker.contentItem, "reactionChoice-👍")
        verify(choice !== null && choice.visible)
        mouseClick(choice)
        untilTrue(function () {
            return feedOf(homeB, "garden").some(function (p) { return p.method === "_converse_reaction" && p.replyTo === bobPost.id && p.text === "👍" && p.authorPetname === "alice" })
        }, waitMs, "bob's node has alice's reaction to his post")
        tryVerify(function () { return findChild(postItem(bobPost.id), "reaction-" + bobPost.id + "-👍") !== null }, waitMs, "the count is shown under the post")
        const chip = findChild(postItem(bobPost.id), "reaction-" + bobPost.id + "-👍")
        compare(chip.text, "👍 1")
        verify(chip.highlighted, "my own reaction is highlighted")
        verify(!visibleText(win.contentItem, "_converse_reaction"), "the reaction is not listed as a post")
    }

    function test_4c_deliveryStateOfOwnPosts() {
        const mine = feedOf(homeA, "garden").filter(function (p) { return p.text === "hello from alice" })[0]
        verify(mine !== undefined && mine.delivery !== undefined)
        tryVerify(function () { return postItem(mine.id) !== null }, waitMs)
        const label = findChild(postItem(mine.id), "deliveryLabel")
        tryCompare(label, "text", "delivered", waitMs, "a guest's post is delivered once the host sequenced it")
        verify(label.visible)
        const bobs = feedOf(homeA, "garden").filter(function (p) { return p.text === "hello from bob" })[0]
        compare(findChild(postItem(bobs.id), "deliveryLabel").visible, false, "no delivery state on others' posts")

        // a place alice hosts alone: her post is only on her node until bob joins and has it
        const solo = cli(homeA, ["place", "create", "solo"]).place
        win.shell.openPlace(solo, "solo")
        tryVerify(function () { const v = findChild(win.shell, "placeView"); return v !== null && v.placeId === solo && v.loaded }, waitMs)
        const field = findChild(win.shell, "composerField")
        typeText(field, "only here")
        mouseClick(findChild(win.shell, "sendButton"))
        let post = null
        untilTrue(function () { post = feedOf(homeA, "solo").filter(function (p) { return p.text === "only here" })[0]; return post !== undefined }, waitMs, "the post is stored")
        compare(post.delivery.state, "local")
        tryVerify(function () { return postItem(post.id) !== null && findChild(postItem(post.id), "deliveryLabel").text === "only on this node" }, waitMs)
        tryVerify(function () { return visibleText(win.contentItem, "only on this node") }, 10000)
        cli(homeA, ["place", "invite", "solo", "bob"])
        let lastJoin = null
        untilTrue(function () { lastJoin = harness.cli(homeB, ["place", "join", solo, "--json"]); return lastJoin.code === 0 }, waitMs, function () { return "bob joins solo: " + lastJoin.stderr })
        tryVerify(function () { return findChild(postItem(post.id), "deliveryLabel").text === "delivered" }, waitMs, "the state follows once bob has the post, without a reload")
        win.shell.openPlace(gardenId, "garden")
        tryVerify(function () { const v = findChild(win.shell, "placeView"); return v !== null && v.placeId === gardenId && v.loaded }, waitMs)
        const stack = findChild(win.shell, "stackView")
        if (stack) tryCompare(stack, "busy", false, 10000)
    }

    function test_4d_relayUsageInNodeStatus() {
        win.shell.openSection("node")
        tryVerify(function () { return findChild(win.shell, "nodePage") !== null }, 10000)
        const choice = findChild(win.shell, "relayChoice")
        tryVerify(function () { return choice.count > 0 && choice.currentText === "bob" }, waitMs, "bob is offered as a relay")
        tryVerify(function () { return visibleText(win.contentItem, "No relays") }, 10000, "none yet")
        mouseClick(scrollIntoView(findChild(win.shell, "useRelayButton")))
        untilTrue(function () { return cli(homeA, ["relay", "list"]).relays.some(function (r) { return r.petname === "bob" }) }, waitMs, "alice's node uses bob as a relay")
        tryVerify(function () { return findChild(win.shell, "relay-bob") !== null }, waitMs, "the relay is listed")
        const state = findChild(findChild(win.shell, "relay-bob"), "relayState")
        tryVerify(function () { return state.text.indexOf("waiting at last contact") >= 0 && state.text.indexOf("last contact") >= 0 }, 10000, state.text)
        const listed = cli(homeA, ["relay", "list"]).relays.filter(function (r) { return r.petname === "bob" })[0]
        verify(state.text.indexOf(listed.lastContact === null ? "never" : "last contact ") >= 0, state.text)
        scrollIntoView(findChild(win.shell, "relay-bob"))
        screenshot("node-relays", false, ["Relays I use", "waiting at last contact"])
        scrollIntoView(findChild(win.shell, "dropRelay-bob"))
        mouseClick(findChild(win.shell, "dropRelay-bob"))
        untilTrue(function () { return cli(homeA, ["relay", "list"]).relays.length === 0 }, waitMs, "the relay is dropped")
        tryVerify(function () { return findChild(win.shell, "relay-bob") === null }, waitMs)
    }

    // bob introduces carol to alice twice: alice ignores one introduction and accepts the other in
    // the shell, carol accepts with the CLI, and they are contacts; then alice introduces bob and carol.
    function test_4e_introductionsInContacts() {
        verify(harness.startNode(homeC, "carol"), "a third node starts")
        cli(homeC, ["contact", "add", cli(homeB, ["invite"]).link, "--petname", "bob"])
        cli(homeB, ["contact", "introduce", "alice", "carol"])
        cli(homeB, ["contact", "introduce", "alice", "carol"])
        const intros = cli(homeA, ["contact", "introductions"])
        compare(intros.length, 2)
        win.shell.openSection("contacts")
        tryVerify(function () { return findChild(win.shell, "intro-" + intros[0].id) !== null && findChild(win.shell, "intro-" + intros[1].id) !== null }, waitMs, "both introductions are listed")
        tryVerify(function () { return visibleText(win.contentItem, "carol, introduced by bob") }, 10000)
        const accept = findChild(win.shell, "acceptIntro-" + intros[1].id)
        verify(accept.height >= 48)
        mouseClick(scrollIntoView(findChild(win.shell, "ignoreIntro-" + intros[0].id)))
        untilTrue(function () { return cli(homeA, ["contact", "introductions"]).length === 1 }, waitMs, "the ignored one is gone from the core")
        tryVerify(function () { return findChild(win.shell, "intro-" + intros[0].id) === null }, waitMs, "and from the page")
        mouseClick(scrollIntoView(findChild(win.shell, "acceptIntro-" + intros[1].id)))
        tryVerify(function () { const s = findChild(findChild(win.shell, "intro-" + intros[1].id), "introState"); return s !== null && s.text === "Accepted, waiting for them" }, waitMs)
        const theirs = cli(homeC, ["contact", "introductions"]).filter(function (i) { return i.nick === "alice" })
        verify(theirs.length >= 1, "carol got an introduction of alice")
        cli(homeC, ["contact", "accept", theirs[theirs.length - 1].id])
        tryVerify(function () { return findChild(win.shell, "contact-carol") !== null }, waitMs, "carol becomes alice's contact")
        verify(cli(homeA, ["contact", "list"]).some(function (c) { return c.petname === "carol" }))

        const first = findChild(win.shell, "introduceFirst")
        const second = findChild(win.shell, "introduceSecond")
        tryVerify(function () { return first.count === 2 && first.visible }, 10000)
        first.currentIndex = first.find("bob")
        second.currentIndex = second.find("carol")
        mouseClick(scrollIntoView(findChild(win.shell, "introduceButton")))
        tryVerify(function () { return visibleText(win.contentItem, "Introduced bob and carol (reached: ") }, waitMs, "the introduction went out")
    }

    // A home whose keys are protected: the shell asks for the passphrase, says when it is wrong,
    // and starts the core with the right one.
    function test_4f_protectedHomeAsksForPassphrase() {
        const homeD = harness.newHome("dora")
        const passphraseFile = harness.newHome("dora-secret") + "/passphrase"
        harness.writeFile(passphraseFile, "correct horse")
        cli(homeD, ["--passphrase-file", passphraseFile, "init", "--nick", "dora", "--protect"])
        const w = remoteWindowComponent.createObject(null)
        verify(w !== null)
        try {
            w.link.home = homeD
            w.link.daemonArgs = harness.localDaemonArgs
            w.link.start()
            tryCompare(w.link, "state", "needsPassphrase", waitMs)
            tryVerify(function () { return visibleText(w.contentItem, "Unlock your node", w) }, 10000)
            const field = findChild(w.shell, "passphraseField")
            const unlock = findChild(w.shell, "unlockButton")
            verify(unlock.height >= 48)
            compare(findChild(w.shell, "unlockError").visible, false)
            field.text = "wrong horse"
            mouseClick(unlock)
            tryCompare(w.link, "errorCode", "WRONG_PASSPHRASE", waitMs)
            compare(w.link.state, "needsPassphrase")
            tryVerify(function () { return visibleText(w.contentItem, "does not open the keys", w) }, 10000, "the wrong passphrase is said")
            compare(findChild(w.shell, "passphraseField").text, "", "the field does not keep the passphrase")
            findChild(w.shell, "passphraseField").text = "correct horse"
            mouseClick(findChild(w.shell, "unlockButton"))
            tryVerify(function () { return w.shell.api.ready }, waitMs, "the core started with the passphrase")
            verify(w.link.startedCore)
            let status = null
            w.shell.api.call("status").then(function (s) { status = s }, function (e) { status = e })
            tryVerify(function () { return status !== null }, waitMs)
            compare(status.protected, true)
            compare(status.nick, "dora")
        } finally {
            w.link.stopCore()
            w.destroy()
        }
    }

    Component { id: otherWindow; Window { width: 200; height: 200; visible: true } }

    // Another window takes the focus: a post by bob becomes a desktop notification (read from the
    // shell's Notifier) and stays unread; my own post gets none; with the window active, none.
    function test_4g_notificationsWhileTheWindowIsInactive() {
        const notifier = win.shell.notifier
        verify(notifier !== null)
        const other = otherWindow.createObject(null)
        try {
            other.requestActivate()
            tryVerify(function () { return !win.shell.windowActive }, 10000, "the shell's window is not active")
            const before = notifier.count
            cli(homeA, ["post", "garden", "my own words"])
            cli(homeB, ["post", "garden", "ping for alice"])
            tryCompare(notifier, "lastBody", "ping for alice", waitMs, "bob's post is notified")
            compare(notifier.lastTitle, "bob in garden")
            compare(notifier.count, before + 1, "one notification: none for my own post")
            const garden = cli(homeA, ["place", "list"]).filter(function (p) { return p.place === gardenId })[0]
            verify(garden.unread >= 1, "peeking for the notification left it unread")
        } finally {
            other.destroy()
        }
        win.requestActivate()
        tryVerify(function () { return win.shell.windowActive }, 10000, "the shell's window is active again")
        const count = notifier.count
        const unreadBefore = win.shell.api.status.unreadByPlace[gardenId] || 0
        cli(homeB, ["post", "garden", "seen live"])
        tryVerify(function () { return (win.shell.api.status.unreadByPlace[gardenId] || 0) > unreadBefore }, waitMs, "the post arrived")
        wait(500)
        compare(notifier.count, count, "no notification while the window is active")
    }

    // A shell paired with alice's core through a one-time code (`secushare pair`), as with
    // `secushare-qt --core ws://HOST:PORT --pair CODE --token-file FILE`: it gets its own UI token,
    // saves it, and a used code is refused.
    function test_4h_pairingWithACode() {
        const pairing = cli(homeA, ["pair", "--name", "test-shell"])
        const coreUrl = win.link.url.replace(/\/webchannel$/, "")
        const tokenFile = harness.newHome("paired") + "/token"
        const w = remoteWindowComponent.createObject(null)
        verify(w !== null)
        try {
            w.link.coreUrl = coreUrl
            w.link.pairCode = pairing.code
            w.link.tokenFile = tokenFile
            w.link.start()
            tryVerify(function () { return w.shell.api.ready }, waitMs, "paired and connected: " + w.link.errorMessage)
            compare(w.link.pairCode, "", "the code is used up")
            const tokens = cli(homeA, ["ui-tokens", "list"])
            verify(tokens.some(function (t) { return t.name === "test-shell" && t.connections >= 1 }), JSON.stringify(tokens))
            w.shell.openSection("places")
            tryVerify(function () { return visibleText(w.contentItem, "garden", w) }, waitMs, "the paired shell shows alice's places")
        } finally {
            w.destroy()
        }
        // the token was saved: a link with only the token file connects
        const again = createTemporaryQmlObject("import Secushare; CoreLink {}", t)
        again.coreUrl = coreUrl
        again.tokenFile = tokenFile
        again.start()
        tryCompare(again, "state", "connected", waitMs)
        // the code works once
        const reused = createTemporaryQmlObject("import Secushare; CoreLink {}", t)
        reused.coreUrl = coreUrl
        reused.pairCode = pairing.code
        reused.start()
        tryCompare(reused, "state", "failed", waitMs)
        compare(reused.errorCode, "RPC_UNAUTHORIZED")
    }

    function screenshot(name, expectWide, texts) {
        tryCompare(win.shell, "wide", expectWide, 5000)
        const stack = findChild(win.shell, "stackView")
        if (stack) tryCompare(stack, "busy", false, 10000) // not mid-transition
        for (let i = 0; i < texts.length; i++)
            tryVerify(function () { return visibleText(win.contentItem, texts[i]) }, waitMs, name + " shows " + texts[i])
        compare(findChild(win.shell, "splitView") !== null, expectWide, "split panes only in the wide layout")
        compare(findChild(win.shell, "stackView") !== null, !expectWide, "the stack only in the narrow layout")
        waitForRendering(win.contentItem)
        const image = grabImage(win.contentItem)
        compare(image.width, win.width)
        const colors = {}
        for (let x = 5; x < image.width; x += Math.floor(image.width / 23))
            for (let y = 5; y < image.height; y += Math.floor(image.height / 37))
                colors[image.pixel(x, y)] = true
        verify(Object.keys(colors).length >= 3, name + " is not blank")
        image.save(harness.screenshotDir + "/" + name + "-" + win.width + "x" + win.height + ".png")
    }

    function test_5_screenshots_data() {
        return [{ tag: "phone", w: 390, h: 844, wide: false }, { tag: "desktop", w: 1280, h: 800, wide: true }]
    }
    function test_5_screenshots(data) {
        win.width = data.w
        win.height = data.h
        // the other layout is gone before anything in it is looked up
        tryVerify(function () { return (findChild(win.shell, "splitView") !== null) === data.wide && (findChild(win.shell, "stackView") !== null) === !data.wide }, 10000)
        waitForRendering(win.contentItem)
        win.shell.openSection("contacts")
        tryVerify(function () { return visibleText(win.contentItem, "Create invite link") }, waitMs)
        waitForRendering(win.contentItem)
        mouseClick(findChild(win.shell, "inviteButton"))
        tryVerify(function () { const qr = findChild(win.shell, "inviteQr"); return qr !== null && qr.status === Image.Ready && qr.implicitWidth > 0 }, waitMs, "the invite's QR code is drawn")
        screenshot("contacts", data.wide, ["bob", "secushare:invite/"])
        win.shell.openSection("places")
        screenshot("places", data.wide, ["garden"])
        win.shell.openPlace(gardenId, "garden")
        screenshot("place", data.wide, ["hello from bob", "hello from alice"])
        const composer = findChild(win.shell, "composerField")
        composer.text = "a draft " + data.tag
        screenshot("compose", data.wide, ["a draft " + data.tag])
        composer.text = ""
    }

    function test_6_coreStoppedShowsNotReachableAndReconnects() {
        win.link.stopCore()
        tryVerify(function () { return visibleText(win.contentItem, "Core not reachable") }, waitMs)
        verify(!win.shell.api.ready)
        win.link.retry()
        tryVerify(function () { return win.shell.api.ready }, waitMs, "reconnected once the core is back")
    }

    function test_7_badTokenIsAClearError() {
        const link = createTemporaryQmlObject("import Secushare; CoreLink {}", t)
        link.coreUrl = win.link.url
        link.tokenFile = harness.newHome("bad-token") + "/token"
        harness.writeFile(link.tokenFile, "00".repeat(32))
        link.start()
        tryCompare(link, "state", "failed", waitMs)
        compare(link.errorCode, "RPC_UNAUTHORIZED")
    }

    // Switches a shell linked to a test double back to the real core (alice's) and checks it works.
    function switchToRealCore(w) {
        w.link.coreUrl = win.link.url
        w.link.tokenFile = homeA + "/token"
        w.link.transport.close()
        tryVerify(function () { return w.link.state !== "connected" }, 10000, "the link to the test double is closed")
        w.link.retry()
        tryVerify(function () { return w.shell.api.ready }, waitMs, "the same shell then works with the real core")
        compare(w.shell.api.protocolError, "", "the error is cleared once a compatible core answers")
        w.shell.openSection("places")
        tryVerify(function () { return visibleText(w.contentItem, "garden", w) }, waitMs, "the real core's places are shown")
    }

    // A stand-in for a core of another version (qt-shell/tests/incompatible-core.mjs): it accepts the
    // token and speaks QWebChannel, but publishes a `secushare` object lacking the methods this shell
    // needs. The shell says so, keeps running, and never shows the interface for it.
    function test_8_incompatibleCoreIsAClearError() {
        const tokenFile = harness.newHome("incompatible") + "/token"
        harness.writeFile(tokenFile, "ab".repeat(32))
        const url = harness.startIncompatibleCore("incompatible", tokenFile)
        verify(url !== "", "the incompatible test core started")
        const w = openRemoteShell(url, tokenFile)
        try {
            tryCompare(w.link, "state", "connected", waitMs)
            tryVerify(function () { return w.shell.api.protocolError !== "" }, waitMs, "the shell noticed the missing methods")
            verify(w.shell.api.protocolError.indexOf("feed") >= 0, w.shell.api.protocolError)
            tryVerify(function () { return visibleText(w.contentItem, "incompatible version", w) }, 10000, "the error is on screen")
            verify(!w.shell.api.ready, "no interface over an incompatible core")
            compare(findChild(w.shell, "placesPage"), null)
            waitForRendering(w.contentItem)
            verify(win.shell.api.ready, "the shell on the real core is unaffected")
            switchToRealCore(w)
        } finally {
            w.destroy()
        }
    }

    // A test double that publishes usable objects, then sends malformed frames (garbage JSON, a
    // signal with non-array arguments, a response nobody asked for, …): the banner says the core sent
    // something unreadable, and the shell stays connected and usable.
    function test_9_malformedEventsAreAClearError() {
        const tokenFile = harness.newHome("malformed") + "/token"
        harness.writeFile(tokenFile, "cd".repeat(32))
        const url = harness.startIncompatibleCore("malformed", tokenFile)
        verify(url !== "", "the malformed test core started")
        const w = openRemoteShell(url, tokenFile)
        try {
            tryVerify(function () { return w.shell.api.ready }, waitMs, "the objects it publishes are accepted")
            tryVerify(function () { return w.shell.api.protocolError !== "" }, waitMs, "the malformed frames were noticed")
            tryVerify(function () { return visibleText(w.contentItem, "The core sent something this shell cannot read", w) }, 10000, "the banner shows it")
            const banner = findChild(w.shell, "errorBanner")
            verify(banner !== null && banner.visible)
            verify(w.shell.api.ready, "still connected after the malformed frames")
            compare(w.link.state, "connected")
            let answered = null
            w.shell.api.call("status").then(function (s) { answered = s }, function (e) { answered = e })
            tryVerify(function () { return answered !== null }, waitMs, "calls are still answered")
            compare(answered.peers, 0)
            waitForRendering(w.contentItem)
            switchToRealCore(w)
        } finally {
            w.destroy()
        }
    }
}
