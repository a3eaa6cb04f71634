import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { ROOT } from './support/paths';

const USERS = join(ROOT, 'test', 'data', 'admin-users.yaml');
const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });
const OPERATOR = basic('operator', 'operator-test');
const AUDITOR = basic('auditor', 'auditor-test');
const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const SID = 'SID0500701';
const saying = (text: string) => REQUEST.replace('Привет &amp; hello', text);
const answering = (word: string) => ANSWER.replace('>echo<', `>${word}<`);
const status = (xml: string) => /<smev:Status>([A-Z]+)</.exec(xml)?.[1];

/** Wait for a condition (the watcher's reload has no moment a test could know). */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    last = await probe();
    if (last) return last as T;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(last)})`);
}

describe('the emulator edited at runtime: admin API, files, and the registry reloading by itself', () => {
  let gw: GatewayProcess;
  let services: string;
  let cases: string;
  beforeAll(async () => {
    services = makeRegistry([{ bundle: ECHO_BUNDLE, def: echoDefinition(SID, { type: 'emulator', cases: 'cases' }) }]);
    cases = join(services, SID, 'cases');
    mkdirSync(join(cases, 'hello'), { recursive: true });
    writeFileSync(join(cases, 'hello', 'case.yaml'), '# the greeting\nmatch:\n  AppData/Text: /^Привет/\n');
    writeFileSync(join(cases, 'hello', 'answer.xml'), answering('hello-answer'));
    gw = await startGateway({ services, args: ['--admin-users', USERS] });
  });
  afterAll(async () => {
    await gw?.stop();
    rmSync(services, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, body?: unknown, who = OPERATOR) => {
    const res = await fetch(`${gw.url}/admin${path}`, { method, headers: { ...who, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (text.startsWith('<')) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}\n${gw.logs().slice(-3000)}`);
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const call = async (text: string) => (await post(`${gw.url}/gateway/services/${SID}`, saying(text))).text;

  test('a case created through the API answers at once, and its files are what a person would commit', async () => {
    const made = await api('PUT', `/emulator/${SID}/cases/api-made`, {
      case: { description: 'made through the API', match: { 'AppData/Text': 'api-made' }, priority: 3 },
      files: { 'answer.xml': answering('api-answer') },
    });
    expect([made.status, made.body.error]).toEqual([201, undefined]);
    expect(made.body.case).toEqual({ description: 'made through the API', match: { 'AppData/Text': 'api-made' }, priority: 3 });
    expect(await call('api-made')).toContain('>api-answer<');
    // readable YAML, not JSON; the answer file as given
    const yaml = readFileSync(join(cases, 'api-made', 'case.yaml'), 'utf8');
    expect(yaml).toBe('description: made through the API\nmatch:\n  AppData/Text: api-made\npriority: 3\n');
    expect(readFileSync(join(cases, 'api-made', 'answer.xml'), 'utf8')).toBe(answering('api-answer'));
    // nothing of the staging is left in the folder
    expect(existsSync(cases) && require('node:fs').readdirSync(cases).filter((f: string) => f.startsWith('.'))).toEqual([]);
    // listed, for the auditor too
    const list = await api('GET', '/emulator', undefined, AUDITOR);
    expect(list.status).toBe(200);
    const sid = list.body.find((s: { sid: string }) => s.sid === SID);
    expect(sid.cases.map((c: { name: string; inForce: boolean }) => [c.name, c.inForce])).toEqual([['api-made', true], ['hello', true]]);
    const one = await api('GET', `/emulator/${SID}/cases/api-made`, undefined, AUDITOR);
    expect(one.body.files['answer.xml']).toBe(answering('api-answer'));
    // the auditor reads, never changes
    expect((await api('PUT', `/emulator/${SID}/cases/api-made`, { case: {} }, AUDITOR)).status).toBe(403);
  });

  test('a change answers at the next call; a comment of the file is kept', async () => {
    const changed = await api('PUT', `/emulator/${SID}/cases/hello`, { case: { match: { 'AppData/Text': '/^Привет/' }, priority: 1 }, files: { 'answer.xml': answering('hello-changed') } });
    expect(changed.status).toBe(200);
    expect(await call('Привет всем')).toContain('>hello-changed<');
    expect(readFileSync(join(cases, 'hello', 'case.yaml'), 'utf8')).toBe('# the greeting\nmatch:\n  AppData/Text: /^Привет/\npriority: 1\n');
  });

  test('a body that is not JSON is refused (400) in JSON, as every admin API error is', async () => {
    const res = await fetch(`${gw.url}/admin/emulator/${SID}/cases/bad-json`, { method: 'PUT', headers: { ...OPERATOR, 'content-type': 'application/json' }, body: '{"case": ' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^the request body cannot be read: /);
  });

  test('a broken change is refused (422) with its reasons, nothing is written, and the case in force still answers', async () => {
    const before = readFileSync(join(cases, 'hello', 'case.yaml'), 'utf8');
    const bad = await api('PUT', `/emulator/${SID}/cases/hello`, { case: { match: { 'Body/Text': 'x' }, priority: 'high', answer: 'missing.xml' } });
    expect(bad.status).toBe(422);
    expect(bad.body.reasons.join('\n')).toMatch(/hello\/case\.yaml: match\.Body\/Text: Invalid key/);
    expect(bad.body.reasons.join('\n')).toMatch(/priority/);
    expect(readFileSync(join(cases, 'hello', 'case.yaml'), 'utf8')).toBe(before);
    const noFile = await api('PUT', `/emulator/${SID}/cases/hello`, { case: { answer: 'missing.xml' } });
    expect(noFile.status).toBe(422);
    expect(noFile.body.error).toMatch(/missing\.xml does not exist/);
    const noOp = await api('PUT', `/emulator/${SID}/cases/other`, { case: { operation: 'Nope' }, files: { 'answer.xml': ANSWER } });
    expect(noOp.status).toBe(422);
    expect(noOp.body.error).toMatch(/no operation Nope \(it has: Echo\)/);
    expect(existsSync(join(cases, 'other'))).toBe(false);
    // names are names, never paths
    for (const name of ['.hidden', '..%2F..%2Fevil', 'a%2Fb']) {
      const r = await api('PUT', `/emulator/${SID}/cases/${name}`, { case: {}, files: { 'answer.xml': ANSWER } });
      expect([name, r.status]).toEqual([name, 422]);
    }
    expect((await api('PUT', `/emulator/${SID}/cases/x`, { case: {}, files: { '../answer.xml': ANSWER } })).status).toBe(422);
    expect(await call('Привет')).toContain('>hello-changed<');
  });

  test('try it: the answer through the real pipeline, the case chosen and why, and the near misses when none matches', async () => {
    const hit = await api('POST', `/emulator/${SID}/try`, { envelope: saying('api-made') });
    expect(hit.status).toBe(200);
    expect(hit.body.httpStatus).toBe(200);
    expect(hit.body.response).toContain('>api-answer<');
    expect(hit.body.exchangeId).toBeTruthy(); // journaled like any consumer's call
    expect(hit.body.explanation).toMatchObject({ operation: 'Echo', style: 'match', case: 'api-made' });
    expect(hit.body.explanation.why).toMatch(/case "api-made" answers: its conditions all hold \(AppData\/Text = "api-made"\)/);
    const miss = await api('POST', `/emulator/${SID}/try`, { envelope: saying('api-mad') });
    expect(status(miss.body.response)).toBe('INVALID');
    expect(miss.body.explanation.case).toBeNull();
    expect(miss.body.explanation.why).toBe('no case matches; closest case "api-made" differs at AppData/Text: expected "api-made", got "api-mad"');
    expect(miss.body.explanation.nearMisses.map((c: { case: string }) => c.case)).toEqual(['api-made', 'hello']);
  });

  test('dispatch.yaml is checked against the cases; a case it names is not deleted', async () => {
    const bad = await api('PUT', `/emulator/${SID}/dispatch`, { Echo: { style: 'sequence', cases: ['api-made', 'nope'] } });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatch(/no case "nope"/);
    expect(existsSync(join(cases, 'dispatch.yaml'))).toBe(false);
    expect((await api('PUT', `/emulator/${SID}/dispatch`, { Echo: { style: 'sequence', cases: ['api-made', 'hello'] } })).status).toBe(200);
    expect(parse(readFileSync(join(cases, 'dispatch.yaml'), 'utf8'))).toEqual({ Echo: { style: 'sequence', cases: ['api-made', 'hello'] } });
    const refused = await api('DELETE', `/emulator/${SID}/cases/hello`);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatch(/dispatch\.yaml: Echo\.cases\.1: no case "hello" in the cases folder \(it has: api-made\)/);
    expect((await api('PUT', `/emulator/${SID}/dispatch`, {})).status).toBe(200);
    expect(existsSync(join(cases, 'dispatch.yaml'))).toBe(false);
  });

  test('delete: the case is gone from the files and from the answers', async () => {
    expect((await api('DELETE', `/emulator/${SID}/cases/api-made`)).status).toBe(200);
    expect(existsSync(join(cases, 'api-made'))).toBe(false);
    const text = await call('api-made');
    expect(status(text)).toBe('INVALID');
    expect((await api('DELETE', `/emulator/${SID}/cases/api-made`)).status).toBe(404);
  });

  test('a hand edit of the files is taken by itself; a broken one is refused and reported, the previous kept', async () => {
    writeFileSync(join(cases, 'hello', 'answer.xml'), answering('edited-by-hand'));
    await until('the hand-edited answer', async () => (await call('Привет')).includes('>edited-by-hand<'));
    writeFileSync(join(cases, 'hello', 'case.yaml'), 'match:\n  AppData/Text: [unclosed\n');
    const st = await until('the refusal reported', async () => {
      const r = await api('GET', '/services/reload-status', undefined, AUDITOR);
      return r.body.lastRefusal?.error?.includes('case.yaml') && r.body;
    });
    expect(st.watching).toBe(true);
    expect(st.lastRefusal.by).toBe('watcher');
    expect(st.lastRefusal.error).toMatch(/hello\/case\.yaml: not valid YAML/);
    // the log line is written with the refusal, but reaches this process through a pipe: waited for
    await until('the refusal logged as a warning', async () => /"level":40[^\n]*registry change refused, the registry in force is kept/.test(gw.logs()));
    expect(await call('Привет')).toContain('>edited-by-hand<');
    writeFileSync(join(cases, 'hello', 'case.yaml'), 'match:\n  AppData/Text: /^Привет/\n');
    writeFileSync(join(cases, 'hello', 'answer.xml'), answering('fixed-by-hand'));
    await until('the fixed case', async () => (await call('Привет')).includes('>fixed-by-hand<'));
    expect((await api('GET', '/services/reload-status')).body.last.ok).toBe(true);
  });

  test('an emulated SID is made from a bundle in the registry folder, and removed', async () => {
    cpSync(ECHO_BUNDLE, join(services, 'echo-bundle'), { recursive: true });
    rmSync(join(services, 'echo-bundle', 'answer.xml'));
    const made = await api('POST', '/emulator', { sid: 'SID0500702', bundle: 'echo-bundle', title: 'Echo made at runtime' });
    expect([made.status, made.body.error]).toEqual([201, undefined]);
    expect(made.body).toMatchObject({ sid: 'SID0500702', title: 'Echo made at runtime', operations: [{ name: 'Echo', mode: 'sync' }], cases: [] });
    expect(existsSync(join(services, 'echo-bundle'))).toBe(false);
    expect(parse(readFileSync(join(services, 'SID0500702', 'service.yaml'), 'utf8'))).toMatchObject({ sid: 'SID0500702', adapter: { type: 'emulator', cases: 'emulator' } });
    expect((await fetch(`${gw.url}/gateway/services/SID0500702?wsdl`)).status).toBe(200);
    expect((await api('POST', '/emulator', { sid: 'SID0500702', bundle: 'echo-bundle' })).status).toBe(409);
    expect((await api('POST', '/emulator', { sid: 'SID0500703', bundle: '../etc' })).status).toBe(422);
    const c = await api('PUT', '/emulator/SID0500702/cases/any', { case: {}, files: { 'answer.xml': answering('new-sid') } });
    expect(c.status).toBe(201);
    expect(existsSync(join(services, 'SID0500702', 'emulator', 'any', 'case.yaml'))).toBe(true);
    expect((await api('DELETE', '/emulator/SID0500702')).status).toBe(200);
    expect(existsSync(join(services, 'SID0500702'))).toBe(false);
    expect((await fetch(`${gw.url}/gateway/services/SID0500702?wsdl`)).status).toBe(404);
    expect((await api('GET', '/emulator/SID0500702')).status).toBe(404);
  });

  test('a case named in Cyrillic, as import soapui names them, answers, is listed, read and deleted', async () => {
    const name = 'echo-ответ-найден';
    const made = await api('PUT', `/emulator/${SID}/cases/${encodeURIComponent(name)}`, { case: { match: { 'AppData/Text': 'кириллица' } }, files: { 'answer.xml': answering('cyrillic-name') } });
    expect([made.status, made.body.error]).toEqual([201, undefined]);
    expect(await call('кириллица')).toContain('>cyrillic-name<');
    const list = await api('GET', '/emulator', undefined, AUDITOR);
    expect(list.status).toBe(200);
    expect(list.body.find((s: { sid: string }) => s.sid === SID).cases.map((c: { name: string }) => c.name)).toContain(name);
    expect((await api('GET', `/emulator/${SID}/cases/${encodeURIComponent(name)}`, undefined, AUDITOR)).body.case).toEqual({ match: { 'AppData/Text': 'кириллица' } });
    expect((await api('DELETE', `/emulator/${SID}/cases/${encodeURIComponent(name)}`)).status).toBe(200);
  });
});
