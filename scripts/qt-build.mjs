#!/usr/bin/env node
// The Qt shell's Debian packages (installed if missing and allowed) and its CMake build into
// build/: the part of `npm test`'s Qt step that can run while mocha does (scripts/test.mjs).
// Exit 0 when built; otherwise 1, with the reason on stdout.
import { buildQt, ensureQtPackages } from './qt.mjs'

try {
  ensureQtPackages((m) => process.stdout.write(`qt: ${m}\n`))
  buildQt()
} catch (e) {
  process.stdout.write(`qt: ${e.message}\n`)
  process.exit(1)
}
