// The secushare web UI: Qt's qwebchannel.js (loaded before this file) over a WebSocket to the
// daemon that served this page. Everything shown from the network goes through textContent,
// never HTML. See docs/web-ui.md.
'use strict'

const TOKEN_KEY = 'secushare.uiToken'
const RETRY_MS = 3000
const FEED_PAGE = 200
const wsBase = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host
const $ = (id) => document.getElementById(id)

let svc = null
let node = null
let transport = null
let current = null
let lastShown = 0
let replyTo = null
let retryTimer = null

function el (tag, cls, text) {
  const e = document.createElement(tag)
  if (cls) e.className = cls
  if (text !== undefined) e.textContent = text
  return e
}

function banner (text) {
  $('banner').textContent = text || ''
  $('banner').hidden = !text
}

function show (view) {
  $('pairing').hidden = view !== 'pairing'
  $('app').hidden = view !== 'app'
  $('forget').hidden = view !== 'app'
}

// A service call; a refusal becomes an Error carrying the daemon's message and code.
async function call (method, params) {
  try {
    return await svc[method](params || {})
  } catch {
    const e = transport && transport.lastError
    const err = new Error(e ? e.message : method + ' failed')
    err.code = e ? e.code : 'INTERNAL'
    throw err
  }
}

// Exchanges a pairing code for this browser's own UI token at /pair.
function pair (code) {
  const norm = code.toUpperCase().replace(/[\s-]/g, '')
  return new Promise((resolve, reject) => {
    if (!/^[0-9A-Z]{4,64}$/.test(norm)) { reject(new Error('a pairing code is letters and digits, as `secushare pair` prints it')); return }
    let answered = false
    const ws = new WebSocket(wsBase + '/pair', ['secushare.pair.v1', 'secushare.token.' + norm])
    ws.onmessage = (ev) => {
      answered = true
      let a = null
      try { a = JSON.parse(ev.data) } catch { /* below */ }
      if (a && typeof a.token === 'string') resolve(a.token)
      else reject(new Error((a && a.error && a.error.message) || 'the node sent no token'))
    }
    ws.onclose = () => { if (!answered) reject(new Error('the node refused this code: wrong, already used or expired (run `secushare pair` again)')) }
  })
}

async function daemonReachable () {
  try { return (await fetch('/', { cache: 'no-store' })).ok } catch { return false }
}

function retryLater () {
  clearTimeout(retryTimer)
  retryTimer = setTimeout(connect, RETRY_MS)
}

function connect () {
  const token = localStorage.getItem(TOKEN_KEY)
  if (!token) { show('pairing'); return }
  let opened = false
  const ws = new WebSocket(wsBase + '/webchannel', ['secushare.webchannel.v1', 'secushare.token.' + token])
  transport = { send: (d) => ws.send(d), onmessage: null, lastError: null }
  const t = transport
  ws.onmessage = (ev) => {
    try {
      const m = JSON.parse(ev.data)
      if (m && m.type === 10 && m.error) t.lastError = m.error
    } catch { /* qwebchannel.js reports it */ }
    if (t.onmessage) t.onmessage(ev)
  }
  ws.onopen = () => {
    opened = true
    new QWebChannel(t, (channel) => { start(channel.objects).catch((e) => banner(e.message)) })
  }
  ws.onclose = async () => {
    svc = null
    if (opened) { banner('Connection to the node lost; reconnecting…'); retryLater(); return }
    if (await daemonReachable()) {
      localStorage.removeItem(TOKEN_KEY)
      banner('The node no longer accepts this browser (its token was revoked). Pair it again.')
      show('pairing')
    } else {
      banner('The node is not reachable; retrying…')
      retryLater()
    }
  }
}

async function start (objects) {
  svc = objects.secushare
  node = objects.node
  banner('')
  show('app')
  for (const p of ['peers', 'contacts', 'contactsOnline', 'unread']) node[p + 'Changed'].connect(renderStatus)
  node.unreadByPlaceChanged.connect(() => { loadPlaces().catch(report) })
  // other places' unread counts follow node.unreadByPlace (above)
  svc.message.connect((m) => { if (current && m.place === current) loadNew().catch(report) })
  for (const s of ['placeJoined', 'placeCreated']) svc[s].connect(() => { loadPlaces().catch(report) })
  for (const s of ['contactOnline', 'contactOffline']) svc[s].connect(() => { loadContacts().catch(report) })
  renderStatus()
  await Promise.all([loadPlaces(), loadContacts()])
  if (current) await openPlace(current)
}

function report (e) { banner(e.message + (e.code ? ' (' + e.code + ')' : '')) }

function renderStatus () {
  if (!node) return
  $('status').textContent = node.peers + ' peers · ' + node.contactsOnline + '/' + node.contacts + ' contacts online · ' + node.unread + ' unread'
}

async function loadPlaces () {
  const places = (await call('placeList')).filter((p) => !p.home)
  const ul = $('places')
  ul.replaceChildren()
  for (const p of places) {
    const li = el('li')
    li.tabIndex = 0
    li.dataset.place = p.place
    li.setAttribute('role', 'button')
    if (p.place === current) li.setAttribute('aria-current', 'true')
    li.append(el('span', '', (p.dm ? '@' + p.dm : p.name) + (p.host ? ' (host)' : '') + (p.closed ? ' (closed)' : '')))
    if (p.unread > 0 && p.place !== current) li.append(el('span', 'badge', String(p.unread)))
    const open = () => { openPlace(p.place).catch(report) }
    li.addEventListener('click', open)
    li.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open() } })
    ul.append(li)
  }
  $('places-empty').hidden = places.length > 0
  return places
}

