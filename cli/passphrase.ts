/**
 * Where passphrases come from, in order: a file named by a flag (first line), an environment
 * variable, or, when stdin is a terminal, a prompt with echo off. Nothing else: a non-interactive
 * run without one gets PASSPHRASE_REQUIRED, never a hang.
 */
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { SecushareError } from '../protocol/errors.js'

export interface PassphraseOrigin {
  file?: string
  envVar: string
  prompt: string
  /** Ask twice when prompting (new passphrases). */
  confirm?: boolean
}

export function passphraseFromFile (file: string): string {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new SecushareError('FILE_ERROR', `cannot read the passphrase file ${file}: ${(e as Error).message}`)
  }
  const line = text.split(/\r?\n/)[0] ?? ''
  if (line.length === 0) throw new SecushareError('INVALID_ARGUMENT', `the passphrase file ${file} is empty`)
  return line
}

/** The passphrase if one was given (file, env), else a prompt on a terminal, else undefined. */
export async function findPassphrase (o: PassphraseOrigin): Promise<string | undefined> {
  if (o.file !== undefined) return passphraseFromFile(o.file)
  const env = process.env[o.envVar]
  if (env !== undefined && env !== '') return env
  if (process.stdin.isTTY !== true) return undefined
  const first = await prompt(o.prompt)
  if (o.confirm === true && (await prompt('Repeat it: ')) !== first) {
    throw new SecushareError('INVALID_ARGUMENT', 'the two passphrases differ')
  }
  if (first.length === 0) throw new SecushareError('INVALID_ARGUMENT', 'the passphrase is empty')
  return first
}

export async function requirePassphrase (o: PassphraseOrigin, what: string): Promise<string> {
  const p = await findPassphrase(o)
  if (p === undefined) {
    throw new SecushareError('PASSPHRASE_REQUIRED', `${what} needs a passphrase: give a file with the flag, set ${o.envVar}, or run in a terminal`)
  }
  return p
}

async function prompt (question: string): Promise<string> {
  let muted = false
  const sink = new Writable({
    write (chunk: Buffer, _enc, done) {
      if (!muted) process.stderr.write(chunk)
      done()
    }
  })
  const rl = createInterface({ input: process.stdin, output: sink, terminal: true })
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => { process.stderr.write('\n'); resolve(answer) })
      muted = true
    })
  } finally {
    rl.close()
  }
}
