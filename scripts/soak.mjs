#!/usr/bin/env node
// The long forms of the reliability tests (issue 10): the same test files as in `npm test`, with
// SECUSHARE_SOAK=1, which raises their sizes (test/support/seed.ts `soak(short, long)`): 200 kill -9
// cycles, 200,000 mutants per signed kind, 9 partitioned nodes over 3 rounds, 3 places split 3 ways,
// 20 churning nodes for 10 minutes, a daemon under load for 10 minutes, 20M fuzz frames.
// Set SECUSHARE_SEED to replay a run; extra arguments go to mocha (e.g. a single file).
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(fileURLToPath(import.meta.url), '..', '..')
const files = ['crash', 'forgery', 'replay', 'partition', 'partition-places', 'churn', 'memory', 'wire-fuzz', 'packet-fuzz', 'envelope-fuzz']
const args = [
  join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
  '--require', join(root, 'dist', 'core', 'polyfill.js'),
  '--timeout', '7200000',
  ...(process.argv.length > 2 ? process.argv.slice(2) : files.map((f) => join(root, 'dist', 'test', `${f}.test.js`)))
]
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, SECUSHARE_SOAK: '1' } })
child.on('exit', (code) => { process.exit(code ?? 1) })
