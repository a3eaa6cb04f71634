import http from 'node:http';
import { startGateway, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';

describe('published WSDLs point at the gateway', () => {
  let gw: GatewayProcess;
  let withBase: GatewayProcess;
  beforeAll(async () => {
    const dir = makeRegistry([{ bundle: ECHO_BUNDLE, def: echoDefinition('SID0400001', { type: 'http', url: 'http://127.0.0.1:9/' }) }]);
    // the test's client plays the reverse proxy: loopback is listed (off by default: test/sessions-proxies.test.ts)
    gw = await startGateway({ services: dir, env: { SMEV2_TRUST_PROXY: '127.0.0.1' } });
    withBase = await startGateway({ services: dir, args: ['--base-url', 'https://smev.example.org/'] });
  });
  afterAll(async () => {
    await gw?.stop();
    await withBase?.stop();
  });

  const address = (xml: string) => /<soap:address location="([^"]+)"/.exec(xml)?.[1];
  const include = (xml: string) => /<xs:include schemaLocation="([^"]+)"/.exec(xml)?.[1];

  test.each([
    ['?wsdl', '/gateway/services/SID0400001?wsdl', '/gateway/services/SID0400001'],
    ['/wsdl', '/gateway/services/SID0400001/wsdl', '/gateway/services/SID0400001'],
    ['/<version>?wsdl', '/gateway/services/SID0400001/1.00?wsdl', '/gateway/services/SID0400001/1.00'],
    ['/<version>/wsdl', '/gateway/services/SID0400001/1.00/wsdl', '/gateway/services/SID0400001/1.00'],
  ])('%s: soap:address is the service URL, imports are gateway URLs', async (_n, path, service) => {
    const res = await fetch(`${gw.url}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    const xml = await res.text();
    expect(address(xml)).toBe(`${gw.url}${service}`);
    expect(include(xml)).toBe(`${gw.url}/gateway/services/SID0400001/files/xsd/echo.xsd`);
    const xsd = await fetch(include(xml)!);
    expect(xsd.status).toBe(200);
    expect(await xsd.text()).toContain('name="EchoRequest"');
  });

  test('X-Forwarded-Proto and X-Forwarded-Host are honoured from a trusted proxy', async () => {
    const xml = await (await fetch(`${gw.url}/gateway/services/SID0400001?wsdl`, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'gw.region.ru:8443' } })).text();
    expect(address(xml)).toBe('https://gw.region.ru:8443/gateway/services/SID0400001');
    expect(include(xml)).toBe('https://gw.region.ru:8443/gateway/services/SID0400001/files/xsd/echo.xsd');
  });

  test('a hostile X-Forwarded-Host is not echoed into the WSDL', async () => {
    const xml = await (await fetch(`${gw.url}/gateway/services/SID0400001?wsdl`, { headers: { 'x-forwarded-host': 'evil"><x' } })).text();
    expect(address(xml)).toBe(`${gw.url}/gateway/services/SID0400001`);
  });

  test('the configured base URL is used when no proxy headers come', async () => {
    const xml = await (await fetch(`${withBase.url}/gateway/services/SID0400001?wsdl`)).text();
    expect(address(xml)).toBe('https://smev.example.org/gateway/services/SID0400001');
  });

  test('unknown SID and unknown file: 404 with the node text', async () => {
    const a = await fetch(`${gw.url}/gateway/services/SID0000000?wsdl`);
    expect(a.status).toBe(404);
    expect(await a.text()).toContain('No policies found for service "SID0000000"');
    // a raw request: fetch would normalise the dots away before sending
    const status = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: gw.port, path: '/gateway/services/SID0400001/files/xsd/../../../../etc/passwd' }, (r) => { r.resume(); resolve(r.statusCode!); });
    });
    expect(status).toBe(404);
    const c = await fetch(`${gw.url}/gateway/services/SID0400001/files/service.yaml`);
    expect(c.status).toBe(404);
  });

  test('the index lists the services with their WSDL links', async () => {
    const json = await (await fetch(`${gw.url}/gateway/services`, { headers: { accept: 'application/json' } })).json();
    expect(json).toEqual([{ sid: 'SID0400001', version: '1.00', wsdl: `${gw.url}/gateway/services/SID0400001?wsdl` }]);
    const html = await (await fetch(`${gw.url}/`)).text();
    expect(html).toContain(`href="${gw.url}/gateway/services/SID0400001?wsdl"`);
  });
});
