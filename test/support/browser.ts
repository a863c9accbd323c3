/**
 * Debian's Chromium, headless, driven by playwright-core: the one place playwright-core enters the
 * project (tests only). scripts/test.mjs installs the `chromium` package
 * (scripts/browser-packages.txt). The flags keep Chromium off the network except for the pages a
 * test opens: no background or component updates, no sync, no QUIC.
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = process.env.SECUSHARE_CHROMIUM ?? '/usr/bin/chromium'

export async function launchChromium (): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (npm test does so when it runs as root or may use sudo)`)
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions']
  })
}

export type { Browser, Page } from 'playwright-core'
