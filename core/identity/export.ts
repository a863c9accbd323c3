/**
 * Identity export files (backups): one ego, sealed under a passphrase of the user's choice.
 *
 * Layout, big-endian:
 *   magic "SSEGO\x00\x00\x01" (8) | opslimit u32 | memlimit u32 | salt (16) | nonce (24)
 *   | public key (32) | ciphertext length u32 | ciphertext | BLAKE2b-256 of everything before (32)
 * The ciphertext is XChaCha20-Poly1305 (key: Argon2id of the passphrase) of a msgpack-free,
 * fixed body: secret key (64) | created ms u64 | nick (UTF-8, rest). Associated data: every byte
 * before the ciphertext length. The trailing checksum catches truncation and damage, so that an
 * AEAD failure on an intact file means a wrong passphrase.
 */
import { SecushareError } from '../../protocol/errors.js'
import { NONCE_BYTES, SALT_BYTES, type Sodium } from '../crypto/sodium.js'
import { egoIdOf, validateNick, type Ego } from './ego.js'

const MAGIC = Buffer.from([0x53, 0x53, 0x45, 0x47, 0x4f, 0x00, 0x00, 0x01])
const HEADER_BYTES = 8 + 4 + 4 + 16 + 24 + 32
const CHECKSUM_BYTES = 32
/** Argon2id cost written into new exports (libsodium "moderate" ops with 64 MiB). */
export const EXPORT_OPSLIMIT = 3
export const EXPORT_MEMLIMIT = 64 * 1024 * 1024
/** Costs accepted on import: enough for any export we write, bounded so a crafted file cannot exhaust the machine. */
const MAX_IMPORT_OPSLIMIT = 10
const MAX_IMPORT_MEMLIMIT = 1024 * 1024 * 1024
const MAX_EXPORT_BYTES = 4096

function corrupt (why: string): SecushareError {
  return new SecushareError('EXPORT_CORRUPT', `not a usable secushare identity export: ${why}`)
}

export function exportEgo (sodium: Sodium, ego: Ego, passphrase: string): Uint8Array {
  if (passphrase.length === 0) throw new SecushareError('INVALID_ARGUMENT', 'the export passphrase is empty')
  const salt = sodium.randomBytes(SALT_BYTES)
  const nonce = sodium.randomBytes(NONCE_BYTES)
  const header = Buffer.alloc(HEADER_BYTES)
  MAGIC.copy(header, 0)
  header.writeUInt32BE(EXPORT_OPSLIMIT, 8)
  header.writeUInt32BE(EXPORT_MEMLIMIT, 12)
  header.set(salt, 16)
  header.set(nonce, 32)
  header.set(ego.publicKey, 56)
  const body = Buffer.alloc(64 + 8 + Buffer.byteLength(ego.nick))
  body.set(ego.secretKey, 0)
  body.writeBigUInt64BE(BigInt(ego.created), 64)
  body.write(ego.nick, 72, 'utf8')
  const key = sodium.pwhash(32, passphrase, salt, EXPORT_OPSLIMIT, EXPORT_MEMLIMIT)
  const ciphertext = sodium.aeadEncrypt(body, header, nonce, key)
  sodium.wipe(body)
  const len = Buffer.alloc(4)
  len.writeUInt32BE(ciphertext.length)
  const unsummed = Buffer.concat([header, len, ciphertext])
  return Buffer.concat([unsummed, sodium.hash(unsummed, CHECKSUM_BYTES)])
}

/** The public key an export holds, without the passphrase (after the integrity check). */
export function exportedEgoId (sodium: Sodium, file: Uint8Array): string {
  return egoIdOf(checkIntegrity(sodium, file).subarray(56, 88))
}

function checkIntegrity (sodium: Sodium, file: Uint8Array): Buffer {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength)
  if (buf.length > MAX_EXPORT_BYTES) throw corrupt(`too large (${buf.length} bytes)`)
  if (buf.length < HEADER_BYTES + 4 + CHECKSUM_BYTES) throw corrupt(`too short (${buf.length} bytes)`)
  if (!buf.subarray(0, 8).equals(MAGIC)) throw corrupt('wrong magic (not an export file, or from a newer version)')
  const ctLen = buf.readUInt32BE(HEADER_BYTES)
  if (buf.length !== HEADER_BYTES + 4 + ctLen + CHECKSUM_BYTES) throw corrupt('truncated or extended')
  const summed = buf.subarray(0, buf.length - CHECKSUM_BYTES)
  if (!sodium.equal(sodium.hash(summed, CHECKSUM_BYTES), buf.subarray(buf.length - CHECKSUM_BYTES))) {
    throw corrupt('checksum mismatch (damaged or altered)')
  }
  return buf
}

export function importEgo (sodium: Sodium, file: Uint8Array, passphrase: string): Ego {
  const buf = checkIntegrity(sodium, file)
  const opslimit = buf.readUInt32BE(8)
  const memlimit = buf.readUInt32BE(12)
  if (opslimit < 1 || opslimit > MAX_IMPORT_OPSLIMIT || memlimit < 8192 || memlimit > MAX_IMPORT_MEMLIMIT) {
    throw corrupt(`unacceptable key-derivation cost (ops ${opslimit}, mem ${memlimit})`)
  }
  const header = buf.subarray(0, HEADER_BYTES)
  const publicKey = new Uint8Array(buf.subarray(56, 88))
  const ciphertext = buf.subarray(HEADER_BYTES + 4, buf.length - CHECKSUM_BYTES)
  const key = sodium.pwhash(32, passphrase, buf.subarray(16, 32), opslimit, memlimit)
  let body: Uint8Array
  try {
    body = sodium.aeadDecrypt(ciphertext, header, buf.subarray(32, 56), key)
  } catch {
    throw new SecushareError('WRONG_PASSPHRASE', 'wrong passphrase for this export file')
  }
  if (body.length < 72) throw corrupt('body too short')
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const secretKey = new Uint8Array(b.subarray(0, 64))
  if (!sodium.equal(sodium.publicKeyFromSecret(secretKey), publicKey)) throw corrupt('secret and public key disagree')
  const created = Number(b.readBigUInt64BE(64))
  return { id: egoIdOf(publicKey), publicKey, secretKey, nick: validateNick(b.subarray(72).toString('utf8')), created }
}
