/**
 * Runs a compiled script inside a private network namespace (`unshare -n`) whose only interface
 * is `lo`, brought up. Multicast (mDNS) sent there cannot leave this machine. Needs root (or
 * unprivileged user namespaces); canUseNetns() says whether it works here and netnsProblem() why not.
 */
import { spawn, spawnSync } from 'node:child_process'

export interface NetnsResult { code: number | null, stdout: string, stderr: string, json: any }

/** `sh -c` inside the namespace: bring lo up, then exec the rest of the arguments. */
const IN_NS = 'ip link set lo up && exec "$@"'

let probe: string | undefined
/** Why a private namespace cannot be made here ('' if it can). Probed once. */
export function netnsProblem (): string {
  if (probe === undefined) {
    const r = spawnSync('unshare', ['-n', 'sh', '-c', IN_NS, 'sh', 'true'], { encoding: 'utf8', timeout: 10_000 })
    probe = r.status === 0 ? '' : `unshare -n failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.trim()}`
  }
  return probe
}

export function canUseNetns (): boolean {
  return netnsProblem() === ''
}

/**
 * Runs `node <script> ...args` in a fresh namespace; kills it after timeoutMs. `json` is the last
 * stdout line parsed as JSON (undefined if it is not JSON). The script must import
 * core/polyfill.js first.
 */
export async function runInNetns (script: string, args: string[] = [], timeoutMs = 60_000): Promise<NetnsResult> {
  const child = spawn('unshare', ['-n', 'sh', '-c', IN_NS, 'sh', process.execPath, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, timeoutMs)
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  clearTimeout(timer)
  let json: unknown
  try { json = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') } catch { json = undefined }
  return { code, stdout, stderr, json }
}
