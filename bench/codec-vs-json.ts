/**
 * PSYC packet decoding against JSON, the comparison libpsyc made in C (bench/benchmark.org:
 * PSYC about 8× faster than json-c). Two parts:
 * - text: the corpus bench packets (shared/psyc-corpus/bench-packets/*.psyc) against
 *   JSON.parse of the matching *.json (the compact `-c` variants count against the same JSON);
 * - binary: packets with 4, 16 and ~64 KiB random bodies against JSON carrying the body in
 *   base64, where the JSON side also decodes the base64, since its user needs the bytes.
 *   A packet may be at most MAX_PACKET_BYTES, so the largest body is 64 KiB less the header.
 * Rates are messages per second, the median of several timed runs.
 */
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MAX_PACKET_BYTES } from '../protocol/limits.js'
import { decodePacket, encodePacket, makePacket } from '../protocol/packet.js'
import type { BenchResult } from './report.js'


const CORPUS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'psyc-corpus', 'bench-packets')
/** libpsyc's own result: PSYC parsing about 8 times the speed of json-c. */
const LIBPSYC_RATIO = 8

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/**
 * Messages per second of `decode` over `inputs` (taken round-robin), timed for about `ms`
 * milliseconds per run; the median of `runs` runs after one warm-up run.
 */
function rate<T> (inputs: T[], decode: (x: T) => number, ms: number, runs: number): number {
  let sink = 0
  const once = (): number => {
    let n = 0
    const start = performance.now()
    let elapsed = 0
    do {
      for (let i = 0; i < 256; i++) sink += decode(inputs[(n + i) % inputs.length]!)
      n += 256
      elapsed = performance.now() - start
    } while (elapsed < ms)
    return n / (elapsed / 1000)
  }
  once()
  const rates = Array.from({ length: runs }, once)
  if (sink === -1) console.log(sink)
  return median(rates)
}

function textInputs (): { psyc: Uint8Array[], json: string[] } {
  const psyc: Uint8Array[] = []
  const json: string[] = []
  for (const f of readdirSync(CORPUS).filter(f => f.endsWith('.psyc')).sort()) {
    psyc.push(new Uint8Array(readFileSync(join(CORPUS, f))))
    json.push(readFileSync(join(CORPUS, f.replace(/(-c)?\.psyc$/, '.json')), 'utf8'))
  }
  return { psyc, json }
}

function binaryInputs (bodyBytes: number): { psyc: Uint8Array, json: string } {
  const body = new Uint8Array(randomBytes(bodyBytes))
  const psyc = encodePacket(makePacket({ entity: [{ op: ':', name: '_foo', value: 'bar' }], method: '_data', data: body }))
  return { psyc, json: `{"data":"${Buffer.from(body).toString('base64')}"}` }
}

export async function benchCodecVsJson (opts: { quick?: boolean } = {}): Promise<BenchResult[]> {
  const ms = opts.quick === true ? 60 : 300
  const runs = opts.quick === true ? 3 : 7
  const results: BenchResult[] = []
  const utf8 = new TextDecoder()

  const text = textInputs()
  const textBytes = text.json.map(s => new Uint8Array(Buffer.from(s)))
  const psycText = rate(text.psyc, b => decodePacket(b).routing.length, ms, runs)
  const jsonText = rate(text.json, s => (JSON.parse(s) as unknown[]).length, ms, runs)
  const jsonTextBytes = rate(textBytes, b => (JSON.parse(utf8.decode(b)) as unknown[]).length, ms, runs)
  results.push(
    { key: 'codec_text_decode', value: psycText, unit: 'msg/s' },
    { key: 'json_text_parse', value: jsonText, unit: 'msg/s' },
    { key: 'codec_vs_json_text', value: psycText / jsonText, unit: 'x', reference: LIBPSYC_RATIO, referenceUnit: 'x (libpsyc C vs json-c)' },
    { key: 'json_text_parse_from_bytes', value: jsonTextBytes, unit: 'msg/s' },
    { key: 'codec_vs_json_text_from_bytes', value: psycText / jsonTextBytes, unit: 'x' }
  )

  const ratios: number[] = []
  const header = binaryInputs(0).psyc.length + 8
  for (const [label, size] of [['4k', 4096], ['16k', 16384], ['64k', Math.min(65536, MAX_PACKET_BYTES - header)]] as const) {
    const input = binaryInputs(size)
    const psyc = rate([input.psyc], b => decodePacket(b).content!.data!.length, ms, runs)
    const json = rate([input.json], s => Buffer.from((JSON.parse(s) as { data: string }).data, 'base64').length, ms, runs)
    ratios.push(psyc / json)
    results.push(
      { key: `codec_binary_${label}_decode`, value: psyc, unit: 'msg/s', reference: size, referenceUnit: 'body bytes' },
      { key: `json_base64_${label}_decode`, value: json, unit: 'msg/s', reference: size, referenceUnit: 'body bytes' }
    )
  }
  const geomean = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length)
  results.push({ key: 'codec_vs_json_binary', value: geomean, unit: 'x (geometric mean over body sizes)' })
  return results
}