async function loadContacts () {
  const contacts = await call('contactList')
  const ul = $('contacts')
  ul.replaceChildren()
  for (const c of contacts) {
    const li = el('li', c.online ? 'online' : 'offline', c.petname)
    li.title = c.nick + ' · ' + c.fingerprint
    ul.append(li)
  }
  $('contacts-empty').hidden = contacts.length > 0
}

async function openPlace (place) {
  current = place
  lastShown = 0
  setReply(null)
  $('feed').replaceChildren()
  const info = (await loadPlaces()).find((p) => p.place === place)
  $('place-title').textContent = info ? (info.dm ? '@' + info.dm : info.name) : place.slice(0, 12)
  const state = await call('placeState', { place })
  $('topic').textContent = typeof state._topic === 'string' ? state._topic : ''
  $('composer').hidden = !info || info.closed
  await loadNew()
}

async function loadNew () {
  const place = current
  const items = await call('feed', lastShown === 0 ? { place, limit: FEED_PAGE } : { place, since: lastShown, limit: FEED_PAGE })
  if (place !== current) return
  for (const m of items) {
    if (m.id <= lastShown) continue
    lastShown = m.id
    if (m.method === '_converse_reaction' && m.replyTo && addReaction(m)) continue
    $('feed').append(renderItem(m))
  }
  const feed = $('feed')
  feed.scrollTop = feed.scrollHeight
  if (items.length === FEED_PAGE) await loadNew()
}

// A reaction is counted under the post it answers (once per author and reaction), when that post
// is shown; otherwise it is shown like a post.
function addReaction (m) {
  const target = $('feed').querySelector('li[data-id="' + m.replyTo + '"] .reactions')
  if (!target) return false
  const key = m.text || ''
  const by = JSON.parse(target.dataset.by || '{}')
  by[key] = by[key] || []
  if (!by[key].includes(m.author)) by[key].push(m.author)
  target.dataset.by = JSON.stringify(by)
  target.textContent = Object.entries(by).map(([r, authors]) => r + ' ' + authors.length).join('  ')
  target.hidden = false
  return true
}

function renderItem (m) {
  const li = el('li', m.replyTo ? 'reply' : '')
  li.dataset.id = String(m.id)
  const meta = el('div', 'meta')
  meta.append(el('span', 'author', m.authorPetname || m.author.slice(0, 12)))
  meta.append(el('time', '', new Date(m.time).toLocaleString()))
  if (m.replyTo) meta.append(el('span', '', '↳ #' + m.replyTo))
  if (m.delivery) {
    const d = m.delivery
    meta.append(el('span', 'delivery', d.state === 'relayed' ? 'waiting at ' + d.relays.join(', ') : d.state))
  }
  li.append(meta)
  if (m.method.startsWith('_converse')) {
    li.append(el('p', 'text', m.text || ''))
    const reactions = el('p', 'reactions')
    reactions.hidden = true
    li.append(reactions)
    const r = el('button', 'reply-button', 'Reply')
    r.type = 'button'
    r.addEventListener('click', () => setReply(m))
    li.append(r)
  } else {
    li.append(el('p', 'notice', noticeText(m.method) + (m.text ? ': ' + m.text : '')))
  }
  return li
}

// Host notices, in words; an unknown method falls back to its name (PSYC inheritance: the most
// specific known prefix).
const NOTICES = [
  ['_notice_place_enter', 'members joined'],
  ['_notice_place_leave', 'members left'],
  ['_notice_place_closing', 'the place was closed'],
  ['_notice_set', 'the place was changed'],
  ['_notice', 'notice']
]
function noticeText (method) {
  const known = NOTICES.find(([prefix]) => method === prefix || method.startsWith(prefix + '_'))
  return known ? known[1] : method
}

function setReply (m) {
  replyTo = m ? m.id : null
  $('reply-note').hidden = !m
  $('reply-text').textContent = m ? 'Replying to ' + (m.authorPetname || 'someone') + ': ' + (m.text || '').slice(0, 80) : ''
}

$('composer').addEventListener('submit', async (e) => {
  e.preventDefault()
  const text = $('text').value.trim()
  if (!text || !current) return
  try {
    const r = await call('post', replyTo ? { place: current, text, replyTo } : { place: current, text })
    $('text').value = ''
    setReply(null)
    banner(r.pending ? 'The host is not reachable now: your post is kept and delivered when it is.' : '')
    await loadNew()
  } catch (err) { report(err) }
})
$('text').addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $('composer').requestSubmit() }
})
$('reply-cancel').addEventListener('click', () => setReply(null))

$('pair-form').addEventListener('submit', async (e) => {
  e.preventDefault()
  try {
    localStorage.setItem(TOKEN_KEY, await pair($('code').value))
    $('code').value = ''
    banner('')
    connect()
  } catch (err) { banner(err.message) }
})

$('forget').addEventListener('click', () => {
  localStorage.removeItem(TOKEN_KEY)
  location.reload()
})

connect()
