/**
 * The node's libp2p peer key: the one place @libp2p/crypto and @libp2p/peer-id enter.
 * It is separate from every ego (DESIGN §3): its peer id is the node's network address only.
 * Persisted as the libp2p protobuf encoding of an Ed25519 private key.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { SecushareError } from '../../protocol/errors.js'

export async function generatePeerKey (): Promise<Uint8Array> {
  return privateKeyToProtobuf(await generateKeyPair('Ed25519'))
}

export function loadPeerKey (bytes: Uint8Array): PrivateKey {
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (e) {
    throw new SecushareError('HOME_CORRUPT', `the stored peer key is damaged: ${(e as Error).message}`)
  }
}

export function peerIdOf (bytes: Uint8Array): string {
  return peerIdFromPrivateKey(loadPeerKey(bytes)).toString()
}
