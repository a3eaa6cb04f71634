import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startGateway, runCli, post, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, type Upstream } from './support/upstream';
import { readJournal } from './support/journal';
import { dbUrl, STORE_NAME } from './support/store';
import { hashPassword } from '../src/admin/auth';
import { loadXml } from '../src/xml/libxml';
import { parseEnvelope } from '../src/envelope/parse';
import { verifyEnvelopeSignatures } from '../src/signature/verify';
import { buildZip } from '../src/attachments/zip';

/**
 * Manual providers and their inbox (issue 18, docs/cabinet.md), over HTTP against the real
 * gateway on either store: a request to a manual SID is accepted with a ticket, lands in the
 * inbox of its department, is assigned by the SID's rules and reassigned by people; a clerk's
 * RESULT, REJECT or INVALID reaches the consumer's PING signed as the provider system; deadlines
 * raise their events once; a SID switched to an automated provider and back keeps its inbox.
 */

const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const field = (xml: string, name: string) => new RegExp(`<smev:${name}>([\\s\\S]*?)</smev:${name}>`).exec(xml)?.[1];
let serial = 0;
/** Each message its own CaseNumber and Date: the same text may be sent again. */
const fresh = (xml: string) => xml.replace('CASE-42', `CASE-${++serial}`).replace(/<smev:Date>[^<]*<\/smev:Date>/, `<smev:Date>${new Date().toISOString()}</smev:Date>`);
const withText = (text: string) => fresh(REQUEST.replace(/<e:Text>[^<]*<\/e:Text>/, `<e:Text>${text}</e:Text>`));
const ping = (ticket: string) => fresh(REQUEST.replace('>REQUEST<', '>PING<').replace('<smev:CaseNumber>', `<smev:OriginRequestIdRef>${ticket}</smev:OriginRequestIdRef><smev:CaseNumber>`));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const basic = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${user}-pass`).toString('base64')}` });

/** Wait for a condition (no timed assertion: the cap only ends a test that would hang). */
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await sleep(100);
  }
}

/** Every Security block of a message with its verdict and its certificate's CN. */
function blocks(xml: string) {
  const p = parseEnvelope(Buffer.from(xml));
  try {
    return verifyEnvelopeSignatures(p).map((b) => ({ ok: b.ok, cn: b.certificate?.subject.find((a) => a.oid === '2.5.4.3')?.value }));
  } finally {
    p.doc.dispose();
  }
}

