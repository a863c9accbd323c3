/**
 * Checks that a file is an LMDB environment written by the LMDB this project links, before LMDB
 * maps it. LMDB trusts its file and crashes the whole process (SIGSEGV) on a damaged or foreign
 * one, so a garbage file in a home must be caught here and reported as HOME_CORRUPT.
 *
 * What is checked (LMDB 0.9 on-disk layout, little-endian, two meta pages at pages 0 and 1):
 * page flags P_META, magic 0xBEEFC0DE, data version, a sane page size, and for the newer meta
 * page that its last page and both B-tree roots lie inside the file. Damage deeper inside the
 * B-tree pages is not detected: LMDB has no checksums.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs'
import { SecushareError } from '../../protocol/errors.js'

const P_META = 0x08
const MDB_MAGIC = 0xbeefc0de
const MDB_DATA_VERSION = 2
const P_INVALID = 0xffff_ffff_ffff_ffffn
const PAGE_FLAGS_OFFSET = 18 // mp_flags in the 24-byte page header of this LMDB build
const META_OFFSET = 24 // MDB_meta follows the page header
const DB_SIZE = 48 // one MDB_db record

interface Meta { pageSize: number, lastPage: bigint, txnId: bigint, roots: bigint[] }

function readMeta (page: Buffer, where: string): Meta {
  const bad = (why: string): SecushareError =>
    new SecushareError('HOME_CORRUPT', `${where} is not a usable LMDB store (${why})`)
  if ((page.readUInt16LE(PAGE_FLAGS_OFFSET) & P_META) === 0) throw bad('meta page flag missing')
  if (page.readUInt32LE(META_OFFSET) !== MDB_MAGIC) throw bad('bad magic')
  const version = page.readUInt32LE(META_OFFSET + 4)
  if (version !== MDB_DATA_VERSION) throw bad(`data version ${version}`)
  const dbs = META_OFFSET + 24
  const pageSize = page.readUInt32LE(dbs) // md_pad of the free-list DB holds the page size
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw bad(`page size ${pageSize}`)
  const roots = [page.readBigUInt64LE(dbs + 40), page.readBigUInt64LE(dbs + DB_SIZE + 40)]
  const lastPage = page.readBigUInt64LE(dbs + 2 * DB_SIZE)
  const txnId = page.readBigUInt64LE(dbs + 2 * DB_SIZE + 8)
  return { pageSize, lastPage, txnId, roots }
}

/** Throws HOME_CORRUPT unless `path` looks like an intact LMDB data file. */
export function checkLmdbFile (path: string): void {
  const fd = openSync(path, 'r')
  try {
    const size = fstatSync(fd).size
    const first = Buffer.alloc(4096)
    if (size < 2 * 512 || readSync(fd, first, 0, first.length, 0) < 512) {
      throw new SecushareError('HOME_CORRUPT', `${path} is too short to be an LMDB store (${size} bytes)`)
    }
    const m0 = readMeta(first, path)
    if (size < 2 * m0.pageSize) throw new SecushareError('HOME_CORRUPT', `${path} is truncated`)
    const second = Buffer.alloc(m0.pageSize)
    readSync(fd, second, 0, second.length, m0.pageSize)
    const m1 = readMeta(second, path)
    const current = m1.txnId > m0.txnId ? m1 : m0
    const pages = BigInt(Math.floor(size / m0.pageSize))
    if (current.lastPage >= pages) {
      throw new SecushareError('HOME_CORRUPT', `${path} is truncated (last page ${current.lastPage}, file has ${pages})`)
    }
    for (const root of current.roots) {
      if (root !== P_INVALID && (root < 2n || root > current.lastPage)) {
        throw new SecushareError('HOME_CORRUPT', `${path} has a B-tree root outside the file`)
      }
    }
  } finally {
    closeSync(fd)
  }
}
