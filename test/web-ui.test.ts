/**
 * The web UI the daemon serves (web/, core/rpc/web.ts) in headless Chromium against two real
 * daemons on 127.0.0.1: pairing with a code from `secushare pair`, a place's feed, posting, live
 * updates; and a page of another origin that can neither read nor call anything.
 */
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { readRpcFiles } from '../core/daemon/files.js'
import { connectRpc } from '../core/rpc/client.js'
import type { Service } from '../core/rpc/service.js'
import { launchChromium, type Browser, type Page } from './support/browser.js'
import { cli, feedJson, runJson } from './support/cli.js'
import { eventually, startDaemonProcess, type RunningDaemon } from './support/daemon.js'
import { REPO_ROOT, tempDir } from './support/tmp.js'

/** Where the screenshots go (beside the Qt shell's, under build/). */
const SCREENSHOTS = process.env.SECUSHARE_SCREENSHOTS ?? join(REPO_ROOT, 'build', 'screenshots')

describe('the web UI in headless Chromium (127.0.0.1)', function () {
  this.timeout(300_000)
  const root = tempDir()
  const A = join(root, 'a')
  const B = join(root, 'b')
  const d: Record<string, RunningDaemon> = {}
  let browser: Browser
  let page: Page
  let place: string
  let web: string

  before(async () => {
    for (const [h, nick] of [[A, 'alice'], [B, 'bob']] as const) assert.equal(cli(['--home', h, 'init', '--nick', nick]).code, 0)
    d.a = await startDaemonProcess(A)
    d.b = await startDaemonProcess(B)
    runJson(B, 'contact', 'add', runJson(A, 'invite').link, '--petname', 'alice')
    place = runJson(A, 'place', 'create', 'garden', '--history', 'all').place
    runJson(A, 'place', 'invite', place, 'bob')
    assert.ok(await eventually(() => (runJson(B, 'place', 'invitations') as any[]).some((i) => i.place === place), 15_000), 'bob is invited')
    runJson(B, 'place', 'join', place)
    runJson(A, 'place', 'set', place, '_topic', 'seeds and weeds')
    assert.equal(runJson(B, 'post', place, 'hello from bob').pending, false)
    web = d.a.ready.web!
    assert.equal(web, readRpcFiles(A).info.web, 'the readiness line and rpc.json name the web UI')
    browser = await launchChromium()
    page = await browser.newPage()
  })
  after(async () => {
    await browser?.close()
    await Promise.all(Object.values(d).map(async (x) => await x.stop()))
  })

  it('asks for a pairing code, and says so when one is wrong', async () => {
    await page.goto(web)
    await page.locator('#code').waitFor({ state: 'visible', timeout: 20_000 })
    await page.fill('#code', 'WRONG-CODE')
    await page.click('#pair-form button[type=submit]')
    await page.locator('#banner', { hasText: 'refused this code' }).waitFor({ timeout: 20_000 })
    assert.equal(await page.evaluate(() => (globalThis as any).localStorage.getItem('secushare.uiToken')), null)
  })

  it("pairs, shows a place's feed and topic, posts a message the other node receives, and shows new posts live", async () => {
    const pair = runJson(A, 'pair', '--name', 'browser')
    assert.deepEqual(pair.web, [web], '`pair` names the web UI')
    await page.fill('#code', pair.code.toLowerCase().replace(/^(....)/, '$1-')) // typed as a person might
    await page.click('#pair-form button[type=submit]')
    await page.locator('#places li', { hasText: 'garden' }).click({ timeout: 20_000 })
    await page.locator('#feed li', { hasText: 'hello from bob' }).waitFor({ timeout: 20_000 })
    assert.equal(await page.textContent('#topic'), 'seeds and weeds')
    assert.equal(await page.locator('#feed li', { hasText: 'hello from bob' }).locator('.author').textContent(), 'bob')
    assert.ok(await page.locator('#contacts li', { hasText: 'bob' }).isVisible())
    assert.deepEqual((runJson(A, 'ui-tokens', 'list') as any[]).map((t) => t.name), ['browser'], 'the browser holds its own UI token')

    await page.fill('#text', 'hello from the browser')
    await page.click('#composer button[type=submit]')
    await page.locator('#feed li', { hasText: 'hello from the browser' }).waitFor({ timeout: 20_000 })
    assert.ok(await eventually(() => feedJson(B, place).some((m) => m.text === 'hello from the browser' && m.authorPetname === 'alice'), 20_000),
      'bob receives the post, from alice')

    assert.equal(runJson(B, 'post', place, 'live from bob').pending, false)
    await page.locator('#feed li', { hasText: 'live from bob' }).waitFor({ timeout: 20_000 }) // no reload

    // a reaction is counted under its post, not shown as a post
    const mine = feedJson(A, place).find((m) => m.text === 'hello from the browser')
    const bRpc = await connectRpc<Service>(readRpcFiles(B).info.url, readRpcFiles(B).token)
    try { assert.equal((await bRpc.call.react({ place, id: mine.id, reaction: '👍' })).pending, false) } finally { await bRpc.close() }
    await page.locator('#feed li', { hasText: 'hello from the browser' }).locator('.reactions', { hasText: '👍 1' }).waitFor({ timeout: 20_000 })
    assert.equal(await page.locator('#feed li', { hasText: '👍' }).count(), 1)

    // phone and desktop widths: the feed and the composer stay usable; saved for people to look at
    for (const [width, height] of [[390, 844], [1280, 800]] as const) {
      await page.setViewportSize({ width, height })
      await page.locator('#feed li', { hasText: 'live from bob' }).scrollIntoViewIfNeeded()
      assert.ok(await page.locator('#feed li', { hasText: 'live from bob' }).isVisible(), `${width}x${height}: the feed`)
      const send = await page.locator('#composer button[type=submit]').boundingBox()
      assert.ok(send !== null && send.x + send.width <= width, `${width}x${height}: the send button is inside the window`)
      mkdirSync(SCREENSHOTS, { recursive: true })
      await page.screenshot({ path: join(SCREENSHOTS, `web-place-${width}x${height}.png`), fullPage: true })
    }
  })

  it('a page of another origin can neither read nor call anything, even holding a valid UI token', async () => {
    const token = await page.evaluate(() => (globalThis as any).localStorage.getItem('secushare.uiToken'))
    assert.match(token ?? '', /^ui\./)
    const evil: Server = createServer((_req, res) => { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end('<!doctype html><title>elsewhere</title>') })
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve))
    try {
      const other = await browser.newPage()
      await other.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`)
      const wsBase = web.replace(/^http:/, 'ws:').replace(/\/$/, '')
      const r = await other.evaluate(async ({ wsBase, web, token, place }) => {
        const attempt = async (path: string, protocols: string[], frame: unknown): Promise<string> => await new Promise((resolve) => {
          const s = new (globalThis as any).WebSocket(wsBase + path, protocols)
          s.onopen = () => { s.send(JSON.stringify(frame)); resolve('open') }
          s.onclose = () => { resolve('refused') }
        })
        const channel = await attempt('/webchannel', ['secushare.webchannel.v1', 'secushare.token.' + token],
          { type: 6, object: 'secushare', method: 'post', args: [{ place, text: 'from elsewhere' }], id: 1 })
        const rpc = await attempt('/rpc', ['secushare.rpc.v1', 'secushare.token.' + token],
          { jsonrpc: '2.0', id: 1, method: 'post', params: { place, text: 'from elsewhere' } })
        let read: string
        try { read = await (await fetch(web)).text() } catch { read = 'blocked' }
        return { channel, rpc, read, stored: (globalThis as any).localStorage.getItem('secushare.uiToken') }
      }, { wsBase, web, token, place })
      assert.deepEqual(r, { channel: 'refused', rpc: 'refused', read: 'blocked', stored: null })
      await other.close()
    } finally {
      evil.close()
    }
    assert.ok(!feedJson(A, place).some((m) => m.text === 'from elsewhere'), 'nothing was posted')
  })
})
