/** Small checks on untrusted JSON shared by the RPC adapters (JSON-RPC server and client, QWebChannel). */

export function isRecord (x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

/** A SecushareError's detail if it survives JSON, else {} (a detail must never break the answer). */
export function jsonDetail (detail: Readonly<Record<string, unknown>>): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(JSON.stringify(detail) ?? '{}')
    return isRecord(parsed) ? parsed : {}
  } catch {
    return {}
  }
}
