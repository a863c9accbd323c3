/**
 * Files a running daemon keeps in its home. Contract (scripts and UIs rely on these):
 * - `daemon.lock`: the daemon's pid; one daemon per home. A lock whose pid is gone is stale.
 * - `token` (mode 0600): the RPC token, 64 hex characters, new at every start.
 * - `rpc.json`: `{"url": "ws://HOST:PORT/rpc", "pid": N, "peerId": "...", "auth": [...]}`, written
 *   after the token and only once the RPC server listens; `auth` names how a client may present
 *   the token (`bearer`: `Authorization: Bearer TOKEN`; `subprotocol`: Sec-WebSocket-Protocol
 *   `secushare.rpc.v1, secushare.token.TOKEN`). Removed with the token and lock at a clean stop.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SecushareError } from '../../protocol/errors.js'

export const RPC_FILE = 'rpc.json'
export const TOKEN_FILE = 'token'
export const LOCK_FILE = 'daemon.lock'

export interface RpcEndpoint { url: string, subprotocol: string, auth: string[] }
/**
 * rpc.json: `url`/`auth` are the JSON-RPC endpoint (kept for older clients); `endpoints` names each
 * one; `web` is the web UI's address (null or absent: not served).
 */
export interface RpcInfo { url: string, pid: number, peerId: string, auth: string[], endpoints?: { jsonrpc: RpcEndpoint, webchannel: RpcEndpoint }, web?: string | null }

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes the home's daemon lock or throws DAEMON_RUNNING. Returns the release function. */
export function lockHome (home: string): () => void {
  const path = join(home, LOCK_FILE)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 })
      return () => { rmSync(path, { force: true }) }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number(readFileSync(path, 'utf8').trim())
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new SecushareError('DAEMON_RUNNING', `a daemon (pid ${pid}) is already running for ${home}`, { pid })
      }
      rmSync(path, { force: true }) // stale: its process is gone
    }
  }
  throw new SecushareError('DAEMON_RUNNING', `cannot take the daemon lock in ${home}`)
}

export function writeRpcFiles (home: string, token: string, info: RpcInfo): void {
  writeFileSync(join(home, TOKEN_FILE), token + '\n', { mode: 0o600 })
  const tmp = join(home, `${RPC_FILE}.${process.pid}`)
  writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 })
  renameSync(tmp, join(home, RPC_FILE))
}

export function removeRpcFiles (home: string): void {
  rmSync(join(home, RPC_FILE), { force: true })
  rmSync(join(home, TOKEN_FILE), { force: true })
}

/** The running daemon's address and token, or DAEMON_NOT_RUNNING. */
export function readRpcFiles (home: string): { info: RpcInfo, token: string } {
  const notRunning = (): SecushareError => new SecushareError('DAEMON_NOT_RUNNING',
    `no daemon is running for ${home}; start one with \`secushare --home ${home} daemon\``, { home })
  let info: RpcInfo
  let token: string
  try {
    info = JSON.parse(readFileSync(join(home, RPC_FILE), 'utf8')) as RpcInfo
    token = readFileSync(join(home, TOKEN_FILE), 'utf8').trim()
  } catch {
    throw notRunning()
  }
  if (typeof info.url !== 'string' || typeof info.pid !== 'number' || !alive(info.pid)) throw notRunning()
  return { info, token }
}
