#!/usr/bin/env node
// Makes a checkout runnable with nothing but Node and npm: installs the locked dependencies when
// they are missing or stale, then compiles the TypeScript into dist/. Used by `npm start`,
// `npm test` and `npm run bench`, so a fresh clone needs no other step.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
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

// Compile when any TypeScript source (or the config) is newer than the last successful build.
const stamp = join(root, 'dist', '.built')
const newest = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
  const p = join(dir, e.name)
  if (e.isDirectory()) return Math.max(m, newest(p))
  return e.name.endsWith('.ts') ? Math.max(m, mtime(p)) : m
}, 0)
const sources = Math.max(mtime(join(root, 'tsconfig.json')), mtime(installed),
  ...['protocol', 'core', 'cli', 'test', 'bench'].filter((d) => existsSync(join(root, d))).map((d) => newest(join(root, d))))
if (mtime(stamp) <= sources) {
  log('compiling TypeScript')
  rmSync(join(root, 'dist'), { recursive: true, force: true }) // no stale output of deleted sources
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' })
  writeFileSync(stamp, new Date().toISOString() + '\n')
}
