import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

// Launches Debian's Chromium for end-to-end tests and benchmarks. A missing binary is an error with
// the remedy, never a skip: CI must not pass without the browser tests having run.

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Chromium starts with the environment this process had when it loaded this module. A scene with a
// private keyring points HOME at the keyring's temporary home (test/e2e/scene.ts); a browser started
// after that wrote its crash database there, and its crash handler, which outlives the browser, was
// still writing while the keyring's stop removed the folder (ENOTEMPTY in send.test.ts's afterAll).
const startEnv = { ...process.env };

/** Starts a headless Chromium (plus `extraArgs`); throws with the install command when the binary is missing. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium was not found at ${chromiumPath}. Install it with "sudo apt-get install chromium" (or set CHROMIUM_PATH).`);
  }
  return chromium.launch({ executablePath: chromiumPath, args: [...chromiumArgs, ...extraArgs], headless: true, env: startEnv });
}

let shared: Promise<Browser> | null = null;

/** One Chromium per test worker process, for the end-to-end files it runs one after another (test
 *  files share their worker's process: vitest.config.ts). Each page gets its own context, so files
 *  share no cookies or storage; launched on first use, again if it went away. Playwright closes it
 *  when the process ends. */
export async function sharedChromium(): Promise<Browser> {
  const running = await shared?.catch(() => null);
  if (running?.isConnected()) return running;
  shared = launchChromium();
  return shared;
}

/** Closes every page and context opened on the shared browser, so the next file starts from none. */
export async function closeContexts(browser: Browser): Promise<void> {
  await Promise.all(browser.contexts().map((context) => context.close()));
}
