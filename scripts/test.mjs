#!/usr/bin/env node
// Runs every test: the compiled mocha suites in dist/test (scripts/setup.mjs compiles them first),
// then the Qt shell's Qt Quick tests (CMake build into build/, ctest; scripts/qt.mjs). When Qt or
// Chromium (for the web UI test, scripts/browser-packages.txt) is missing it is installed if
// possible, otherwise the tests that need it fail: never silently skipped.
// The last line of output is `N passed, N failed, N skipped`, over all of it.
//
// To stay well inside CI's time on 2 cores, three things run side by side:
// - the main mocha run (every test file but those below), its output passed through live;
// - a second mocha run of the files in ALONGSIDE: tests that mostly wait (a 2-minute churn at a
//   few posts a second, a 30 s RPC timeout), their output printed when they end;
// - the Qt shell's package check and build, at low priority, output printed when it ends.
// ctest runs after both mocha runs, alone: its tests start daemons of their own.
// Extra arguments go to the main mocha run only (e.g. `npm test -- --grep relay`), and then the
// ALONGSIDE files are left out unless named.
import { spawn } from 'node:child_process'
import { setPriority } from 'node:os'
import { join } from 'node:path'
import { buildDir, root, runQmlTests } from './qt.mjs'
import { ensurePackages, packageList } from './debian.mjs'

/** Test files (dist/test/NAME.test.js) that run in the second mocha process. */
const ALONGSIDE = ['churn', 'limits-connections']
const extra = process.argv.slice(2)

const mochaArgs = (files) => [
  join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
  '--reporter', join(root, 'scripts', 'summary-reporter.cjs'),
  '--require', join(root, 'dist', 'core', 'polyfill.js'),
  '--timeout', '60000',
  ...files
]
const alongsideFiles = ALONGSIDE.map((f) => join(root, 'dist', 'test', `${f}.test.js`))
const mainFiles = ['--recursive', join(root, 'dist', 'test'), '--extension', 'test.js', ...alongsideFiles.flatMap((f) => ['--ignore', f]), ...extra]

/** Runs a node script; `live` passes its stdout through, else it is kept and returned. */
function run (args, { live, nice = false }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', live ? 'inherit' : 'pipe'] })
    if (nice) { try { setPriority(child.pid, 10) } catch { /* not allowed: normal priority */ } }
    let out = ''
    let tail = ''
    child.stdout.on('data', (d) => {
      if (live) process.stdout.write(d)
      else out += d
      tail = (tail + d.toString()).slice(-4096)
    })
    if (!live) child.stderr.on('data', (d) => { out += d })
    child.on('exit', (code) => { resolve({ code, out, tail }) })
  })
}

/** The `N passed, N failed, N skipped` totals in a mocha run's output (a run without one failed). */
function totals (r) {
  const m = [...r.tail.matchAll(/(\d+) passed, (\d+) failed, (\d+) skipped/g)].pop()
  return m ? { passed: +m[1], failed: +m[2], skipped: +m[3], code: r.code } : { passed: 0, failed: 1, skipped: 0, code: r.code }
}

try {
  ensurePackages(packageList('browser-packages.txt'), 'the web UI test', (m) => process.stdout.write(`browser: ${m}\n`))
} catch (e) {
  process.stdout.write(`browser: ${e.message} (test/web-ui.test.ts will fail)\n`)
}

const qtBuild = run([join(root, 'scripts', 'qt-build.mjs')], { live: false, nice: true })
const alongside = extra.length > 0 ? Promise.resolve(null) : run(mochaArgs(alongsideFiles), { live: false })
const main = totals(await run(mochaArgs(mainFiles), { live: true }))
const side = await alongside
if (side !== null) {
  process.stdout.write(`\nAlongside (${ALONGSIDE.join(', ')}):\n${side.out}`)
}
const sideTotals = side === null ? { passed: 0, failed: 0, skipped: 0, code: 0 } : totals(side)

let qml
process.stdout.write('\nQt shell: building and running the Qt Quick tests (ctest)\n')
const built = await qtBuild
process.stdout.write(built.out)
if (built.code !== 0) {
  process.stdout.write(`qml: FAILED to build the Qt shell (see above; build dir ${buildDir})\n`)
  qml = { passed: 0, failed: 1, skipped: 0 }
} else {
  try {
    qml = runQmlTests()
    process.stdout.write(`qml: ${qml.passed} passed, ${qml.failed} failed, ${qml.skipped} skipped\n`)
  } catch (e) {
    process.stdout.write(`qml: FAILED to run the Qt shell tests: ${e.message}\n`)
    qml = { passed: 0, failed: 1, skipped: 0 }
  }
}

const all = [main, sideTotals, qml]
const sum = (k) => all.reduce((n, t) => n + t[k], 0)
const failed = sum('failed')
process.stdout.write(`\n${sum('passed')} passed, ${failed} failed, ${sum('skipped')} skipped\n`)
process.exit(failed > 0 || main.code !== 0 || sideTotals.code !== 0 ? 1 : 0)
