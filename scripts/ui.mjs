#!/usr/bin/env node
// `npm run ui [-- ARGS]`: builds the Qt shell with CMake into build/ (installing the Debian
// packages in scripts/qt-packages.txt when it may, else saying how) and launches secushare-qt
// with ARGS (e.g. `npm run ui -- --home /tmp/alice`). Without a display it says so.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { buildDir, buildQt, ensureQtPackages } from './qt.mjs'

try {
  ensureQtPackages((m) => process.stderr.write(`ui: ${m}\n`))
  buildQt()
} catch (e) {
  process.stderr.write(`ui: cannot build the Qt shell: ${e.message}\n`)
  process.exit(1)
}
const env = { ...process.env }
if (!env.DISPLAY && !env.WAYLAND_DISPLAY && !env.QT_QPA_PLATFORM) {
  process.stderr.write('ui: no display (DISPLAY/WAYLAND_DISPLAY unset); run under a desktop session, or set QT_QPA_PLATFORM (e.g. offscreen, vnc)\n')
  process.exit(1)
}
const r = spawnSync(join(buildDir, 'qt-shell', 'secushare-qt'), process.argv.slice(2), { stdio: 'inherit', env })
process.exit(r.status ?? 1)
