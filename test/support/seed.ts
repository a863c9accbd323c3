/**
 * Seeds and sizes for the reliability tests.
 * - `runSeed(name)`: the seed of one test run: SECUSHARE_SEED when set (to replay a failure),
 *   else a fresh one. It is printed, and tests put it in every failure message.
 * - `soak(short, long)`: the short form in `npm test`, the long form under `npm run soak`
 *   (SECUSHARE_SOAK=1).
 */
export const SOAK = process.env.SECUSHARE_SOAK === '1'

export function soak<T> (short: T, long: T): T {
  return SOAK ? long : short
}

export function runSeed (name: string): number {
  const fixed = process.env.SECUSHARE_SEED
  const seed = fixed !== undefined && fixed !== '' ? Number(fixed) >>> 0 : (Math.random() * 2 ** 32) >>> 0
  console.log(`      ${name}: seed ${seed} (replay with SECUSHARE_SEED=${seed})`)
  return seed
}
