// How an emulated provider chooses its case (issue 17, item 2) and where that state lives (item
// 4): dispatch.yaml's sequence (with and without loop), random by weight, and a script in a
// sandbox; WireMock-like scenarios; near misses ranked in the INVALID answer and kept for the
// admin API; resets through the admin API; and the state shared by two instances on one store
// (this pass's: one SQLite file, or one PostgreSQL database) and kept across a restart.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, post, runCli, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { ROOT } from './support/paths';
import { STORE_NAME } from './support/store';

const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const USERS = join(ROOT, 'test', 'data', 'admin-users.yaml');
const OPERATOR = { authorization: `Basic ${Buffer.from('operator:operator-test').toString('base64')}`, 'x-requested-with': 'test' };

const SEQ = 'SID0971001';
const LOOP = 'SID0971002';
const RANDOM = 'SID0971003';
const SCRIPT = 'SID0971004';
const SCENARIO = 'SID0971005';
const NEAR = 'SID0971006';

/** A request whose AppData/Text is `text` (XML-escaped as the echo request's is). */
const withText = (text: string) => REQUEST.replace('Привет &amp; hello', text.replace(/&/g, '&amp;').replace(/</g, '&lt;'));
/** The answer's AppData/Text: the name of the case that answered (each case's answer says it); else what came instead. */
const answered = (xml: string) => /<e:Text>([^<]*)<\/e:Text>/.exec(xml)?.[1] ?? `not a case's answer: ${xml.slice(0, 2000)}`;
const status = (xml: string) => /<smev:Status>([^<]*)</.exec(xml)?.[1];
const emuError = (xml: string) => /<emu:Error[^>]*>([^<]*)</.exec(xml)?.[1]?.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/** Case folders of a SID: each answers with its own name in AppData/Text. */
function withCases(dir: string, sid: string, cases: Record<string, string>, files: Record<string, string> = {}): void {
  for (const [name, yaml] of Object.entries(cases)) {
    const d = join(dir, sid, 'cases', name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, 'case.yaml'), yaml);
    writeFileSync(join(d, 'answer.xml'), ANSWER.replace('>echo<', `>${name}<`));
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, sid, 'cases', name), text);
}

/** The dispatch script of SCRIPT: chooses by AppData's text; some texts try what a script may not do. */
const CHOOSE_JS = `
function dispatch(request, context) {
  var text = request.AppData.Text;
  if (request.xpath('AppData/Text') !== text || request.xpath('Message/Sender/Code') !== 'MINZ01001' || request.operation !== 'Echo') return 'the view is wrong';
  if (text === 'loop') for (;;) {}
  if (text === 'fs') return require('fs').readFileSync('/etc/passwd', 'utf8');
  if (text === 'process') return process.env.HOME;
  if (text === 'eval') return eval('"hello"');
  if (text === 'escape') return (function () { return this; })().constructor.constructor('return process')().pid;
  if (text === 'throw') throw new Error('no case for this one');
  if (text === 'unknown') return 'nope';
  if (text === 'async') {
    (async function () { throw new Error('late'); })();
    Promise.reject(new Error('later'));
    import('fs');
    return 'other';
  }
  if (text === 'promise') return Promise.resolve('hello');
  if (text === 'remember') return { case: 'other', state: { mood: 'happy' } };
  if (text === 'mood') return context.state('mood') === 'happy' ? 'happy' : 'other';
  return text.indexOf('Привет') === 0 ? 'hello' : 'other';
}
`;

