// The Qt shell's build steps for `npm run ui` and `npm test`: makes sure the Debian packages in
// scripts/qt-packages.txt are installed (installing them with apt-get when running as root or with
// password-less sudo; otherwise it fails and says what to install), configures and builds with
// CMake into build/, and runs the Qt Quick tests through ctest.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const buildDir = join(root, 'build')

export const qtPackages = () => readFileSync(join(root, 'scripts', 'qt-packages.txt'), 'utf8')
  .split('\n').map((l) => l.trim()).filter((l) => /^[a-z0-9]/.test(l))

const ok = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'ignore', ...opts }).status === 0
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal ?? r.error?.message})`)
}

function missingPackages () {
  if (!ok('dpkg-query', ['--version'])) return null // not Debian: cannot tell
  return qtPackages().filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' })
    return r.status !== 0 || !r.stdout.includes('install ok installed')
  })
}

/** Installs what is missing, or throws with the command to run. */
export function ensureQtPackages (log) {
  const missing = missingPackages()
  const install = `sudo apt-get install ${qtPackages().join(' ')}`
  if (missing === null) {
    if (ok('cmake', ['--version'])) return // CMake says whether Qt is there
    throw new Error(`CMake and Qt 6.4+ are needed for the Qt shell; on Debian: ${install}`)
  }
  if (missing.length === 0) return
  const asRoot = process.getuid?.() === 0
  const sudo = !asRoot && ok('sudo', ['-n', 'true'])
  if (!asRoot && !sudo) throw new Error(`missing Debian packages for the Qt shell: ${missing.join(' ')}\n  install them with: ${install}`)
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

/** cmake configure + build into build/ (Qt required: a missing Qt is an error). */
export function buildQt () {
  const generator = ok('ninja', ['--version']) ? ['-G', 'Ninja'] : []
  run('cmake', ['-S', root, '-B', buildDir, '-DSECUSHARE_REQUIRE_QT=ON', ...generator])
  run('cmake', ['--build', buildDir, '-j2'])
}

/** Runs ctest; returns the Qt Quick Test totals (a crashed or unreadable run counts as one failure). */
export function runQmlTests () {
  const r = spawnSync('ctest', ['--output-on-failure', '-V'], { cwd: buildDir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  process.stdout.write(r.stdout ?? '')
  process.stderr.write(r.stderr ?? '')
  const totals = { passed: 0, failed: 0, skipped: 0 }
  // ctest -V prefixes each test's lines with its number ("1: Totals: …"); on failure
  // --output-on-failure prints the output again: one Totals per test number, the last one
  const perTest = new Map()
  for (const m of (r.stdout ?? '').matchAll(/^(?:(\d+): )?Totals: (\d+) passed, (\d+) failed, (\d+) skipped/gm)) {
    perTest.set(m[1] ?? 'unnumbered', m)
  }
  if (perTest.size > 1) perTest.delete('unnumbered') // the reprint of a numbered test's output
  const seen = perTest.size > 0
  for (const m of perTest.values()) {
    totals.passed += Number(m[2]); totals.failed += Number(m[3]); totals.skipped += Number(m[4])
  }
  if (!seen || (r.status !== 0 && totals.failed === 0)) totals.failed += 1
  return totals
}
