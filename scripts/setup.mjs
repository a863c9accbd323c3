#!/usr/bin/env node
// Makes a checkout runnable with nothing but Node and npm: installs the locked dependencies when
// they are missing or stale, then compiles the TypeScript into dist/. Used by `npm start`,
// `npm test` and `npm run bench`, so a fresh clone needs no other step.
import { execFileSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const quiet = process.argv.includes('--quiet')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0)
const log = (m) => { if (!quiet) process.stderr.write(`setup: ${m}\n`) }

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  process.stderr.write(`secushare needs Node.js >= 20.19 (this is ${process.versions.node}).\n`)
  process.exit(1)
}

const lock = join(root, 'package-lock.json')
const installed = join(root, 'node_modules', '.package-lock.json')
if (!existsSync(installed) || mtime(installed) < mtime(lock)) {
  log('installing dependencies (npm ci)')
  execFileSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] })
}

log('compiling TypeScript')
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' })
