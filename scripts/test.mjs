#!/usr/bin/env node
// Runs every test: the compiled mocha suites in dist/test (scripts/setup.mjs compiles them first).
// The last line of output is `N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = [
  join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
  '--reporter', join(root, 'scripts', 'summary-reporter.cjs'),
  '--require', join(root, 'dist', 'core', 'polyfill.js'),
  '--timeout', '60000',
  '--recursive', join(root, 'dist', 'test'),
  '--extension', 'test.js',
  ...process.argv.slice(2)
]
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
process.exit(r.status ?? 1)
