import { existsSync } from 'node:fs';

/** Debian's Chromium (.ci/run installs it). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * `describe` for browser tests: run when Chromium is installed; without it, a failing test under
 * CI=true (CI must run them), and a line on stderr on a developer's machine.
 */
export function describeWithChromium(name: string, fn: () => void): void {
  if (existsSync(CHROMIUM)) return describe(name, fn);
  const missing = `Chromium is not at ${CHROMIUM}: install Debian's package (apt-get install -y chromium; .ci/run does)`;
  if (process.env.CI === 'true') {
    describe(name, () => test('Chromium is installed for the browser tests', () => { throw new Error(`${missing}; CI must run the browser tests`); }));
  } else {
    process.stderr.write(`${missing}: "${name}" is not run\n`);
    describe.skip(name, fn);
  }
}