function registry(): string {
  const emulated = (sid: string) => ({ bundle: ECHO_BUNDLE, def: echoDefinition(sid, { type: 'emulator', cases: 'cases' }) });
  const dir = makeRegistry([SEQ, LOOP, RANDOM, SCRIPT, SCENARIO, NEAR].map(emulated));
  withCases(dir, SEQ, { first: '{}\n', second: '{}\n', third: '{}\n' }, { 'dispatch.yaml': 'Echo:\n  style: sequence\n  cases: [first, second, third]\n' });
  withCases(dir, LOOP, { ping: '{}\n', pong: '{}\n' }, { 'dispatch.yaml': "'*':\n  style: sequence\n  cases: [ping, pong]\n  loop: true\n" });
  withCases(dir, RANDOM, { heavy: 'weight: 3\n', light: 'weight: 1\n', never: 'weight: 0\n' }, { 'dispatch.yaml': 'Echo: { style: random, cases: [heavy, light, never] }\n' });
  withCases(dir, SCRIPT, { hello: '{}\n', other: '{}\n', happy: '{}\n' }, { 'dispatch.yaml': 'Echo: { style: script, script: choose.js }\n', 'choose.js': CHOOSE_JS });
  withCases(dir, SCENARIO, {
    one: 'match: { AppData/Text: step }\nscenario: { name: flow, requiredState: Started, newState: Second }\n',
    two: 'match: { AppData/Text: step }\nscenario: { name: flow, requiredState: Second, newState: Third }\n',
    three: 'match: { AppData/Text: step }\nscenario: { name: flow, requiredState: Third }\n',
    down: 'match: { AppData/Text: flag }\nscenario: { name: flag, requiredState: Started, newState: Raised }\n',
    up: 'match: { AppData/Text: flag }\nscenario: { name: flag, requiredState: Raised }\n',
  });
  withCases(dir, NEAR, {
    exact: 'match:\n  AppData/Text: exactly this\n  Message/CaseNumber: "*"\n',
    hello: 'match:\n  AppData/Text: /^Привет/\n  Message/Sender/Code: NOBODY01\n',
    lang: 'priority: 2\nmatch:\n  AppData/Text/@lang: en\n',
  });
  return dir;
}

