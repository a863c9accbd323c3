/**
 * A node's home directory and what lives in it.
 *
 * Contract (files in the home; scripts and UIs rely on these names):
 * - `store.lmdb` (+ `store.lmdb-lock`): the LMDB store (store/schema.ts), mode 0600.
 * - Later: `rpc.json` and `token`, written by a running daemon.
 * The home itself is created with mode 0700. `initHome` builds the store under a temporary name and
 * renames it into place only when complete, so an interrupted init leaves no half-made node, and an
 * existing store is never touched.
 */
import { mkdirSync, renameSync, rmSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { join, resolve } from 'node:path'
import { SecushareError } from '../../protocol/errors.js'
import { loadSodium, type Sodium } from '../crypto/sodium.js'
import { createEgo, egoIdOf, nymFromId, validateNick, type Ego } from '../identity/ego.js'
import { exportEgo, importEgo } from '../identity/export.js'
import { fingerprint } from '../identity/fingerprint.js'
import { Keystore, type EgoRecord, type KeystoreParams, type SealedSecret } from '../identity/keystore.js'
import { generatePeerKey, peerIdOf } from '../net/peer-key.js'
import { Store } from '../store/lmdb.js'

export const STORE_FILE = 'store.lmdb'

/** Asked for a passphrase only when one is needed; undefined when none can be had. */
export type PassphraseSource = () => Promise<string | undefined>

export interface EgoInfo {
  ego: string
  nick: string
  fingerprint: string
  created: number
  default: boolean
}

export interface HomeStatus {
  home: string
  schema: number
  peerId: string
  ego: string
  nick: string
  egos: number
  protected: boolean
}

/** --home, else $SECUSHARE_HOME, else $XDG_DATA_HOME/secushare, else ~/.local/share/secushare. */
export function resolveHome (explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined && explicit !== '') return resolve(explicit)
  if (env.SECUSHARE_HOME !== undefined && env.SECUSHARE_HOME !== '') return resolve(env.SECUSHARE_HOME)
  const data = env.XDG_DATA_HOME !== undefined && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share')
  return join(data, 'secushare')
}

export function defaultNick (): string {
  try {
    return validateNick(userInfo().username)
  } catch {
    return 'me'
  }
}

export interface InitOptions {
  nick?: string
  /** Protects the keystore when given. */
  passphrase?: string
  /** Restore: the first ego comes from an identity export instead of being new. */
  imported?: { file: Uint8Array, passphrase: string }
}

export async function initHome (home: string, opts: InitOptions): Promise<{ ego: string, nick: string, peerId: string }> {
  const final = join(home, STORE_FILE)
  if (Store.exists(final)) {
    throw new SecushareError('HOME_EXISTS', `${home} already holds a secushare node; nothing was changed`, { home })
  }
  const sodium = await loadSodium()
  let ego: Ego
  if (opts.imported !== undefined) {
    ego = importEgo(sodium, opts.imported.file, opts.imported.passphrase)
    if (opts.nick !== undefined) ego.nick = validateNick(opts.nick)
  } else {
    ego = createEgo(sodium, opts.nick ?? defaultNick())
  }
  const { keystore, params } = Keystore.create(sodium, opts.passphrase)
  mkdirSync(home, { recursive: true, mode: 0o700 })
  const peerKey = await generatePeerKey()
  const temp = join(home, `${STORE_FILE}.init-${process.pid}`)
  const store = await Store.create(temp)
  try {
    await store.write((tx) => {
      tx.put('node', 'peerKey', peerKey)
      tx.put('node', 'keystore', params)
      tx.put('egos', ego.id, egoRecord(keystore, ego))
      tx.put('meta', 'defaultEgo', ego.id)
    })
    await store.close()
    if (Store.exists(final)) throw new SecushareError('HOME_EXISTS', `${home} was initialised by another process meanwhile; nothing was changed`)
    renameSync(temp, final)
  } finally {
    await store.close()
    rmSync(temp, { force: true })
    rmSync(`${temp}-lock`, { force: true })
  }
  return { ego: ego.id, nick: ego.nick, peerId: peerIdOf(peerKey) }
}

function egoRecord (keystore: Keystore, ego: Ego): EgoRecord {
  return { v: 1, publicKey: ego.publicKey, nick: ego.nick, created: ego.created, secret: keystore.seal(ego.publicKey, ego.secretKey) }
}

/** An opened home: its store, keys and identities. */
export class Home {
  private keystore: Keystore | undefined

  private constructor (
    readonly dir: string,
    readonly store: Store,
    readonly sodium: Sodium,
    private readonly passphrase: PassphraseSource
  ) {}

