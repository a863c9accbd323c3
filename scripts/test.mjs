#!/usr/bin/env node
// Runs every test: the compiled mocha suites in dist/test (scripts/setup.mjs compiles them first),
// then the Qt shell's Qt Quick tests (CMake build into build/, ctest; scripts/qt.mjs). When Qt or
// Chromium (for the web UI test, scripts/browser-packages.txt) is missing it is installed if
// possible, otherwise the tests that need it fail: never silently skipped.
// The last line of output is `N passed, N failed, N skipped`, over both.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { buildQt, ensureQtPackages, root, runQmlTests } from './qt.mjs'
import { ensurePackages, packageList } from './debian.mjs'

const args = [
  join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
  '--reporter', join(root, 'scripts', 'summary-reporter.cjs'),
  '--require', join(root, 'dist', 'core', 'polyfill.js'),
  '--timeout', '60000',
  '--recursive', join(root, 'dist', 'test'),
  '--extension', 'test.js',
  ...process.argv.slice(2)
]

try {
  ensurePackages(packageList('browser-packages.txt'), 'the web UI test', (m) => process.stdout.write(`browser: ${m}\n`))
} catch (e) {
  process.stdout.write(`browser: ${e.message} (test/web-ui.test.ts will fail)\n`)
}

// Mocha's own output passes through; its summary line is remembered and folded into ours.
const mocha = await new Promise((resolve) => {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] })
  let tail = ''
  child.stdout.on('data', (d) => { process.stdout.write(d); tail = (tail + d.toString()).slice(-4096) })
  child.on('exit', (code) => {
    const m = [...tail.matchAll(/(\d+) passed, (\d+) failed, (\d+) skipped/g)].pop()
    resolve(m ? { passed: +m[1], failed: +m[2], skipped: +m[3], code } : { passed: 0, failed: 1, skipped: 0, code })
  })
})

let qml
try {
  process.stdout.write('\nQt shell: building and running the Qt Quick tests (ctest)\n')
  ensureQtPackages((m) => process.stdout.write(`qt: ${m}\n`))
  buildQt()
  qml = runQmlTests()
  process.stdout.write(`qml: ${qml.passed} passed, ${qml.failed} failed, ${qml.skipped} skipped\n`)
} catch (e) {
  process.stdout.write(`qml: FAILED to build or run the Qt shell tests: ${e.message}\n`)
  qml = { passed: 0, failed: 1, skipped: 0 }
}

const failed = mocha.failed + qml.failed
process.stdout.write(`\n${mocha.passed + qml.passed} passed, ${failed} failed, ${mocha.skipped + qml.skipped} skipped\n`)
process.exit(failed > 0 || mocha.code !== 0 ? 1 : 0)
