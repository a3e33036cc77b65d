// Headless Chromium for end-to-end tests of the web console: Debian's `chromium` package driven
// by playwright-core (no browser download). Each launch gets its own fresh profile directory, so
// no state leaks between runs, and the flags keep the browser off the network except for the
// pages the test opens.

import { access } from 'node:fs/promises';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** Chromium starts in about a second; the bound allows a slow CI machine. */
const LAUNCH_TIMEOUT_MS = 30_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why Chromium cannot run here (the reason to skip a test), or null when it can. */
export async function chromiumMissing(): Promise<string | null> {
  try {
    await access(CHROMIUM_PATH);
    return null;
  } catch {
    return `${CHROMIUM_PATH} is missing: apt-get install chromium`;
  }
}

/** A browser with a fresh profile in `userDataDir` (an empty directory the caller removes). */
export function launchChromium(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 1000 },
    timeout: LAUNCH_TIMEOUT_MS,
  });
}
