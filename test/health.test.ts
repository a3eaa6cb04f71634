import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { startGateway, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { freshStore, onPostgres } from './support/store';
import { dropDatabase } from './support/postgres';

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const NO_DISK_LEVELS = { SMEV2_DISK_WARN_FREE_PERCENT: '0', SMEV2_DISK_WARN_FREE_BYTES: '0' };

describe('health: /healthz and /readyz', () => {
  const gateways: GatewayProcess[] = [];
  afterAll(async () => {
    for (const g of gateways) await g.stop();
  });

  // the store taken away from under a running gateway: the SQLite file's folder deleted, or the
  // PostgreSQL database dropped (its connections ended)
  test(`/readyz is 503 once the ${onPostgres ? 'PostgreSQL database is dropped' : 'SQLite file is gone'} from under the gateway; /healthz stays 200`, async () => {
    const db = await freshStore();
    // no disk warning levels: `warnings` is about the store only (test/disk-bounds.test.ts has the levels)
    const gw = await startGateway({ db, env: NO_DISK_LEVELS });
    gateways.push(gw);
    expect(await get(`${gw.url}/readyz`)).toEqual({ status: 200, body: { status: 'ready', services: 5, warnings: [] } });
    if (onPostgres) await dropDatabase(db);
    else rmSync(dirname(db), { recursive: true, force: true });
    // the SQLite store's folder is gone: its disk cannot be read either, and /readyz says so
    const warnings = onPostgres ? [] : [expect.stringMatching(/^disk not checked: the free space of the SQLite store \(.*\) could not be read: ENOENT/)];
    expect(await get(`${gw.url}/readyz`)).toEqual({ status: 503, body: { status: 'not ready', services: 5, warnings } });
    expect((await get(`${gw.url}/healthz`)).status).toBe(200);
  });

  test('/readyz is 503 when no service of the registry loaded (--skip-broken, all broken)', async () => {
    const registry = makeRegistry([{ bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0910001', { type: 'http', url: 'http://127.0.0.1:9/x' }), wsdl: 'Missing.wsdl' } }]);
    const gw = await startGateway({ services: registry, args: ['--skip-broken'], env: NO_DISK_LEVELS });
    gateways.push(gw);
    expect(await get(`${gw.url}/readyz`)).toEqual({ status: 503, body: { status: 'not ready', services: 0, warnings: [] } });
  });
});