describe(`manual providers: the inbox (${STORE_NAME})`, () => {
  let gw: GatewayProcess;
  let hooks: Upstream;
  let callbacks: Upstream;
  let startArgs: Parameters<typeof startGateway>[0];
  let registry: string;
  const work = mkdtempSync(join(tmpdir(), 'smev2-inbox-'));
  const manual = (extra: Record<string, unknown> = {}) => ({ type: 'manual', department: 'echo', answerWithinHours: 24, ...extra });
  // the poll interval is an hour: only the clerk's answer (Outbox.pollSoon) brings the answer in time
  const slowPolls = { mode: 'guaranteed', pollIntervalMs: 3_600_000, initialBackoffMs: 100, maxBackoffMs: 300 };

  const call = (sid: string, body: string) => post(`${gw.url}/gateway/services/${sid}`, body);
  async function api(path: string, user: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
    const res = await fetch(`${gw.url}/admin${path}`, {
      method: init.method ?? 'GET',
      headers: { ...basic(user), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  /** Send a REQUEST; its ticket once it has landed in the inbox. */
  async function land(sid: string, text: string): Promise<string> {
    const accept = await call(sid, withText(text));
    expect(field(accept.text, 'Status')).toBe('ACCEPT');
    const ticket = field(accept.text, 'RequestIdRef')!;
    await until(`${ticket} in the inbox`, async () => (await api(`/inbox/${ticket}`, 'operator')).status === 200);
    return ticket;
  }
  /** PING until the answer is no longer PROCESS. */
  async function answerOf(sid: string, ticket: string): Promise<string> {
    return until(`the final answer to ${ticket}`, async () => {
      const r = await call(sid, ping(ticket));
      return field(r.text, 'Status') !== 'PROCESS' && r.text;
    });
  }
  const events = (type: string, ticket: string) => hooks.requests.map((r) => JSON.parse(r.body.toString())).filter((e) => e.type === type && e.ticket === ticket);

  beforeAll(async () => {
    await loadXml();
    hooks = await startUpstream((_b, _q, res) => void res.writeHead(204).end());
    callbacks = await startUpstream((_b, _q, res) => void res.writeHead(200).end('ok'));
    const systems = join(work, 'systems');
    mkdirSync(systems);
    writeFileSync(join(systems, 'MINZ01001.yaml'), `mnemonic: MINZ01001\nname: Минздрав\ngrants: "*"\ncallback: ${callbacks.url}\n`);
    // the provider system whose key the gateway holds (made from its demo CA): manual answers are signed with it
    writeFileSync(join(systems, 'ECHO01001.yaml'), 'mnemonic: ECHO01001\nname: Эхо\nissuers: ["@keys/demo-ca.pem"]\ndemo: true\n');
    writeFileSync(join(work, 'subscriptions.yaml'), `- url: ${hooks.url}\n  events: [request-arrived, request-due-soon, request-overdue, answer-ready]\n`);
    const user = async (name: string, role: string, department?: string) => ({ name, role, password: await hashPassword(`${name}-pass`), ...(department ? { department } : {}) });
    writeFileSync(join(work, 'users.yaml'), stringify({
      departments: [{ id: 'echo', name: 'Отдел эха', email: 'echo@example.org' }, { id: 'other', name: 'Другой отдел' }],
      users: [await user('operator', 'operator'), await user('auditor', 'auditor'), await user('clerk1', 'clerk', 'echo'), await user('clerk2', 'clerk', 'echo'), await user('clerk3', 'clerk', 'other')],
    }));
    const def = (sid: string, adapter: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ bundle: ECHO_BUNDLE, def: { ...echoDefinition(sid, adapter), control: 'enforce', signature: 'report', dateSkewSeconds: 0, operations: { Echo: { mode: 'async' } }, delivery: slowPolls, ...extra } });
    registry = makeRegistry([
      def('SID0870001', manual({ assign: [{ when: { 'AppData/Text': 'to-clerk2' }, assignee: 'clerk2' }, { operation: 'Echo', when: { 'AppData/Text': 'moscow' }, queue: 'moscow' }] })),
      // due soon after 0.36 s, overdue after 1.8 s
      def('SID0870002', manual({ answerWithinHours: 0.0005, dueSoonHours: 0.0004 })),
      def('SID0870003', manual()),
      // polled often: switched to an emulator, the emulator answers its polls and closes the chain
      def('SID0870004', manual(), { delivery: { ...slowPolls, pollIntervalMs: 200 } }),
      // a department the users file does not list: said at start
      def('SID0870005', manual({ department: 'ghost' })),
    ]);
    startArgs = { services: registry, args: ['--systems', systems, '--subscriptions', join(work, 'subscriptions.yaml'), '--admin-users', join(work, 'users.yaml')], env: { SMEV2_INBOX_SWEEP_MS: '200' } };
    gw = await startGateway(startArgs);
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await hooks?.close();
    await callbacks?.close();
  });

  test('a request lands in the inbox with a ticket; PING is PROCESS; the clerk\'s RESULT reaches the consumer signed as the provider system', async () => {
    const ticket = await land('SID0870001', 'what is the answer');
    expect((await call('SID0870001', ping(ticket))).text).toContain('<smev:Status>PROCESS</smev:Status>');
    const list = await api('/inbox', 'clerk1');
    expect(list.status).toBe(200);
    const item = list.body.items.find((x: { ticket: string }) => x.ticket === ticket);
    expect(item).toMatchObject({ sid: 'SID0870001', operation: 'Echo', department: 'echo', departmentName: 'Отдел эха', consumer: 'MINZ01001', status: 'open', assignee: null, queue: null, overdue: false, dueSoon: false, answerable: true });
    expect(Date.parse(item.due) - Date.parse(item.arrivedAt)).toBe(24 * 3600_000);
    const one = await api(`/inbox/${ticket}`, 'clerk1');
    expect(one.body.request).toContain('<e:Text>what is the answer</e:Text>');
    expect(one.body.form.element).toEqual({ ns: 'urn:test:echo', local: 'EchoResponse' });
    expect(one.body.clerks).toEqual(['clerk1', 'clerk2']);
    expect(events('request-arrived', ticket)).toHaveLength(1);
    expect(events('request-arrived', ticket)[0]).toMatchObject({ sid: 'SID0870001', department: 'echo', due: item.due });

    const answered = await api(`/inbox/${ticket}/answer`, 'clerk1', { method: 'POST', body: { status: 'RESULT', appData: '<e:Text xmlns:e="urn:test:echo">forty-two</e:Text>' } });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ status: 'answered', answer: { status: 'RESULT', by: 'clerk1' }, answerable: false });
    const final = await answerOf('SID0870001', ticket);
    expect(field(final, 'Status')).toBe('RESULT');
    expect(final).toContain('forty-two');
    expect(field(final, 'OriginRequestIdRef')).toBe(ticket);
    // the provider system's signature (ECHO01001, key held by the gateway) verifies, beside the node's
    expect(blocks(final)).toContainEqual({ ok: true, cn: 'ECHO01001' });
    // the journal has the chain's provider legs as for any provider that accepted: ACCEPT, then the RESULT
    const legs = (await readJournal(gw.db, 'chain_id = ?', [ticket])).map((r) => `${r.direction} ${r.status}`);
    expect(legs).toEqual(expect.arrayContaining(['gateway->provider REQUEST', 'provider->gateway ACCEPT', 'gateway->provider PING', 'provider->gateway RESULT']));
    await until('answer-ready', async () => events('answer-ready', ticket).length === 1);
    // the consumer's callback gets it as from any provider
    await until('the callback', async () => callbacks.requests.some((r) => r.body.toString().includes('forty-two')));
    // answered once: a second answer is refused
    const again = await api(`/inbox/${ticket}/answer`, 'clerk1', { method: 'POST', body: { status: 'REJECT', reason: 'late' } });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/answered already: RESULT by clerk1/);
  });

  test('REJECT with its reason, and INVALID, reach the consumer as the provider\'s answers', async () => {
    const rejected = await land('SID0870001', 'please refuse');
    const noReason = await api(`/inbox/${rejected}/answer`, 'clerk2', { method: 'POST', body: { status: 'REJECT' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error).toMatch(/REJECT needs its reason/);
    expect((await api(`/inbox/${rejected}/answer`, 'clerk2', { method: 'POST', body: { status: 'REJECT', reason: 'Нет оснований & нет данных' } })).status).toBe(200);
    const r = await answerOf('SID0870001', rejected);
    expect(field(r, 'Status')).toBe('REJECT');
    expect(r).toContain('Нет оснований &amp; нет данных');
    expect(r).toContain('urn:smev2-gateway:manual');
    expect(blocks(r)).toContainEqual({ ok: true, cn: 'ECHO01001' });

    const invalid = await land('SID0870001', 'garbled');
    expect((await api(`/inbox/${invalid}/answer`, 'operator', { method: 'POST', body: { status: 'INVALID', reason: 'the request names no person' } })).status).toBe(200);
    const i = await answerOf('SID0870001', invalid);
    expect(field(i, 'Status')).toBe('INVALID');
    expect(i).toContain('the request names no person');
    // a status that is not an answer, and XML that is not well-formed, are refused with the reason
    const other = await land('SID0870001', 'bad answers');
    expect((await api(`/inbox/${other}/answer`, 'clerk1', { method: 'POST', body: { status: 'ACCEPT' } })).body.error).toMatch(/status must be one of RESULT, REJECT, INVALID/);
    const broken = await api(`/inbox/${other}/answer`, 'clerk1', { method: 'POST', body: { status: 'RESULT', appData: '<e:Text xmlns:e="urn:test:echo">open' } });
    expect(broken.status).toBe(400);
    expect(broken.body.error).toMatch(/not well-formed XML/);
  });

  test('the clerk reads the request\'s attachments, as the gateway judged them; a clerk of another department may not', async () => {
    // an inline AppDocument (PROTOCOL.md §7): the ZIP's base64 in BinaryData beside AppData
    const zip = await buildZip([{ name: 'справка.txt', bytes: Buffer.from('привет, служащий') }]);
    const withDocument = withText('with a file').replace('</smev:AppData></smev:MessageData>',
      `</smev:AppData><smev:AppDocument><smev:RequestCode>req-1</smev:RequestCode><smev:BinaryData>${zip.toString('base64')}</smev:BinaryData></smev:AppDocument></smev:MessageData>`);
    const accept = await call('SID0870001', withDocument);
    expect(field(accept.text, 'Status')).toBe('ACCEPT');
    const ticket = field(accept.text, 'RequestIdRef')!;
    await until(`${ticket} in the inbox`, async () => (await api(`/inbox/${ticket}`, 'clerk1')).status === 200);
    const one = await api(`/inbox/${ticket}`, 'clerk1');
    expect(one.body.attachments).toBe(`/admin/inbox/${ticket}/journal/${one.body.requestEntry}/attachments`);
    const list = await api(one.body.attachments.replace(/^\/admin/, ''), 'clerk1');
    expect(list.status).toBe(200);
    const file = list.body.documents[0].zip.files.find((f: { name: string }) => f.name === 'справка.txt');
    expect(file.download).toMatch(new RegExp(`^/admin/inbox/${ticket}/journal/\\d+/attachments/documents/0/file\\?name=`));
    const got = await fetch(`${gw.url}${file.download}`, { headers: basic('clerk1') });
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('привет, служащий');
    expect((await fetch(`${gw.url}${file.download}`, { headers: basic('clerk3') })).status).toBe(404);
    // only the legs of that request: another request's leg under its ticket is refused
    const other = await land('SID0870001', 'another request');
    const otherLeg = (await api(`/inbox/${other}`, 'clerk1')).body.requestEntry;
    expect(otherLeg).toEqual(expect.any(Number));
    const refused = await api(`/inbox/${ticket}/journal/${otherLeg}/attachments`, 'clerk1');
    expect(refused.status).toBe(404);
    expect(refused.body.error).toBe(`journal entry ${otherLeg} is not a leg of request ${ticket}`);
  });

  test('assignment rules by operation and AppData values; a clerk of another department sees none of it', async () => {
    const toClerk2 = await land('SID0870001', 'to-clerk2');
    const moscow = await land('SID0870001', 'moscow');
    const common = await land('SID0870001', 'anything else');
    expect((await api(`/inbox/${toClerk2}`, 'operator')).body).toMatchObject({ assignee: 'clerk2', queue: null });
    expect((await api(`/inbox/${moscow}`, 'operator')).body).toMatchObject({ assignee: null, queue: 'moscow' });
    expect((await api(`/inbox/${common}`, 'operator')).body).toMatchObject({ assignee: null, queue: null });
    expect(events('request-arrived', toClerk2)[0]).toMatchObject({ assignee: 'clerk2' });
    // clerk2's own list; clerk1 sees it in the department's list but may not answer it
    const mine = await api('/inbox?mine=1', 'clerk2');
    expect(mine.body.items.map((x: { ticket: string }) => x.ticket)).toContain(toClerk2);
    expect(mine.body.items.map((x: { ticket: string }) => x.ticket)).not.toContain(common);
    expect((await api(`/inbox/${toClerk2}`, 'clerk1')).body.answerable).toBe(false);
    const refused = await api(`/inbox/${toClerk2}/answer`, 'clerk1', { method: 'POST', body: { status: 'REJECT', reason: 'not mine' } });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/assigned to clerk2/);
    // another department's clerk: not in their list, not found by ticket, not theirs to ask for
    expect((await api('/inbox', 'clerk3')).body.items).toEqual([]);
    expect((await api(`/inbox/${toClerk2}`, 'clerk3')).status).toBe(404);
    expect((await api('/inbox?department=echo', 'clerk3')).status).toBe(403);
    // the auditor reads every department, answers nothing
    expect((await api(`/inbox/${toClerk2}`, 'auditor')).status).toBe(200);
    expect((await api(`/inbox/${toClerk2}/answer`, 'auditor', { method: 'POST', body: { status: 'REJECT', reason: 'x' } })).status).toBe(403);
  });

  test('reassignment: an operator to any clerk of the department, a clerk within their own; never outside it', async () => {
    const ticket = await land('SID0870001', 'to-clerk2');
    const byOperator = await api(`/inbox/${ticket}/assign`, 'operator', { method: 'POST', body: { assignee: 'clerk1', queue: 'urgent' } });
    expect(byOperator.status).toBe(200);
    expect(byOperator.body).toMatchObject({ assignee: 'clerk1', queue: 'urgent', assignedBy: 'operator' });
    const byClerk = await api(`/inbox/${ticket}/assign`, 'clerk1', { method: 'POST', body: { assignee: 'clerk2' } });
    expect(byClerk.body).toMatchObject({ assignee: 'clerk2', queue: null, assignedBy: 'clerk1' });
    const outside = await api(`/inbox/${ticket}/assign`, 'operator', { method: 'POST', body: { assignee: 'clerk3' } });
    expect(outside.status).toBe(400);
    expect(outside.body.error).toMatch(/clerk3 is no clerk of echo: assign to one of clerk1, clerk2/);
    expect((await api(`/inbox/${ticket}/assign`, 'clerk3', { method: 'POST', body: { assignee: 'clerk3' } })).status).toBe(404);
    expect((await api(`/inbox/${ticket}/assign`, 'auditor', { method: 'POST', body: { assignee: null } })).status).toBe(403);
    // back to the common queue: any clerk of the department answers it
    expect((await api(`/inbox/${ticket}/assign`, 'clerk2', { method: 'POST', body: { assignee: null } })).body).toMatchObject({ assignee: null });
    expect((await api(`/inbox/${ticket}/answer`, 'clerk1', { method: 'POST', body: { status: 'RESULT', appData: '<e:Text xmlns:e="urn:test:echo">reassigned</e:Text>' } })).status).toBe(200);
    expect(await answerOf('SID0870001', ticket)).toContain('reassigned');
  });

  test('deadlines: flagged due soon, then overdue; each event queued once, though two instances sweep', async () => {
    // a second instance on the same store sweeps the same inbox
    const otherInstance = await startGateway({ ...startArgs, db: gw.db, keys: gw.keys });
    try {
      await deadlines();
    } finally {
      await otherInstance.stop();
    }
  });

  async function deadlines(): Promise<void> {
    const first = await land('SID0870002', 'slow clerk');
    await until('request-due-soon', async () => events('request-due-soon', first).length > 0);
    await until('request-overdue', async () => events('request-overdue', first).length > 0);
    const item = (await api('/inbox', 'clerk1')).body.items.find((x: { ticket: string }) => x.ticket === first);
    expect(item).toMatchObject({ overdue: true, dueSoon: false, status: 'open' });
    expect(events('request-overdue', first)[0]).toMatchObject({ sid: 'SID0870002', department: 'echo', due: item.due });
    // a second request goes overdue in turn: by then the first was swept many times over
    const second = await land('SID0870002', 'slower clerk');
    await until('the second request-overdue', async () => events('request-overdue', second).length > 0);
    expect(events('request-due-soon', first)).toHaveLength(1);
    expect(events('request-overdue', first)).toHaveLength(1);
    // an overdue request is still answered, and the answer still reaches the consumer
    expect((await api(`/inbox/${first}/answer`, 'clerk1', { method: 'POST', body: { status: 'RESULT', appData: '<e:Text xmlns:e="urn:test:echo">late but here</e:Text>' } })).status).toBe(200);
    expect(await answerOf('SID0870002', first)).toContain('late but here');
  }

  test('a SID switched to an automated provider keeps its inbox, read-only; switched back, its requests are answered', async () => {
    const ticket = await land('SID0870003', 'switch me');
    const yaml = join(registry, 'SID0870003', 'service.yaml');
    const manualYaml = readFileSync(yaml, 'utf8');
    writeFileSync(yaml, manualYaml.replace(/adapter:\n(?: {2}.*\n)+/, 'adapter:\n  type: emulator\n  cases: cases\n'));
    const reload = await api('/services/reload', 'operator', { method: 'POST' });
    expect(reload.status).toBe(200);
    const kept = await api(`/inbox/${ticket}`, 'clerk1');
    expect(kept.body).toMatchObject({ status: 'open', adapter: 'emulator', answerable: false });
    expect(kept.body.request).toContain('switch me');
    const refused = await api(`/inbox/${ticket}/answer`, 'clerk1', { method: 'POST', body: { status: 'REJECT', reason: 'x' } });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/SID0870003 is now served by its emulator adapter: the request stays in the inbox/);
    writeFileSync(yaml, manualYaml);
    expect((await api('/services/reload', 'operator', { method: 'POST' })).status).toBe(200);
    expect((await api(`/inbox/${ticket}`, 'clerk1')).body).toMatchObject({ adapter: 'manual', answerable: true });
    expect((await api(`/inbox/${ticket}/answer`, 'clerk1', { method: 'POST', body: { status: 'RESULT', appData: '<e:Text xmlns:e="urn:test:echo">after the switch</e:Text>' } })).status).toBe(200);
    expect(await answerOf('SID0870003', ticket)).toContain('after the switch');
  });

  test('a request whose chain the automated provider closed meanwhile stays readable, and is not answered into the void', async () => {
    const ticket = await land('SID0870004', 'closed meanwhile');
    const yaml = join(registry, 'SID0870004', 'service.yaml');
    const manualYaml = readFileSync(yaml, 'utf8');
    writeFileSync(yaml, manualYaml.replace(/adapter:\n(?: {2}.*\n)+/, 'adapter:\n  type: emulator\n  cases: cases\n'));
    expect((await api('/services/reload', 'operator', { method: 'POST' })).status).toBe(200);
    // the emulator knows no such chain: it answers the worker's PING INVALID, and the consumer gets that
    const closed = await answerOf('SID0870004', ticket);
    expect(field(closed, 'Status')).toBe('INVALID');
    writeFileSync(yaml, manualYaml);
    expect((await api('/services/reload', 'operator', { method: 'POST' })).status).toBe(200);
    const one = await api(`/inbox/${ticket}`, 'clerk1');
    expect(one.body).toMatchObject({ status: 'open', adapter: 'manual', answerable: false, delivery: { status: 'done', answerStatus: 'INVALID', closed: true } });
    const refused = await api(`/inbox/${ticket}/answer`, 'clerk1', { method: 'POST', body: { status: 'REJECT', reason: 'too late' } });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(/the consumer's chain of .* is closed: it was answered INVALID .*an answer here would reach no one/);
  });

  test('a manual SID configured for direct delivery is refused at load, with what to change; one of an unknown department is warned about', async () => {
    expect(gw.logs()).toMatch(/"sid":"SID0870005","department":"ghost".*"msg":"manual provider: its department is not in the users file: no clerk sees its requests/);
    const bad = makeRegistry([{ bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0870009', manual()), delivery: { mode: 'direct' } } }]);
    const r = await runCli(['services', 'check', bad]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toMatch(/delivery\.mode: is direct, but adapter\.type manual needs guaranteed delivery .*: remove delivery\.mode or set it to guaranteed/);
    const noDept = makeRegistry([{ bundle: ECHO_BUNDLE, def: echoDefinition('SID0870010', { type: 'manual', answerWithinHours: 1, assign: [{ when: { 'AppData/Text': 'x' } }] }) }]);
    const r2 = await runCli(['services', 'check', noDept]);
    expect(r2.stdout).toMatch(/adapter\.department/);
    expect(r2.stdout).toMatch(/a rule says where the request goes: assignee, queue, or both/);
    // a manual SID whose operation is sync: served, with what to change
    const sync = makeRegistry([{ bundle: ECHO_BUNDLE, def: echoDefinition('SID0870011', manual()) }]);
    const r3 = await runCli(['services', 'check', sync]);
    expect(r3.code).toBe(0);
    expect(r3.stdout).toMatch(/^ok {6}SID0870011 /m);
    expect(r3.stdout).toMatch(/adapter\.type manual: operation\(s\) Echo are sync, so a consumer's PING for the answer is refused by format-logical control: set operations\.<name>\.mode to async/);
  });

  test('retention: answered requests leave the inbox with the journal\'s purge, open ones stay', async () => {
    const before = (await api('/inbox?status=all&limit=1000', 'operator')).body.items as { ticket: string; status: string }[];
    const answered = before.filter((x) => x.status === 'answered').map((x) => x.ticket);
    const open = before.filter((x) => x.status === 'open').map((x) => x.ticket);
    expect(answered.length).toBeGreaterThan(0);
    expect(open.length).toBeGreaterThan(0);
    const r = await runCli(['journal', 'purge', '--older-than', '0', '--db', dbUrl(gw.db)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`; ${answered.length} answered request${answered.length === 1 ? '' : 's'} left the manual providers' inbox`);
    const after = ((await api('/inbox?status=all&limit=1000', 'operator')).body.items as { ticket: string }[]).map((x) => x.ticket).sort();
    expect(after).toEqual([...open].sort());
  });
});