describe(`emulator dispatch, scenarios and their state in the store, on ${STORE_NAME}`, () => {
  let services: string;
  let a: GatewayProcess;
  const others: GatewayProcess[] = [];
  beforeAll(async () => {
    services = registry();
    a = await startGateway({ services, args: ['--admin-users', USERS, '--log-format', 'json'] });
  }, 60_000);
  afterAll(async () => {
    for (const g of others) await g.stop();
    await a?.stop();
  });

  const call = (gw: GatewayProcess, sid: string, text = 'Привет & hello') => post(`${gw.url}/gateway/services/${sid}`, withText(text));
  const calls = async (gw: GatewayProcess, sid: string, n: number, text?: string) => {
    const out: (string | undefined)[] = [];
    for (let i = 0; i < n; i++) out.push(answered((await call(gw, sid, text)).text));
    return out;
  };
  const admin = async (gw: GatewayProcess, path: string, method = 'GET') => {
    const r = await fetch(`${gw.url}/admin${path}`, { method, headers: OPERATOR });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  test('sequence: the listed cases in order, then the last again; with loop: from the first again', async () => {
    expect(await calls(a, SEQ, 5)).toEqual(['first', 'second', 'third', 'third', 'third']);
    expect(await calls(a, LOOP, 5)).toEqual(['ping', 'pong', 'ping', 'pong', 'ping']);
    // the position is a counter in the store, per SID and operation
    const s = await admin(a, `/emulator/${SEQ}/state`);
    expect(s.status).toBe(200);
    expect(s.body.counters).toEqual([expect.objectContaining({ name: 'dispatch:Echo', value: 5 })]);
  }, 60_000);

  test('random: each case by its weight (3:1), a case of weight 0 never', async () => {
    const got = await calls(a, RANDOM, 200);
    const n = (c: string) => got.filter((x) => x === c).length;
    expect(n('heavy') + n('light')).toBe(200);
    expect(n('never')).toBe(0);
    // heavy's share is 0.75; 0.6–0.9 is about five standard deviations either side for 200 calls
    expect(n('heavy')).toBeGreaterThanOrEqual(120);
    expect(n('heavy')).toBeLessThanOrEqual(180);
    expect(n('light')).toBeGreaterThan(0);
  }, 120_000);

  test('script: dispatch(request, context) chooses by the request\'s values, and may set and read scenario states', async () => {
    expect(await calls(a, SCRIPT, 1, 'Привет всем')).toEqual(['hello']);
    expect(await calls(a, SCRIPT, 1, 'something else')).toEqual(['other']);
    expect(await calls(a, SCRIPT, 1, 'mood')).toEqual(['other']);
    expect(await calls(a, SCRIPT, 1, 'remember')).toEqual(['other']);
    expect(await calls(a, SCRIPT, 1, 'mood')).toEqual(['happy']);
    const s = await admin(a, `/emulator/${SCRIPT}/state`);
    expect(s.body.scenarios).toEqual([expect.objectContaining({ name: 'mood', state: 'happy' })]);
  }, 60_000);

  test('script: one that loops, throws, chooses no case, or reaches for modules, the process or eval gets INVALID with the reason; the gateway keeps answering', async () => {
    const invalid = async (text: string) => {
      const r = await call(a, SCRIPT, text);
      expect([text, r.status, status(r.text)]).toEqual([text, 200, 'INVALID']);
      return emuError(r.text)!;
    };
    const file = join(services, SCRIPT, 'cases', 'choose.js');
    expect(await invalid('loop')).toBe(`the dispatch script ${file} ran past its time limit of 1000 ms`);
    expect(await calls(a, SCRIPT, 1, 'Привет')).toEqual(['hello']);
    expect(await invalid('fs')).toMatch(new RegExp(`^the dispatch script ${file} threw require is not defined \\(at choose\\.js:\\d+:\\d+\\)$`));
    expect(await invalid('process')).toMatch(/threw process is not defined/);
    expect(await invalid('eval')).toMatch(/threw Code generation from strings disallowed for this context/);
    expect(await invalid('escape')).toMatch(/threw Code generation from strings disallowed for this context/);
    expect(await invalid('throw')).toMatch(/threw no case for this one \(at choose\.js:\d+:\d+\)/);
    expect(await invalid('unknown')).toBe(`the dispatch script ${file} chose case "nope", which ${SCRIPT} does not have (it has: happy, hello, other)`);
    expect(await invalid('promise')).toMatch(/dispatch\(\) returned a promise: it must return a case name \(or \{ case, state \}\) at once/);
    // promises left rejected and a dynamic import: the answer stands, and neither ends the gateway
    expect(await calls(a, SCRIPT, 1, 'async')).toEqual(['other']);
    expect(await calls(a, SCRIPT, 3, 'Привет')).toEqual(['hello', 'hello', 'hello']);
    expect(a.alive()).toBe(true);
    const failures = a.logs().split('\n').filter((l) => l.includes('"msg":"emulator: dispatch failed"'));
    expect(failures.length).toBe(8);
    expect(failures[0]).toContain('ran past its time limit of 1000 ms');
  }, 60_000);

  test('scenarios: a case answers only in its required state and moves the scenario on', async () => {
    expect(await calls(a, SCENARIO, 4, 'step')).toEqual(['one', 'two', 'three', 'three']);
    expect(await calls(a, SCENARIO, 2, 'flag')).toEqual(['down', 'up']);
    const s = await admin(a, `/emulator/${SCENARIO}/state`);
    expect(s.body.scenarios).toEqual([
      { name: 'flag', state: 'Raised', updatedAt: expect.any(String) },
      { name: 'flow', state: 'Third', updatedAt: expect.any(String) },
    ]);
  }, 60_000);

  test('near misses: the INVALID answer ranks the closest cases (conditions met, then priority); the misses endpoint keeps them', async () => {
    const r = await call(a, NEAR, 'exactly that');
    expect(status(r.text)).toBe('INVALID');
    expect(emuError(r.text)).toBe('no emulated answer matches; closest case "exact" differs at AppData/Text: expected "exactly this", got "exactly that" (1 of 2 conditions met)'
      + '; 2. "lang" differs at AppData/Text/@lang: expected "en", got nothing (0 of 1 conditions met)'
      + '; 3. "hello" differs at AppData/Text: expected "/^Привет/", got "exactly that" (0 of 2 conditions met)');
    // a scenario's required state is a condition like the others
    await admin(a, `/emulator/${SCENARIO}/reset`, 'POST');
    const flow = await call(a, SCENARIO, 'nothing');
    expect(emuError(flow.text)).toMatch(/^no emulated answer matches; closest case "(down|one)" differs at AppData\/Text: expected "(flag|step)", got "nothing" \(1 of 2 conditions met\); 2\. /);
    await call(a, SCENARIO, 'flag'); // flag: Raised
    const raised = emuError((await call(a, SCENARIO, 'nothing')).text)!;
    expect(raised).toMatch(/^no emulated answer matches; closest case "(one|up)" .*\(1 of 2 conditions met\)/);
    expect(raised).toContain('"down" differs at AppData/Text: expected "flag", got "nothing" (0 of 2 conditions met)');

    const m = await admin(a, `/emulator/${NEAR}/misses`);
    expect(m.status).toBe(200);
    const misses = m.body.misses as { operation: string; messageId: string; text: string; nearMisses: unknown[] }[];
    expect(misses).toHaveLength(1);
    expect(misses[0]!.operation).toBe('Echo');
    expect(misses[0]!.text).toBe(emuError(r.text));
    expect(misses[0]!.messageId).toBe(/<smev:RequestIdRef>([^<]*)</.exec(r.text)![1]);
    expect(misses[0]!.nearMisses).toEqual([
      { case: 'exact', met: 1, of: 2, priority: 0, path: 'AppData/Text', expected: 'exactly this', actual: 'exactly that' },
      { case: 'lang', met: 0, of: 1, priority: 2, path: 'AppData/Text/@lang', expected: 'en', actual: null },
      { case: 'hello', met: 0, of: 2, priority: 0, path: 'AppData/Text', expected: '/^Привет/', actual: 'exactly that' },
    ]);
    expect(((await admin(a, `/emulator/${SCENARIO}/misses`)).body.misses as unknown[]).length).toBe(2);
  }, 60_000);

  test('resets through the admin API (and the CLI): one scenario, one SID, every SID; an auditor may read but not reset', async () => {
    await admin(a, `/emulator/${SCENARIO}/reset`, 'POST');
    expect(await calls(a, SCENARIO, 2, 'step')).toEqual(['one', 'two']);
    expect(await calls(a, SCENARIO, 1, 'flag')).toEqual(['down']);
    // one scenario: flow starts over, flag stays raised
    const one = await admin(a, `/emulator/${SCENARIO}/scenarios/flow/reset`, 'POST');
    expect(one).toEqual({ status: 200, body: { sid: SCENARIO, scenario: 'flow', state: 'Started', wasMoved: true } });
    expect(await calls(a, SCENARIO, 1, 'step')).toEqual(['one']);
    expect(await calls(a, SCENARIO, 1, 'flag')).toEqual(['up']);
    expect((await admin(a, `/emulator/${SCENARIO}/scenarios/nope/reset`, 'POST'))).toEqual({ status: 404, body: { error: `no case of ${SCENARIO} names scenario "nope" (its scenarios: flag, flow)` } });

    // one SID: its sequence starts over, another SID's does not
    await admin(a, `/emulator/${SEQ}/reset`, 'POST');
    await admin(a, `/emulator/${LOOP}/reset`, 'POST');
    expect(await calls(a, SEQ, 2)).toEqual(['first', 'second']);
    expect(await calls(a, LOOP, 1)).toEqual(['ping']);
    const sid = await admin(a, `/emulator/${SEQ}/reset`, 'POST');
    expect(sid).toEqual({ status: 200, body: { reset: SEQ, deleted: { counters: 1, scenarios: 0, chains: 0, scripts: 0 } } });
    expect(await calls(a, SEQ, 1)).toEqual(['first']);
    expect(await calls(a, LOOP, 1)).toEqual(['pong']);

    // every SID
    const all = await admin(a, '/emulator/reset', 'POST');
    expect(all.status).toBe(200);
    expect(all.body.deleted).toEqual(expect.objectContaining({ counters: 2, scenarios: 3 }));
    expect(await calls(a, SEQ, 1)).toEqual(['first']);
    expect(await calls(a, LOOP, 1)).toEqual(['ping']);
    expect(await calls(a, SCENARIO, 1, 'step')).toEqual(['one']);
    expect(await calls(a, SCRIPT, 1, 'mood')).toEqual(['other']);

    const auditor = { authorization: `Basic ${Buffer.from('auditor2:auditor-test').toString('base64')}`, 'x-requested-with': 'test' };
    expect((await fetch(`${a.url}/admin/emulator/${SEQ}/state`, { headers: auditor })).status).toBe(200);
    expect((await fetch(`${a.url}/admin/emulator/reset`, { method: 'POST', headers: auditor })).status).toBe(403);
    expect((await admin(a, '/emulator/SID9999999/reset', 'POST')).status).toBe(404);

    // the same from the command line, on the store
    expect(await calls(a, SEQ, 1)).toEqual(['second']);
    const cli = await runCli(['emulator', 'reset', '--sid', SEQ, '--db', a.dbUrl]);
    expect([cli.code, cli.stdout]).toEqual([0, `${SEQ}: deleted 1 counter(s), 0 scenario state(s), 0 chain row(s), 0 behaviour counter(s)\n`]);
    expect(await calls(a, SEQ, 1)).toEqual(['first']);
    const scenario = await runCli(['emulator', 'reset', '--sid', SCENARIO, '--scenario', 'flow', '--db', a.dbUrl]);
    expect([scenario.code, scenario.stdout]).toEqual([0, `${SCENARIO} scenario flow: Started\n`]);
    expect(await calls(a, SCENARIO, 1, 'step')).toEqual(['one']);
  }, 60_000);

  test(`two instances on one store (${STORE_NAME}): one sequence and one scenario for both, kept across a restart`, async () => {
    const b = await startGateway({ services, args: ['--admin-users', USERS], db: a.db, keys: a.keys });
    others.push(b);
    await admin(b, '/emulator/reset', 'POST');
    // the sequence advanced alternately on each instance
    const seq = [];
    for (let i = 0; i < 4; i++) seq.push(answered((await call(i % 2 ? b : a, SEQ)).text));
    expect(seq).toEqual(['first', 'second', 'third', 'third']);
    const loop = [];
    for (let i = 0; i < 3; i++) loop.push(answered((await call(i % 2 ? a : b, LOOP)).text));
    expect(loop).toEqual(['ping', 'pong', 'ping']);
    // a scenario moved on one is seen on the other
    expect(await calls(a, SCENARIO, 1, 'step')).toEqual(['one']);
    expect(await calls(b, SCENARIO, 1, 'step')).toEqual(['two']);
    expect(((await admin(a, `/emulator/${SCENARIO}/state`)).body.scenarios as { name: string; state: string }[]).find((s) => s.name === 'flow')!.state).toBe('Third');
    // reset on one, seen on the other
    await admin(b, `/emulator/${SCENARIO}/scenarios/flow/reset`, 'POST');
    expect(await calls(a, SCENARIO, 1, 'step')).toEqual(['one']);

    // a restart keeps it all
    await a.stop();
    a = await startGateway({ services, args: ['--admin-users', USERS, '--log-format', 'json'], db: b.db, keys: b.keys });
    expect(await calls(a, SCENARIO, 1, 'step')).toEqual(['two']);
    expect(await calls(a, LOOP, 1)).toEqual(['pong']);
    expect(await calls(b, SEQ, 1)).toEqual(['third']);
  }, 120_000);

  test('a broken dispatch.yaml is refused at load, naming the file and the key of each problem', async () => {
    const dir = makeRegistry([{ bundle: ECHO_BUNDLE, def: echoDefinition(SEQ, { type: 'emulator', cases: 'cases' }) }]);
    withCases(dir, SEQ, { first: '{}\n' }, { 'dispatch.yaml': 'Echo: { style: sequence, cases: [first, missing] }\nNoSuchOperation: { style: match }\n' });
    const file = join(dir, SEQ, 'cases', 'dispatch.yaml');
    const err = await startGateway({ services: dir }).then(async (g) => { await g.stop(); return ''; }, (e: Error) => e.message);
    expect(err).toContain(`${file}: Echo.cases.1: no case "missing" in ${join(dir, SEQ, 'cases')} (it has: first)`);
    expect(err).toContain(`${file}: NoSuchOperation: the service has no operation NoSuchOperation (it has: Echo; * is any other)`);
    writeFileSync(file, 'Echo: { style: random, cases: [first], loop: true }\n\'*\': { style: script, script: nope.js }\n');
    const err2 = await startGateway({ services: dir }).then(async (g) => { await g.stop(); return ''; }, (e: Error) => e.message);
    expect(err2).toMatch(/dispatch\.yaml: Echo\.loop: is for style sequence, not random/);
  }, 60_000);
});
