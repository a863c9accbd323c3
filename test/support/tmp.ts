import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (tests run from dist/test/...). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** A fresh temporary directory, removed after the current mocha suite. */
export function tempDir (prefix = 'secushare-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  after(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}
