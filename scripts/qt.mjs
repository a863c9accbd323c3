// The Qt shell's build steps for `npm run ui` and `npm test`: makes sure the Debian packages in
// scripts/qt-packages.txt are installed (installing them with apt-get when running as root or with
// password-less sudo; otherwise it fails and says what to install), configures and builds with
// CMake into build/, and runs the Qt Quick tests through ctest.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensurePackages, ok, packageList, run } from './debian.mjs'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const buildDir = join(root, 'build')

export const qtPackages = () => packageList('qt-packages.txt')

/** Installs what is missing, or throws with the command to run (off Debian, CMake says whether Qt is there). */
export function ensureQtPackages (log) {
  ensurePackages(qtPackages(), 'the Qt shell (CMake and Qt 6.4+)', log, () => ok('cmake', ['--version']))
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
