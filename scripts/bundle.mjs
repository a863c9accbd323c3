// `npm run bundle`: the core and the `secushare` command as one ES module, dist-bundle/secushare.mjs,
// that runs with plain `node` (>= 20.19). The one place esbuild enters the project.
//
// Bundled: everything written in JavaScript (libp2p, ws, typed-rpc, valibot, commander, qrcode,
// libsodium-wrappers-sumo, ...). NOT bundled, because they load compiled add-ons for the machine
// they run on: `lmdb` (required: the store) and `sodium-native` (optional: libsodium-wrappers-sumo
// is used when it does not load). They are resolved at run time from a node_modules directory
// next to the bundle or above it; `npm run bundle` lists what must ship beside the file
// (dist-bundle/EXTERNALS.txt). Run it from a repository checkout and node finds them in the
// repository's node_modules; for a router, see packaging/openwrt.md.
//
// The web UI's files (core/rpc/web-assets.ts reads them from web/ and node_modules at start) are
// inlined: the bundle's web-assets module holds them as base64.
//
// Usage: node scripts/bundle.mjs [--outdir DIR]   (compiles with tsc first when dist/ is missing)
import { build } from 'esbuild'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const outIdx = process.argv.indexOf('--outdir')
const outdir = outIdx > 0 ? resolve(process.argv[outIdx + 1]) : join(root, 'dist-bundle')
/** Packages with native add-ons: resolved at run time, never inlined. */
export const EXTERNAL = ['lmdb', 'sodium-native']

if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' })
}
mkdirSync(outdir, { recursive: true })
const entry = join(outdir, '.entry.mjs')
// The polyfill first: esbuild keeps ES module evaluation order, so it runs before libp2p loads.
writeFileSync(entry, `import ${JSON.stringify(join(root, 'dist', 'core', 'polyfill.js'))}
import { main } from ${JSON.stringify(join(root, 'dist', 'cli', 'main.js'))}
process.exitCode = await main(process.argv.slice(2))
`)
/** Replaces core/rpc/web-assets.js with a module that holds the files it would read. */
const inlineWebAssets = {
  name: 'inline-web-assets',
  setup (b) {
    b.onLoad({ filter: /[\\/]core[\\/]rpc[\\/]web-assets\.js$/ }, async (args) => {
      const mod = await import(pathToFileURL(args.path).href)
      const files = [...mod.loadWebAssets()].map(([path, a]) => [path, a.type, a.body.toString('base64')])
      return {
        loader: 'js',
        contents: `export const WEB_FILES = ${JSON.stringify(mod.WEB_FILES)}\nconst FILES = ${JSON.stringify(files)}\n` +
          'export function loadWebAssets () { return new Map(FILES.map(([path, type, b64]) => [path, { type, body: Buffer.from(b64, "base64") }])) }\n'
      }
    })
  }
}
const result = await build({
  plugins: [inlineWebAssets],
  entryPoints: [entry],
  outfile: join(outdir, 'secushare.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  external: EXTERNAL,
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
  // CommonJS dependencies call require() for Node built-ins; an ES module has none of its own.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __secushareCreateRequire } from 'node:module'\nconst require = __secushareCreateRequire(import.meta.url)" }
})
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
writeFileSync(join(outdir, 'EXTERNALS.txt'),
  '# Packages dist-bundle/secushare.mjs loads at run time (native add-ons); install them next to it:\n' +
  `#   npm install --omit=dev ${EXTERNAL.map((n) => `${n}@${pkg.dependencies[n]}`).join(' ')}\n` +
  EXTERNAL.map((n) => `${n}@${pkg.dependencies[n]}${n === 'sodium-native' ? ' (optional)' : ''}`).join('\n') + '\n')
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
process.stdout.write(`bundle: ${join(outdir, 'secushare.mjs')} (${Math.round(bytes / 1024)} KiB); external: ${EXTERNAL.join(', ')}\n`)
