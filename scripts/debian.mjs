// Debian packages a command needs (scripts/*-packages.txt, one per line): installs the missing ones
// with apt-get when running as root or with password-less sudo; otherwise throws, naming them.
// Also the two ways the build scripts run a program (`ok`, `run`).
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const scripts = dirname(fileURLToPath(import.meta.url))

/** Whether the program runs and exits 0 (its output discarded). */
export const ok = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'ignore', ...opts }).status === 0
/** Runs the program with its output shown; throws unless it exits 0. */
export const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal ?? r.error?.message})`)
}

/** The packages listed in scripts/`list`. */
export const packageList = (list) => readFileSync(join(scripts, list), 'utf8')
  .split('\n').map((l) => l.trim()).filter((l) => /^[a-z0-9]/.test(l))

/** Which of `packages` are not installed; null when this is no Debian (dpkg-query missing). */
export function missingPackages (packages) {
  if (!ok('dpkg-query', ['--version'])) return null
  return packages.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' })
    return r.status !== 0 || !r.stdout.includes('install ok installed')
  })
}

/**
 * Installs the missing ones of `packages` (needed for `purpose`), or throws with the command to
 * run. `present` tells, off Debian, whether what they provide is there anyway.
 */
export function ensurePackages (packages, purpose, log, present = () => false) {
  const missing = missingPackages(packages)
  const install = `sudo apt-get install ${packages.join(' ')}`
  if (missing === null) {
    if (present()) return
    throw new Error(`${purpose} needs ${packages.join(' ')}; on Debian: ${install}`)
  }
  if (missing.length === 0) return
  const asRoot = process.getuid?.() === 0
  const sudo = !asRoot && ok('sudo', ['-n', 'true'])
  if (!asRoot && !sudo) throw new Error(`missing Debian packages for ${purpose}: ${missing.join(' ')}\n  install them with: ${install}`)
  log(`installing ${missing.join(' ')} with apt-get`)
  const apt = (args) => sudo ? ['sudo', ['-n', 'apt-get', ...args]] : ['apt-get', args]
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const [c1, a1] = apt(['install', '-y', '--no-install-recommends', ...missing])
  if (!ok(c1, a1, { env, stdio: 'inherit' })) {
    const [c0, a0] = apt(['update'])
    run(c0, a0, { env })
    run(c1, a1, { env })
  }
}
