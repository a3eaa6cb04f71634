import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { readJournal } from './support/journal';
import { ROOT } from './support/paths';

/** The addresses real clients use (PROTOCOL.md §6), on the demo registry. */
describe('the addresses clients really use', () => {
  let gw: GatewayProcess;
  const REQUEST = readFileSync(join(ROOT, 'fixtures', 'SID0003623', 'found', 'request.xml'));
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });
  let posted = 0;
  const address = (xml: string) => /<(?:\w+:)?address location="([^"]+)"/.exec(xml)?.[1];

  test.each([
    ['?wsdl', '?wsdl', ''],
    ['?WSDL', '?WSDL', ''],
    ['?Wsdl', '?Wsdl', ''],
    ['?singleWsdl', '?singleWsdl', ''],
    ['?SINGLEWSDL', '?SINGLEWSDL', ''],
    ['/1.00?WSDL', '/1.00?WSDL', '/1.00'],
    ['/1.00?singleWsdl', '/1.00?singleWsdl', '/1.00'],
  ])('GET %s: the WSDL, its soap:address the service URL', async (_n, suffix, service) => {
    const res = await fetch(`${gw.url}/gateway/services/SID0003623${suffix}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    const xml = await res.text();
    expect(xml).toMatch(/<(?:\w+:)?definitions[\s>]/);
    expect(address(xml)).toBe(`${gw.url}/gateway/services/SID0003623${service}`);
  });

  test('?WSDL on an unknown SID: 404 naming it, not 405', async () => {
    const res = await fetch(`${gw.url}/gateway/services/SID0000001?WSDL`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('No policies found for service "SID0000001"');
  });

  test.each([
    ['/wsdl', '/wsdl'],
    ['/1.00/wsdl', '/1.00/wsdl'],
  ])('POST of SOAP to %s is a call to the service, journaled under its SID', async (_n, suffix) => {
    const direct = await post(`${gw.url}/gateway/services/SID0003623`, REQUEST);
    const res = await post(`${gw.url}/gateway/services/SID0003623${suffix}`, REQUEST);
    expect(direct.status).toBe(200);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('No policies found');
    // the same emulated answer as at the service's own address
    const snils = (xml: string) => /<(?:\w+:)?СтраховойНомер>([^<]+)</.exec(xml)?.[1];
    expect(snils(res.text)).toBe('158-301-447 53');
    expect(snils(direct.text)).toBe('158-301-447 53');
    posted += 2;
    // each call journals its legs under the SID, none under "SID0003623/wsdl"
    const consumerLegs = await journalOf(gw.db, "direction = 'consumer->gateway'", posted);
    expect(consumerLegs.map((l) => l.sid)).toEqual(Array(posted).fill('SID0003623'));
  });

  test('POST to the WSDL address of a wrong version: the node\'s fault naming SID and version', async () => {
    const res = await post(`${gw.url}/gateway/services/SID0003623/9.99/wsdl`, REQUEST);
    expect(res.status).toBe(500);
    expect(res.text).toContain('<faultcode>soap:Client</faultcode>');
    expect(res.text).toContain('No policies found for service "SID0003623/9.99"');
  });
});

/** The journal's rows matching `where` once there are at least n (it writes in batches). */
async function journalOf(db: string, where: string, n: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const rows = await readJournal(db, where);
    if (rows.length >= n || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 25));
  }
}
