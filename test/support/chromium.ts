import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium (.ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * `describe` for browser tests. Without Chromium the block is one failing test saying how to
 * install it: a browser test never passes by not running (CI installs Chromium; so should a
 * developer who runs the suite).
 */
export function describeWithChromium(name: string, fn: () => void): void {
  if (existsSync(CHROMIUM)) return describe(name, fn);
  describe(name, () => test('Chromium is installed for the browser tests', () => {
    throw new Error(`Chromium is not at ${CHROMIUM}: install Debian's package (apt-get install -y chromium; .ci/run does)`);
  }));
}

export interface Browser {
  ctx: BrowserContext;
  page: Page;
  /** closes the browser and removes its profile */
  close(): Promise<void>;
}

/**
 * Headless Chromium on a fresh profile, with the flags this machine's closed network needs. Every
 * script error on the page, and every console error but the HTTP statuses `allowed` names (the
 * refusals a test provokes), goes into `problems`, which the test checks after each case.
 */
export async function openBrowser(problems: string[], o: { allowed?: RegExp; timeoutMs?: number; timezoneId?: string; acceptDownloads?: boolean } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'smev2-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1440, height: 900 },
    ...(o.timezoneId ? { timezoneId: o.timezoneId } : {}), ...(o.acceptDownloads ? { acceptDownloads: true } : {}),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(o.timeoutMs ?? 15000);
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !(o.allowed?.test(m.text()) ?? false)) problems.push(`console: ${m.text()}`); });
  return { ctx, page, close: async () => { await ctx.close(); rmSync(profile, { recursive: true, force: true }); } };
}
