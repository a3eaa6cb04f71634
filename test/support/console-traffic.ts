import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './paths';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './registry';
import { post, runCli } from './gateway';

/**
 * Real traffic for the web console's tests: the demo services, called as their fixture cases
 * say (sync, and the asynchronous REQUEST → ACCEPT → PING … → RESULT chains), some of them
 * signed, a few refused, one AppData written to break a page that does not escape it, and a
 * guaranteed-delivery SID whose provider is down, so that a dead letter appears.
 */

export const DEAD_SID = 'SID0900001';
/** a SID whose bundle has every XSD construct the composer's form draws (test/data/compose) */
export const SYNTHETIC_SID = 'SID0900002';
/** AppData text that would run script in a page that inserted journal text as HTML */
export const HOSTILE = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>';

/** The demo registry (its fixtures found by absolute path) plus the guaranteed-delivery SID sending to `downUrl`. */
export function consoleRegistry(downUrl: string): string {
  const demo = ['SID0003456', 'SID0003525', 'SID0003564', 'SID0003623'].map((sid) => {
    const def = parse(readFileSync(join(ROOT, 'wsdl', sid, 'service.yaml'), 'utf8'));
    def.adapter.cases = join(ROOT, 'fixtures', sid);
    return { bundle: join(ROOT, 'wsdl', sid), def };
  });
  const dir = makeRegistry([
    ...demo,
    {
      bundle: ECHO_BUNDLE,
      def: {
        ...echoDefinition(DEAD_SID, { type: 'http', url: downUrl, readTimeoutMs: 2000 }),
        title: 'Эхо с гарантированной доставкой (поставщик недоступен)',
        delivery: { mode: 'guaranteed', maxAttempts: 2, initialBackoffMs: 100, maxBackoffMs: 200, pollIntervalMs: 150 },
      },
    },
    {
      bundle: join(ROOT, 'test', 'data', 'compose'),
      def: {
        ...echoDefinition(SYNTHETIC_SID, { type: 'emulator', cases: 'cases' }),
        service: { mnemonic: 'SYNTH', version: '1.00' }, title: 'Синтетическая схема: все конструкции XSD формы', wsdl: 'Synthetic.wsdl',
      },
    },
  ]);
  const any = join(dir, SYNTHETIC_SID, 'cases', 'any');
  mkdirSync(any, { recursive: true });
  writeFileSync(join(any, 'case.yaml'), 'match: {}\n');
  writeFileSync(join(any, 'answer.xml'), readFileSync(join(ECHO_BUNDLE, 'answer.xml')));
  return dir;
}

const fixture = (sid: string, c: string, f = 'request.xml') => readFileSync(join(ROOT, 'fixtures', sid, c, f), 'utf8');
const field = (xml: string, name: string) => new RegExp(`<(?:\\w+:)?${name}>([^<]*)</(?:\\w+:)?${name}>`).exec(xml)?.[1];

export interface Traffic {
  /** the tickets (chain ids) of the asynchronous exchanges that reached RESULT */
  chains: { sid: string; ticket: string; statuses: string[] }[];
  /** the dead letter's ticket */
  dead: string;
  /** how many SOAP calls were made */
  calls: number;
}

/** Play the traffic against a running gateway; `keys` is its keys folder (to sign as the demo systems). */
export async function playTraffic(url: string, keys: string): Promise<Traffic> {
  const work = mkdtempSync(join(tmpdir(), 'smev2-console-'));
  let calls = 0;
  const call = async (sid: string, body: string) => {
    calls++;
    const r = await post(`${url}/gateway/services/${sid}`, body);
    return r;
  };
  const sign = async (xml: string, as: string) => {
    const file = join(work, `in-${calls}-${Math.random().toString(36).slice(2)}.xml`);
    writeFileSync(file, xml);
    const res = await runCli(['sign', file, '--as', as, '--keys', keys]);
    if (res.code !== 0) throw new Error(`sign: ${res.stderr}`);
    return res.stdout;
  };

  // synchronous: SNILS (found signed as the sender, not found, business error), EGRUL
  await call('SID0003623', await sign(fixture('SID0003623', 'found'), 'MINZ01001'));
  await call('SID0003623', fixture('SID0003623', 'not-found'));
  await call('SID0003623', fixture('SID0003623', 'business-error'));
  await call('SID0003525', await sign(fixture('SID0003525', 'found'), 'MINE01001'));
  await call('SID0003525', fixture('SID0003525', 'found-by-inn'));
  // refused: a signature of another system (reported, passes), a malformed message, a DOCTYPE
  await call('SID0003623', await sign(fixture('SID0003623', 'found').replace('ИВАНОВА', 'ИВАНОВ'), 'PNZR01581'));
  await call('SID0003623', '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><oops/></soapenv:Body></soapenv:Envelope>');
  await call('SID0003525', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>');
  // attacker-controlled text in the AppData: the console must show it as text
  await call('SID0003623', fixture('SID0003623', 'not-found').replace(/(<pfr:Фамилия>)[^<]*/, `$1${HOSTILE.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}`));

  // and XHTML elements that a browser would run if the page parsed the envelope as markup
  await call('SID0003623', fixture('SID0003623', 'not-found').replace(/(<pfr:Фамилия>[^<]*<\/pfr:Фамилия>)/,
    '$1<h:script xmlns:h="http://www.w3.org/1999/xhtml">window.__xss=2</h:script><h:img xmlns:h="http://www.w3.org/1999/xhtml" src="x" onerror="window.__xss=3"/>'));

  // asynchronous chains: PING until RESULT
  const chains: Traffic['chains'] = [];
  for (const [sid, c, pingOp] of [['SID0003456', 'found', 'ping.xml'], ['SID0003564', 'found', 'ping.xml'], ['SID0003456', 'not-found', 'ping.xml']] as const) {
    const request = fixture(sid, c);
    const accept = await call(sid, sid === 'SID0003456' && c === 'found' ? await sign(request, 'PNZR01581') : request);
    const ticket = field(accept.text, 'RequestIdRef');
    if (!ticket) throw new Error(`${sid}/${c}: no ACCEPT ticket in ${accept.text.slice(0, 400)}`);
    const statuses = [field(accept.text, 'Status')!];
    let ping: string;
    try {
      ping = fixture(sid, c, pingOp);
    } catch {
      ping = fixture(sid, 'found', pingOp);
    }
    ping = ping.replace(/(<(?:\w+:)?OriginRequestIdRef>)[^<]*</, `$1${ticket}<`);
    for (let i = 0; i < 8; i++) {
      const r = await call(sid, ping);
      statuses.push(field(r.text, 'Status') ?? 'FAULT');
      if (statuses.at(-1) !== 'PROCESS') break;
    }
    chains.push({ sid, ticket, statuses });
  }

  // guaranteed delivery to a provider that is down: two attempts, then a dead letter
  const accept = await call(DEAD_SID, readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8'));
  const dead = field(accept.text, 'RequestIdRef');
  if (!dead) throw new Error(`${DEAD_SID}: no ACCEPT ticket in ${accept.text.slice(0, 400)}`);
  return { chains, dead, calls };
}
