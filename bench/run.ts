/**
 * `npm run bench [-- --quick]`: runs every benchmark, prints one table and writes
 * bench/results.json. Each figure carries its unit and, where there is one, the reference
 * measured in the same run and the ratio. Not a test: nothing here asserts a speed.
 */
import '../core/polyfill.js' // first: libp2p (the places benchmark runs nodes in-process) needs it on Node 20
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchCodecVsJson } from './codec-vs-json.js'
import { benchDaemon } from './daemon.js'
import { benchNames } from './names.js'
import { benchPlaces } from './places.js'
import { benchQml } from './qml.js'
import { benchRelay } from './relay.js'
import { formatTable, type BenchResult } from './report.js'
import { benchSimulation } from './simulate.js'
import { benchRpc } from './rpc.js'

const BENCHMARKS: Array<{ name: string, run: (o: { quick: boolean, only?: string }) => Promise<BenchResult[]> }> = [
  { name: 'codec vs JSON', run: benchCodecVsJson },
  { name: 'daemon start and memory', run: benchDaemon },
  { name: 'RPC: JSON-RPC and QWebChannel calls, event fan-out', run: benchRpc },
  { name: 'places: fan-out, delivery, pipeline, catch-up', run: benchPlaces },
  { name: 'names: resolution of 1, 2 and 4 labels, cold and cached', run: benchNames },
  { name: 'relay: deposits, fetches and acknowledgements against LMDB writes', run: benchRelay },
  { name: 'scale simulation: gossipsub meshes of 200 to 100,000 lightweight nodes', run: benchSimulation },
  { name: 'qml: the Qt shell\'s first frame and memory with a place of 10,000 posts open', run: benchQml }
]

const quick = process.argv.includes('--quick')
// `--only WORD`: just the benchmarks (and places parts: fan-out, pipeline, catch-up) named with WORD
const onlyAt = process.argv.indexOf('--only')
const only = onlyAt > 0 ? process.argv[onlyAt + 1] : undefined
const results: BenchResult[] = []
for (const b of BENCHMARKS) {
  if (only !== undefined && !b.name.includes(only)) continue
  process.stderr.write(`bench: ${b.name}${quick ? ' (quick)' : ''}\n`)
  results.push(...await b.run({ quick, only }))
}

process.stdout.write(formatTable(results))

const out = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results.json')
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, quick, only: only ?? null, results }, null, 2) + '\n')
console.log(`\nwrote ${out}`)
