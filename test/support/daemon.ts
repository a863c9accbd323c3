import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { REPO_ROOT } from './tmp.js'

export interface RunningDaemon {
  proc: ChildProcess
  ready: { peerId: string, rpc: string, addrs: string[], web?: string | null }
  stderr: () => string
  /** SIGTERM, then the exit code, or the signal that ended it (SIGKILL after `graceMs`). */
  stop: (graceMs?: number) => Promise<number | string | null>
}

const running = new Set<ChildProcess>()
if (typeof after === 'function') after(() => { for (const p of running) p.kill('SIGKILL') })

/**
 * Starts `secushare daemon` (or `command`) for `home` on 127.0.0.1 (no mDNS unless `extra` says
 * otherwise). `nodeArgs` go to node itself, before the script.
 */
export async function startDaemonProcess (home: string, extra: string[] = ['--no-mdns'], env: Record<string, string> = {}, command = 'daemon', nodeArgs: string[] = []): Promise<RunningDaemon> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SECUSHARE_')))
  const proc = spawn(process.execPath, [...nodeArgs, join(REPO_ROOT, 'bin', 'secushare.js'), '--home', home, command,
    '--listen', '/ip4/127.0.0.1/tcp/0', '--rpc', '127.0.0.1:0', '--json', ...extra], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(proc)
  let err = ''
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString() })
  const exited = new Promise<number | string | null>((resolve) => proc.once('exit', (code, signal) => { running.delete(proc); resolve(code ?? signal) }))
  const ready = await new Promise<RunningDaemon['ready']>((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`daemon not ready within 20 s: ${err}`)) }, 20_000)
    const lines = createInterface({ input: proc.stdout! })
    let out = ''
    lines.on('line', (line) => {
      out += line + '\n'
      if (!line.startsWith('{"ready":true')) return
      clearTimeout(timer)
      resolve(JSON.parse(line))
    })
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`daemon exited (${code}) before ready: ${out}${err}`)) })
  })
  return {
    proc,
    ready,
    stderr: () => err,
    stop: async (graceMs = 10_000) => {
      proc.kill('SIGTERM')
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs)
      const code = await exited
      clearTimeout(t)
      return code
    }
  }
}

/** Polls `check` every 100 ms until it returns true or `ms` pass; returns whether it did. */
export async function eventually (check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 100))
  }
}
