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
        tryVerify(function () {
            const feed = harness.cli(homeB, ["feed", "garden", "--json"]).json || []
            return feed.some(function (p) { return p.text === "hello from alice" })
        }, waitMs, "bob's node has alice's post")
        tryCompare(field, "text", "", 10000)
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
