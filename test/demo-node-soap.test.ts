import * as soap from 'soap';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { startGateway, type GatewayProcess } from './support/gateway';
import { demoServices, pollOperation, type DemoCase } from './support/demo';

/** The operation element's children as the plain object a node-soap user would write. */
function argsOf(envelopeXml: string): Record<string, unknown> {
  const doc = new DOMParser().parseFromString(envelopeXml, 'text/xml');
  const body = doc.getElementsByTagNameNS('http://schemas.xmlsoap.org/soap/envelope/', 'Body')[0] as Element;
  const op = Array.from(body.childNodes).find((n) => n.nodeType === 1) as Element;
  const convert = (el: Element): unknown => {
    const kids = Array.from(el.childNodes).filter((n) => n.nodeType === 1) as Element[];
    const attrs = Array.from(el.attributes).filter((a) => !a.name.startsWith('xmlns') && a.prefix !== 'wsu');
    if (!kids.length && !attrs.length) return el.textContent ?? '';
    const out: Record<string, unknown> = {};
    if (attrs.length) out.attributes = Object.fromEntries(attrs.map((a) => [a.localName, a.value]));
    if (!kids.length) out.$value = el.textContent;
    for (const k of kids) {
      const v = convert(k);
      const key = k.localName!;
      if (key in out) out[key] = ([] as unknown[]).concat(out[key], v);
      else out[key] = v;
    }
    return out;
  };
  return convert(op) as Record<string, unknown>;
}

type Result = { Message: { Status: string; RequestIdRef?: string; OriginRequestIdRef?: string } };

describe('node-soap imports every demo WSDL from the running gateway and calls every operation', () => {
  let gw: GatewayProcess;
  const services = demoServices();
  const called = new Set<string>();

  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  test('there are four demo services with found, not-found and business-error cases', () => {
    expect(services.map((s) => s.sid)).toEqual(['SID0003456', 'SID0003525', 'SID0003564', 'SID0003623']);
    for (const s of services) {
      const names = s.cases.map((c) => c.name).join(' ');
      expect(names).toMatch(/found/);
      expect(names).toMatch(/not-found/);
      expect(names).toMatch(/business-error/);
      expect(s.cases.some((c) => c.finalStatus === 'REJECT' || c.finalStatus === 'INVALID')).toBe(true);
    }
  });

  const rows = services.flatMap((s) => s.cases.map((c) => [s.sid, c.name, s, c] as const));
  test.each(rows)('%s %s', async (sid, _name, service, c: DemoCase) => {
    // an AppDocument may come as MTOM (the demo Rosreestr's found-transfer): node-soap reads it when asked to
    const client = await soap.createClientAsync(`${gw.url}/gateway/services/${sid}?wsdl`, { parseReponseAttachments: true });
    const call = async (op: string, xml: string): Promise<Result> => {
      called.add(`${sid}.${op}`);
      const [result] = await (client as unknown as Record<string, (a: unknown) => Promise<[Result]>>)[`${op}Async`](argsOf(xml));
      return result;
    };
    const mode = service.operations[c.operation] ?? 'sync';
    const first = await call(c.operation, c.request);
    if (mode === 'sync') {
      expect(first.Message.Status).toBe(c.finalStatus);
      return;
    }
    expect(first.Message.Status).toBe('ACCEPT');
    const origin = first.Message.RequestIdRef!;
    const pollOp = mode === 'async' ? c.operation : pollOperation(service)!;
    const ping = (c.ping ?? c.request).replace(/(<(?:\w+:)?OriginRequestIdRef>)[^<]*/, `$1${origin}`);
    const seen: string[] = [];
    for (let i = 0; i <= c.processPolls; i++) seen.push((await call(pollOp, ping)).Message.Status);
    expect(seen).toEqual([...Array(c.processPolls).fill('PROCESS'), c.finalStatus]);
  });

  test('every operation of every demo WSDL was called', () => {
    const all = services.flatMap((s) => Object.keys(s.operations).map((o) => `${s.sid}.${o}`));
    expect([...called].sort()).toEqual(all.sort());
  });
});
