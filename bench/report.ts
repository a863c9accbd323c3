/** One benchmark figure: JSON key, value and unit, and the reference measured in the same run. */
/** `value` is null, with a `reason`, for a figure that cannot be measured (yet): never invented. */
export interface BenchResult { key: string, value: number | null, unit: string, reference?: number, referenceUnit?: string, reason?: string }

export function formatTable (results: BenchResult[]): string {
  const fmt = (n: number): string => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3))
  const head = ['figure', 'value', 'reference']
  const rows = results.map((r) => [r.key, r.value === null ? `not measured: ${r.reason ?? 'no reason given'}` : `${fmt(r.value)} ${r.unit}`, r.reference === undefined ? '' : `${fmt(r.reference)} ${r.referenceUnit ?? r.unit}`])
  // a figure not measured carries a long reason: it does not widen the column for the others
  const measured = rows.filter((_, i) => results[i]!.value !== null)
  const widths = head.map((_, i) => Math.max(...[head, ...measured].map((r) => r[i]!.length)))
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n'
}
