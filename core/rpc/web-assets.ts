/**
 * The files of the web UI the daemon serves (web.ts): web/ at the repository root, and Qt's
 * qwebchannel.js from the npm `qwebchannel` package, unchanged. Read once from disk.
 * scripts/bundle.mjs replaces this module with one that holds the same files inline, so the
 * single-file bundle serves the web UI with nothing beside it.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

export interface WebAsset { type: string, body: Buffer }

/** URL path → file: the whole web UI. Nothing else is ever served (no directory lookups). */
export const WEB_FILES: ReadonlyArray<readonly [path: string, file: string, type: string]> = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/app.js', 'app.js', 'text/javascript; charset=utf-8'],
  ['/app.css', 'app.css', 'text/css; charset=utf-8'],
  ['/qwebchannel.js', 'qwebchannel.js', 'text/javascript; charset=utf-8']
]

/** web/ from dist/core/rpc (compiled) or core/rpc (sources). */
function webDir (): string {
  for (const rel of ['../../../web/', '../../web/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url))
    if (existsSync(dir + 'index.html')) return dir
  }
  throw new Error('the web UI files (web/index.html) are missing from this installation')
}

export function loadWebAssets (): Map<string, WebAsset> {
  const dir = webDir()
  const qwc = createRequire(import.meta.url).resolve('qwebchannel/qwebchannel.js')
  return new Map(WEB_FILES.map(([path, file, type]) => [path, { type, body: readFileSync(file === 'qwebchannel.js' ? qwc : dir + file) }]))
}
