// Every refusal answered and counted (issue 13): what node's HTTP parser or the router refuses on a
// SOAP path gets a SOAP fault where a response can still be written, a metric by reason, and a
// journal line where a request line was read.
import net from 'node:net';
import { randomInt, randomUUID } from 'node:crypto';
import { startGateway, type GatewayProcess } from './support/gateway';
import { readJournal } from './support/journal';

/** Write raw bytes on a fresh connection (optionally waiting between parts); read until it closes. */
function raw(port: number, parts: (string | Buffer)[], pauseMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (c) => (out += c.toString('utf8')));
    s.on('close', () => resolve(out));
    s.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(out) : reject(e)));
    s.on('connect', async () => {
      for (const p of parts) {
        s.write(p);
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
  });
}
const status = (res: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(res)?.[1]);
const faultstring = (res: string) => /<faultstring>([\s\S]*?)<\/faultstring>/.exec(res)?.[1];

describe('refusals of the HTTP layer and the router are SOAP faults, journaled and counted', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    // a body or headers must arrive within 1.5 s here
    gw = await startGateway({ env: { SMEV2_REQUEST_TIMEOUT_MS: '1500' } });
  }, 60000);
  afterAll(async () => gw?.stop());

  const sid = () => `SID0${String(randomInt(1_000_000)).padStart(6, '0')}`;
  const journaled = async (path: string) => (await readJournal(gw.db, 'sid = ?', [path])).map((r) => [r.direction, r.fault_code, r.http_status]);
  const metric = async (reason: string) => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    return Number(new RegExp(`^smev2_http_refused_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  };

  test('request headers past node’s limit: 431 with GW-1019, journaled under the SID, counted', async () => {
    const s = sid();
    const before = await metric('HPE_HEADER_OVERFLOW');
    const res = await raw(gw.port, [`POST /gateway/services/${s} HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(17_000 + randomInt(10_000))}\r\n\r\n`]);
    expect(status(res)).toBe(431);
    expect(faultstring(res)).toBe('GW-1019: The HTTP request headers are too large: the limit is 16384 bytes');
    expect(await journaled(s)).toEqual([['consumer->gateway', null, null], ['gateway->consumer', 'GW-1019', 431]]);
    expect(await metric('HPE_HEADER_OVERFLOW')).toBe(before + 1);
  });

  test('bad framing, before or inside the body: 400 with GW-1018 naming what node refused', async () => {
    const framings: [string, (s: string) => string, RegExp][] = [
      ['Content-Length and Transfer-Encoding together', (s) => `POST /gateway/services/${s} HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n`, /HPE_INVALID_TRANSFER_ENCODING|HPE_UNEXPECTED_CONTENT_LENGTH/],
      ['a header line without a colon', (s) => `POST /gateway/services/${s} HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n`, /HPE_INVALID_HEADER_TOKEN/],
      ['a chunk size that is not hex', (s) => `POST /gateway/services/${s} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n<a/>\r\n${randomUUID().slice(0, 2)}zz\r\n`, /HPE_INVALID_CHUNK_SIZE/],
      ['two Content-Length values', (s) => `POST /gateway/services/${s} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabc`, /HPE_UNEXPECTED_CONTENT_LENGTH|HPE_INVALID_CONTENT_LENGTH/],
    ];
    for (const [name, request, reason] of framings) {
      const s = sid();
      const res = await raw(gw.port, [request(s)]);
      expect([name, status(res)]).toEqual([name, 400]);
      expect([name, faultstring(res)]).toEqual([name, expect.stringMatching(/^GW-1018: The HTTP request could not be read: /)]);
      expect(faultstring(res)).toMatch(reason);
      expect([name, await journaled(s)]).toEqual([name, [['consumer->gateway', null, null], ['gateway->consumer', 'GW-1018', 400]]]);
    }
  });

  test('headers that do not arrive in time: 408 with GW-1016, counted', async () => {
    const before = await metric('ERR_HTTP_REQUEST_TIMEOUT');
    const res = await raw(gw.port, [`POST /gateway/services/${sid()} HTTP/1.1\r\n`, 'Host: x\r\n'], 400);
    expect(status(res)).toBe(408);
    expect(faultstring(res)).toMatch(/^GW-1016: /);
    expect(await metric('ERR_HTTP_REQUEST_TIMEOUT')).toBe(before + 1);
  });

  test('no service address under /gateway/services: GW-1020, journaled', async () => {
    for (const path of [`/gateway/services/${sid()}/1.00/extra`, `/gateway/services/${sid()}/a/b/c`, '/gateway/services//x/y']) {
      const res = await fetch(`${gw.url}${path}`, { method: 'POST', body: '<a/>', headers: { 'content-type': 'text/xml' } });
      expect([path, res.status]).toEqual([path, 404]);
      expect(faultstring(await res.text())).toMatch(/^GW-1020: No service at \/gateway\/services\//);
    }
    const rows = await readJournal(gw.db, "fault_code = 'GW-1020'");
    expect(rows.length).toBeGreaterThanOrEqual(3);
  });

  test('a method other than POST on a service address: GW-1011, journaled', async () => {
    const res = await fetch(`${gw.url}/gateway/services/SID0003623`, { method: 'PUT', body: 'x' });
    expect(res.status).toBe(405);
    expect(faultstring(await res.text())).toMatch(/^GW-1011: /);
    const rows = await readJournal(gw.db, "sid = 'SID0003623' AND fault_code = 'GW-1011'");
    expect(rows.length).toBe(1);
  });

  test('the process is alive and serves after all of that', async () => {
    expect(gw.alive()).toBe(true);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
