/**
 * How the CLI speaks. Contract: with `--json` a command prints exactly one JSON document on
 * stdout (on failure `{"error": {"code", "message"}}`); without it, text for people. Errors
 * always also go to stderr as `secushare: MESSAGE [CODE]`. Exit codes: 0 ok, 1 failure
 * (LIMIT_EXCEEDED included), 2 usage (INVALID_ARGUMENT).
 */
import { isSecushareError } from '../protocol/errors.js'

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

export interface Io {
  out: (text: string) => void
  err: (text: string) => void
}

export const processIo: Io = {
  out: (t) => { process.stdout.write(t) },
  err: (t) => { process.stderr.write(t) }
}

export function printJson (io: Io, doc: unknown): void {
  io.out(JSON.stringify(doc, null, 2) + '\n')
}

/** Prints a failure; returns the exit code it maps to. */
export function printError (io: Io, e: unknown, json: boolean): number {
  if (isSecushareError(e)) {
    if (json) printJson(io, { error: { code: e.code, message: e.message } })
    io.err(`secushare: ${e.message} [${e.code}]\n`)
    return e.code === 'INVALID_ARGUMENT' ? EXIT_USAGE : EXIT_FAILURE
  }
  const msg = e instanceof Error ? e.message : String(e)
  if (json) printJson(io, { error: { code: 'INTERNAL', message: msg } })
  io.err(`secushare: internal error: ${msg}\n`)
  if (process.env.SECUSHARE_DEBUG !== undefined && e instanceof Error && e.stack !== undefined) io.err(e.stack + '\n')
  return EXIT_FAILURE
}

/** Aligned two-column text for people. */
export function table (rows: Array<[string, string]>): string {
  const w = Math.max(0, ...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}\n`).join('')
}
