import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { REPO_ROOT } from './tmp.js'

export interface CliResult { code: number, stdout: string, stderr: string, json: any }

/** Runs the real `secushare` command (bin/secushare.js) as a user would, without a terminal. */
export function cli (args: string[], env: Record<string, string> = {}): CliResult {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SECUSHARE_')))
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'secushare.js'), ...args], {
    env: { ...clean, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000
  })
  let json: unknown
  try { json = JSON.parse(r.stdout) } catch { json = undefined }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json }
}

/** `secushare --home HOME ARGS… --json`, which must succeed; its JSON. */
export function runJson (home: string, ...args: string[]): any {
  const r = cli(['--home', home, ...args, '--json'])
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.json
}

/** A place's feed as JSON (up to 1000 messages), [] when the command fails. */
export function feedJson (home: string, place: string): any[] {
  return cli(['--home', home, 'feed', place, '--limit', '1000', '--json']).json ?? []
}
