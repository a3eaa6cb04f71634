import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { CORPUS, corpusAvailable, wsdlFiles } from './support/paths';
import { runCli, startGateway, type GatewayProcess } from './support/gateway';

/**
 * Every WSDL bundle of the corpus, registered unchanged with `services add` and served: a client
 * that follows the served WSDL's imports gets the whole tree from the gateway, and the only
 * imports left pointing elsewhere are the ones `services check` reported as missing.
 */
const available = corpusAvailable();
const servicesRoot = join(CORPUS, 'services');


const registrations = available
  ? readdirSync(servicesRoot).sort().flatMap((bundle) => wsdlFiles(join(servicesRoot, bundle)).sort().map((w) => ({ bundle, wsdl: relative(join(servicesRoot, bundle), w) })))
  : [];

(available ? describe : describe.skip)(`corpus WSDL bundles served by the gateway (${servicesRoot})`, () => {
  const registry = mkdtempSync(join(tmpdir(), 'smev2-corpus-registry-'));
  let gw: GatewayProcess;
  let check: string;
  const sids = registrations.map((r, i) => ({ ...r, sid: `SID01000${String(i + 1).padStart(2, '0')}` }));

  beforeAll(async () => {
    for (const r of sids) {
      const res = await runCli(['services', 'add', join(servicesRoot, r.bundle), '--sid', r.sid, '--wsdl', r.wsdl, '--services', registry]);
      if (res.code !== 0 && !/registered/.test(res.stdout)) throw new Error(`services add ${r.bundle}/${r.wsdl} failed:\n${res.stdout}${res.stderr}`);
    }
    const c = await runCli(['services', 'check', registry]);
    check = c.stdout;
    expect(c.code).toBe(0);
    gw = await startGateway({ services: registry });
  }, 120000);

  afterAll(async () => {
    await gw?.stop();
  });

  test('every WSDL of every bundle folder is registered', () => {
    // the PFR manual folder holds a .doc, not a bundle: it is the only folder without a WSDL
    const withoutWsdl = readdirSync(servicesRoot).filter((b) => wsdlFiles(join(servicesRoot, b)).length === 0);
    expect(withoutWsdl).toEqual(['pfr-sid0003623']);
    expect(sids.length).toBeGreaterThanOrEqual(15);
    for (const r of sids) expect(check).toContain(`ok      ${r.sid}`);
  });

  test('imports from the old SMEV node are reported with their location', () => {
    expect(check).toMatch(/SID0003422\.wsdl: imports http:\/\/smev-mvf\.test\.gosuslugi\.ru:7777\/gateway\/services\/SID0003422\/1\.00\/wsdl\/PFRF01\/71e445be-19db-482e-b3ef-1f7db5914ef8, which the folder does not hold/);
  });

  test.each(registrations.map((r, i) => [`${r.bundle}/${r.wsdl}`, i]))('%s: the whole tree comes from the gateway', async (_name, i) => {
    const { sid } = sids[i as number];
    const base = `${gw.url}/gateway/services/${sid}`;
    const seen = new Map<string, number>();
    const foreign: string[] = [];
    const queue = [`${base}?wsdl`];
    while (queue.length) {
      const url = queue.shift()!;
      if (seen.has(url)) continue;
      const res = await fetch(url);
      seen.set(url, res.status);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
      const doc = new DOMParser().parseFromString(await res.text(), 'text/xml');
      const refs = [
        ...Array.from(doc.getElementsByTagNameNS('http://schemas.xmlsoap.org/wsdl/', 'import')).map((e) => (e as Element).getAttribute('location')),
        ...['import', 'include', 'redefine'].flatMap((n) => Array.from(doc.getElementsByTagNameNS('http://www.w3.org/2001/XMLSchema', n)).map((e) => (e as Element).getAttribute('schemaLocation'))),
      ].filter((v): v is string => !!v);
      for (const ref of refs) {
        if (ref.startsWith(`${gw.url}/`)) queue.push(ref);
        else foreign.push(ref);
      }
      if (url.endsWith('?wsdl')) {
        const addresses = Array.from(doc.getElementsByTagNameNS('http://schemas.xmlsoap.org/wsdl/soap/', 'address')).map((e) => (e as Element).getAttribute('location'));
        for (const a of addresses) expect(a).toBe(base);
      }
    }
    for (const ref of foreign) expect(check).toContain(`imports ${ref}, which the folder does not hold`);
    expect(seen.size).toBeGreaterThanOrEqual(1);
  });
});