  static async open (dir: string, passphrase: PassphraseSource = async () => undefined): Promise<Home> {
    const path = join(dir, STORE_FILE)
    if (!Store.exists(path)) {
      throw new SecushareError('HOME_NOT_INITIALISED', `${dir} has no secushare node; create one with \`secushare init\``, { home: dir })
    }
    const [store, sodium] = await Promise.all([Store.open(path), loadSodium()])
    const home = new Home(dir, store, sodium, passphrase)
    try {
      home.check()
    } catch (e) {
      await store.close()
      throw e
    }
    return home
  }

  /** The records every later step relies on; a store without them is damaged, not empty. */
  private check (): void {
    const missing = ['peerKey', 'keystore'].filter((k) => this.store.get('node', k) === undefined)
    if (this.store.get('meta', 'defaultEgo') === undefined) missing.push('defaultEgo')
    if (missing.length > 0) throw new SecushareError('HOME_CORRUPT', `the store in ${this.dir} lacks ${missing.join(', ')}`)
  }

  get peerKey (): Uint8Array {
    return this.store.get<Uint8Array>('node', 'peerKey')!
  }

  get peerId (): string {
    return peerIdOf(this.peerKey)
  }

  get defaultEgoId (): string {
    return this.store.get<string>('meta', 'defaultEgo')!
  }

  private get keystoreParams (): KeystoreParams {
    return this.store.get<KeystoreParams>('node', 'keystore')!
  }

  private async unlock (): Promise<Keystore> {
    if (this.keystore === undefined) {
      const params = this.keystoreParams
      const pass = params.protection === 'none' ? undefined : await this.passphrase()
      this.keystore = Keystore.unlock(this.sodium, params, pass)
    }
    return this.keystore
  }

  private record (id: string): EgoRecord {
    const rec = this.store.get<EgoRecord>('egos', nymFromId(id).id)
    if (rec === undefined) throw new SecushareError('EGO_NOT_FOUND', `no identity ${id} on this node`, { ego: id })
    return rec
  }

  status (): HomeStatus {
    const def = this.record(this.defaultEgoId)
    return {
      home: this.dir,
      schema: this.store.schemaVersion,
      peerId: this.peerId,
      ego: this.defaultEgoId,
      nick: def.nick,
      egos: this.store.count('egos'),
      protected: this.keystoreParams.protection !== 'none'
    }
  }

  listEgos (): EgoInfo[] {
    const def = this.defaultEgoId
    return [...this.store.entries<EgoRecord>('egos')].map(({ value }) => this.info(value, def))
  }

  private info (rec: EgoRecord, def = this.defaultEgoId): EgoInfo {
    const ego = egoIdOf(rec.publicKey)
    return { ego, nick: rec.nick, fingerprint: fingerprint(this.sodium, rec.publicKey), created: rec.created, default: ego === def }
  }

  /** The ego with its secret key, unlocking the keystore if needed. */
  async ego (id = this.defaultEgoId): Promise<Ego> {
    const rec = this.record(id)
    const keystore = await this.unlock()
    return { id: egoIdOf(rec.publicKey), publicKey: rec.publicKey, secretKey: keystore.open(rec), nick: rec.nick, created: rec.created }
  }

  /** Seals a secret key (e.g. of a hosted place) the way ego secrets are sealed. */
  async sealSecret (publicKey: Uint8Array, secretKey: Uint8Array): Promise<SealedSecret> {
    return (await this.unlock()).seal(publicKey, secretKey)
  }

  async openSecret (publicKey: Uint8Array, secret: SealedSecret): Promise<Uint8Array> {
    return (await this.unlock()).open({ publicKey, secret })
  }

  async createEgo (nick: string): Promise<EgoInfo> {
    const keystore = await this.unlock()
    const ego = createEgo(this.sodium, nick)
    const rec = egoRecord(keystore, ego)
    await this.store.write((tx) => {
      tx.put('egos', ego.id, rec)
      tx.emit({ type: 'ego:created', ego: ego.id })
    })
    return this.info(rec)
  }

  async exportEgo (id: string | undefined, exportPassphrase: string): Promise<{ info: EgoInfo, file: Uint8Array }> {
    const ego = await this.ego(id)
    return { info: this.info(this.record(ego.id)), file: exportEgo(this.sodium, ego, exportPassphrase) }
  }

  async importEgo (file: Uint8Array, exportPassphrase: string): Promise<EgoInfo> {
    const ego = importEgo(this.sodium, file, exportPassphrase)
    if (this.store.get('egos', ego.id) !== undefined) {
      throw new SecushareError('EGO_EXISTS', `identity ${ego.id} (${ego.nick}) is already on this node`, { ego: ego.id })
    }
    const rec = egoRecord(await this.unlock(), ego)
    await this.store.write((tx) => {
      if (tx.get('egos', ego.id) !== undefined) throw new SecushareError('EGO_EXISTS', `identity ${ego.id} is already on this node`)
      tx.put('egos', ego.id, rec)
      tx.emit({ type: 'ego:imported', ego: ego.id })
    })
    return this.info(rec)
  }

  async close (): Promise<void> {
    await this.store.close()
  }
}
