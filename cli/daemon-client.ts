/** How CLI commands reach the running daemon: rpc.json and token in the home, then JSON-RPC. */
import { readRpcFiles } from '../core/daemon/files.js'
import { connectRpc } from '../core/rpc/client.js'
import type { Service } from '../core/rpc/service.js'
import { isSecushareError, SecushareError } from '../protocol/errors.js'

export async function withDaemon<T> (home: string, fn: (call: Service) => Promise<T>): Promise<T> {
  const { info, token } = readRpcFiles(home)
  let client
  try {
    client = await connectRpc<Service>(info.url, token)
  } catch (e) {
    if (isSecushareError(e, 'DAEMON_UNREACHABLE')) {
      throw new SecushareError('DAEMON_NOT_RUNNING', `the daemon for ${home} (pid ${info.pid}) does not answer at ${info.url}`)
    }
    throw e
  }
  try {
    return await fn(client.call)
  } finally {
    await client.close()
  }
}

/** True when a daemon is running for `home` (its rpc.json names a live process). */
export function daemonRunning (home: string): boolean {
  try {
    readRpcFiles(home)
    return true
  } catch {
    return false
  }
}
