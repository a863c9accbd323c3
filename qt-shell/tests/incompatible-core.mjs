#!/usr/bin/env node
// A stand-in for a core this shell cannot use, for the Qt Quick tests (never shipped, never a real
// core): it listens on 127.0.0.1, checks the bearer token and the subprotocol exactly as the daemon
// does (core/rpc/server.ts), and speaks the QWebChannel protocol — but wrongly, in one of two ways:
//
//   --mode incompatible  publishes a `secushare` object lacking most of the methods this shell
//                        needs (as a core of another version would) and no `node` object.
//   --mode malformed     publishes objects the shell accepts, answers every call with an empty
//                        result, and once the shell has connected to its signals sends malformed
//                        frames: garbage JSON, a JSON array, `null`, a signal with non-array
//                        arguments, signals for unknown objects and indices, a response to an id
//                        nobody asked for, a property update that is not a list.
//
// Usage: node incompatible-core.mjs --mode MODE --token-file FILE
// Prints one line {"url":"ws://127.0.0.1:PORT"} once listening; stops on SIGTERM or stdin EOF.
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'))
const { WebSocketServer } = require('ws')

const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined }
const mode = arg('--mode')
const tokenFile = arg('--token-file')
if (!['incompatible', 'malformed'].includes(mode) || !tokenFile) {
  process.stderr.write('usage: incompatible-core.mjs --mode incompatible|malformed --token-file FILE\n')
  process.exit(2)
}
const token = readFileSync(tokenFile, 'utf8').trim()
const SUBPROTOCOL = 'secushare.webchannel.v1'

// The methods the shell's pages call (qml/*.qml `api.call`); the incompatible mode keeps only the
// first two, as a core of another version might.
const FULL = ['status', 'placeList', 'feed', 'post', 'contactList', 'inviteCreate', 'contactAdd', 'profileShow', 'profileSet',
  'dmFeed', 'nearbyList', 'placeAddress', 'placeAdmit', 'placeCreate', 'placeInvitations', 'placeInvite', 'placeJoin',
  'placeLeave', 'placeRefuse', 'placeRequest', 'placeRequests', 'placeSet', 'placeState']
const SIGNALS = ['message', 'contactOnline', 'contactOffline', 'invitation', 'placeJoined', 'placeCreated', 'entryRequest', 'eventsLost']
const FIELDS = ['peers', 'contacts', 'contactsOnline', 'places', 'unread', 'unreadByPlace']
const STATUS = { peers: 0, contacts: 0, contactsOnline: 0, places: 0, unread: 0, unreadByPlace: {} }

function describe () {
  const methods = mode === 'incompatible' ? FULL.slice(0, 2) : FULL
  const objects = {
    secushare: {
      methods: methods.map((m, i) => [m, i]),
      signals: SIGNALS.map((s, i) => [s, methods.length + i]),
      properties: [],
      enums: {}
    }
  }
  if (mode === 'malformed') {
    objects.node = {
      methods: [],
      signals: [],
      properties: FIELDS.map((f, i) => [i, f, [1, FIELDS.length + i], STATUS[f]]),
      enums: {}
    }
  }
  return objects
}

function malformedFrames () {
  const message = FULL.length + SIGNALS.indexOf('message')
  return [
    'this is not JSON {',
    '[1, 2, 3]',
    'null',
    JSON.stringify({ type: 1, object: 'secushare', signal: message, args: 42 }),
    JSON.stringify({ type: 1, object: 'nosuchobject', signal: 0, args: [] }),
    JSON.stringify({ type: 1, object: 'secushare', signal: 9999, args: [{}] }),
    JSON.stringify({ type: 1, object: 'secushare', signal: message, args: ['not an event'] }),
    JSON.stringify({ type: 10, id: 987654, data: null }),
    JSON.stringify({ type: 2, data: 'not a list' }),
    JSON.stringify({ type: 77, data: {} })
  ]
}

const http = createServer((req, res) => { res.writeHead(404); res.end() })
const wss = new WebSocketServer({
  noServer: true,
  handleProtocols: (protocols) => protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false
})
http.on('upgrade', (req, socket, head) => {
  if (req.headers.authorization !== `Bearer ${token}`) {
    socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
    return
  }
  wss.handleUpgrade(req, socket, head, (ws) => serve(ws))
})

function serve (ws) {
  let sent = false
  ws.on('message', (raw) => {
    let msg
    try { msg = JSON.parse(raw.toString()) } catch { return }
    if (msg === null || typeof msg !== 'object') return
    if (msg.type === 3) ws.send(JSON.stringify({ type: 10, id: msg.id, data: describe() }))
    else if (msg.type === 6) {
      const data = msg.method === 'status' || msg.method === 0 ? STATUS : /List$|[fF]eed$|^placeInvitations$|^placeRequests$/.test(String(msg.method)) ? [] : {}
      ws.send(JSON.stringify({ type: 10, id: msg.id, data }))
    } else if (msg.type === 7 && mode === 'malformed' && !sent) {
      // the shell has finished attaching: now the bad frames
      sent = true
      setTimeout(() => { for (const f of malformedFrames()) if (ws.readyState === ws.OPEN) ws.send(f) }, 200)
    }
  })
}

http.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ url: `ws://127.0.0.1:${http.address().port}` }) + '\n')
})
const stop = () => { wss.clients.forEach((c) => c.terminate()); http.close(); process.exit(0) }
process.on('SIGTERM', stop)
process.stdin.on('end', stop)
process.stdin.resume()
