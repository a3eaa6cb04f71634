import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, runCli, post, type GatewayProcess } from './support/gateway';
import { readJournal } from './support/journal';
import { ROOT } from './support/paths';

const FOUND = readFileSync(join(ROOT, 'fixtures', 'SID0003456', 'found', 'request.xml'), 'utf8');
const faultstring = (xml: string) => /<faultstring>([\s\S]*?)<\/faultstring>/.exec(xml)?.[1];

describe('SOAPAction against the WSDL, and the offline check command', () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test('a SOAPAction naming another operation of the WSDL than the Body: GW-1005, journaled', async () => {
    const res = await post(`${gw.url}/gateway/services/SID0003456`, FOUND, { SOAPAction: '"http://smev2-gateway.demo/mvd/conviction/getConvictionResponse"' });
    expect(res.status).toBe(500);
    expect(faultstring(res.text)).toMatch(/^GW-1005: SOAPAction "http:\/\/smev2-gateway\.demo\/mvd\/conviction\/getConvictionResponse" names operation getConvictionResponse but the Body carries sendConvictionRequest$/);
    const rows = await readJournal(gw.db, 'sid = ?', ['SID0003456']);
    expect(rows.at(-1)).toMatchObject({ direction: 'gateway->consumer', fault_code: 'GW-1005' });
    expect(rows.filter((r) => r.exchange_id === rows.at(-1)!.exchange_id)).toHaveLength(2);
  });

  test('check: a good fixture passes every control but the (absent) signature', async () => {
    const res = await runCli(['check', join(ROOT, 'fixtures', 'SID0003623', 'found', 'request.xml'), '--sid', 'SID0003623', '--keys', gw.keys]);
    expect(res.stdout).toMatch(/^ok {4}limits\nok {4}parse\nok {4}route\nok {4}control\nFAIL  signature  SMEV-100008: /m);
    expect(res.stdout).toMatch(/^ok {4}access$/m);
    expect(res.code).toBe(1);
  });

  test('check: a signed fixture passes everything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smev2-check-'));
    const signed = await runCli(['sign', join(ROOT, 'fixtures', 'SID0003623', 'found', 'request.xml'), '--as', 'MINZ01001', '--keys', gw.keys, '--out', join(dir, 's.xml')]);
    expect(signed.code).toBe(0);
    const res = await runCli(['check', join(dir, 's.xml'), '--sid', 'SID0003623', '--keys', gw.keys]);
    expect(res.stdout).toMatch(/no violations\n$/);
    expect(res.code).toBe(0);
  });

  test('check: every violation with its fault code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smev2-check-'));
    const bad = readFileSync(join(ROOT, 'fixtures', 'SID0003623', 'found', 'request.xml'), 'utf8')
      .replace('<smev:Status>REQUEST', '<smev:Status>RESULT').replace('<smev:Sender>', '<smev:Foo/><smev:Sender>')
      .replace(/(<smev:Recipient>\s*<smev:Code>)PFRF01001/, '$1MVDR01001');
    writeFileSync(join(dir, 'bad.xml'), bad);
    const res = await runCli(['check', join(dir, 'bad.xml'), '--sid', 'SID0003623', '--keys', gw.keys]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^FAIL  control    SMEV-102000: Message does not conform to the schema \(envelope rev111111\): line \d+: Element '\{http:\/\/smev\.gosuslugi\.ru\/rev111111\}Foo'/m);
    expect(res.stdout).toMatch(/^FAIL  control    GW-4002: Recipient MVDR01001 is not the provider of SID0003623 \(PFRF01001\)$/m);
    expect(res.stdout).toMatch(/^FAIL  control    GW-4003: Status RESULT is not allowed/m);
    expect(res.stdout).toMatch(/^\d violation\(s\)$/m);
    const unknown = await runCli(['check', join(dir, 'bad.xml'), '--sid', 'SID0999999']);
    expect(unknown.stdout).toMatch(/^FAIL  route      No policies found for service "SID0999999"/m);
  });
});
