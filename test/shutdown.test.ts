// Stopping the gateway (SIGTERM, as systemd and the tests do) while a request is still in work: a
// provider that never answers (its read timeout far away) must not hold the stop. The request
// gets a grace period, then its connection is cut and the process exits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, post } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream } from './support/upstream';

const SID = 'SID0970201';

describe('stopping with a request in work', () => {
  test('SIGTERM while a provider never answers: the request is cut after the grace period and the gateway exits cleanly', async () => {
    let arrived!: () => void;
    const reached = new Promise<void>((r) => (arrived = r));
    const silent = await startUpstream(() => arrived()); // reads the request, never answers
    try {
      const registry = makeRegistry([{ bundle: ECHO_BUNDLE, def: echoDefinition(SID, { type: 'http', url: silent.url, readTimeoutMs: 600_000 }) }]);
      const gw = await startGateway({ services: registry });
      const pending = post(`${gw.url}/gateway/services/${SID}`, readFileSync(join(ECHO_BUNDLE, 'request.xml'))).then(
        (r) => `answered ${r.status}`, (e: Error) => `cut: ${e.message}`);
      await reached;
      // without the cut, the stop waited for this request, i.e. for the provider's 10-minute timeout
      expect(await gw.stop()).toBe(0);
      expect(await pending).toMatch(/^cut: /);
      expect(gw.logs()).toContain('shutting down');
    } finally {
      await silent.close();
    }
  }, 60_000);
});
