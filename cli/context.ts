/** What every command gets: the global options, resolved, and the way to speak. */
import { Home, resolveHome } from '../core/home/home.js'
import type { Io } from './output.js'
import { findPassphrase } from './passphrase.js'

export interface GlobalOptions {
  home?: string
  passphraseFile?: string
}

export class Context {
  readonly home: string
  constructor (readonly io: Io, readonly globals: GlobalOptions) {
    this.home = resolveHome(globals.home)
  }

  /** The node's keystore passphrase, from --passphrase-file, SECUSHARE_PASSPHRASE or a prompt. */
  keystorePassphrase (prompt = 'Passphrase for this node\'s keys: ', confirm = false): Promise<string | undefined> {
    return findPassphrase({ file: this.globals.passphraseFile, envVar: 'SECUSHARE_PASSPHRASE', prompt, confirm })
  }

  /** Opens the home for the length of `fn`, closing it whatever happens. */
  async withHome<T> (fn: (home: Home) => Promise<T>): Promise<T> {
    const home = await Home.open(this.home, async () => await this.keystorePassphrase())
    try {
      return await fn(home)
    } finally {
      await home.close()
    }
  }
}
