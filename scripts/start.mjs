#!/usr/bin/env node
// `npm start`: with no arguments runs `secushare start` (create the node if needed, then run the
// daemon); with arguments (`npm start -- contact list`) runs that command.
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'secushare.js')
const args = process.argv.slice(2)
// as packaging/secushare.service runs the daemon: two glibc malloc arenas, and V8 collecting at 1.5
// times the live heap (docs/storage.md, "Memory")
const env = { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' }
const r = spawnSync(process.execPath, ['--heap-growing-percent=50', bin, ...(args.length > 0 ? args : ['start'])], { stdio: 'inherit', env })
process.exit(r.status ?? 1)
