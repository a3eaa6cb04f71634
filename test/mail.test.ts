import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { startGateway, post, runCli, type GatewayProcess } from './support/gateway';
import { ECHO_BUNDLE, echoDefinition, makeRegistry } from './support/registry';
import { closedPort } from './support/upstream';
import { count, dbUrl, sql, STORE_NAME } from './support/store';
import { ROOT } from './support/paths';
import { SmtpSink as Sink, until, type Received } from './support/smtp';
import { openStore } from '../src/store';
import { Outbox } from '../src/queue/outbox';
import { Events } from '../src/queue/events';
import { MailRoutes } from '../src/queue/mail';
import { MailTemplates } from '../src/queue/mail-templates';
import { loadUsersFile } from '../src/admin/auth';

/**
 * E-mail over SMTP (docs/cabinet.md, "E-mail"), against a real SMTP server started here: aiosmtpd
 * (Debian python3-aiosmtpd, test/support/smtp-sink.py), which parses every message it accepts with
 * python's email module and writes it as JSON. The gateway is the real process on the pass's store.
 */

const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const BAD = REQUEST.replace(/MINZ01001/g, 'XXXX01001'); // an unknown sender: a control failure under enforce
const HASH = 'scrypt$16384$8$1$/Thj1EcdZnKKxIvhBolBYg==$683K7EMiXI193LX4vELcFy4CwLUoK0so2crgYROqegY=';
const DEPARTMENT = 'ЗАГС <Центральный> & Ко';

describe(`e-mail over SMTP to a real server (${STORE_NAME})`, () => {
  let gw: GatewayProcess;
  let sink: Sink;
  const work = mkdtempSync(join(tmpdir(), 'smev2-mail-'));
  const templates = join(work, 'templates');
  const users = join(work, 'users.yaml');

  beforeAll(async () => {
    sink = new Sink(await closedPort(), join(work, 'received'), 'nobody');
    mkdirSync(sink.dir);
    await sink.start();
    cpSync(join(ROOT, 'mail-templates'), templates, { recursive: true });
    writeFileSync(users, [
      'departments:',
      `  - id: zags\n    name: "${DEPARTMENT}"\n    email: zags@example.org\n    systems: [MINZ01001]`,
      '  - id: other\n    name: Другой отдел\n    email: other@example.org',
      'users:',
      `  - name: op1\n    role: operator\n    email: op1@example.org\n    password: ${HASH}`,
      `  - name: op2\n    role: operator\n    email: op2@example.org\n    password: ${HASH}`,
      `  - name: op3\n    role: operator\n    email: nobody@example.org\n    password: ${HASH}`,
      `  - name: aud\n    role: auditor\n    email: aud@example.org\n    password: ${HASH}`,
      `  - name: clerk1\n    role: clerk\n    department: zags\n    email: clerk1@example.org\n    password: ${HASH}`,
      `  - name: clerk2\n    role: clerk\n    department: zags\n    password: ${HASH}`,
      `  - name: clerk3\n    role: clerk\n    department: other\n    email: clerk3@example.org\n    password: ${HASH}`,
      `  - name: req1\n    role: requester\n    department: zags\n    email: req1@example.org\n    password: ${HASH}`,
      '',
    ].join('\n'));
    const systems = join(work, 'systems');
    mkdirSync(systems);
    writeFileSync(join(systems, 'MINZ01001.yaml'), 'mnemonic: MINZ01001\nname: Минздрав\ngrants: "*"\n');
    writeFileSync(join(systems, 'ECHO01001.yaml'), 'mnemonic: ECHO01001\nname: Эхо\n');
    const refused = await closedPort();
    const emulated = { type: 'emulator', cases: 'cases' };
    const registry = makeRegistry([
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0900001', emulated), control: 'enforce' } },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0900002', emulated), control: 'enforce' } },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0900003', { type: 'http', url: `http://127.0.0.1:${refused}/x` }), delivery: { mode: 'guaranteed', maxAttempts: 2, initialBackoffMs: 50, maxBackoffMs: 100 } } },
    ]);
    gw = await startGateway({
      services: registry, args: ['--systems', systems, '--admin-users', users, '--base-url', 'https://gw.example.org'],
      env: {
        SMEV2_SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMEV2_MAIL_FROM: 'Шлюз СМЭВ <gateway@example.org>', SMEV2_MAIL_TEMPLATES: templates,
        SMEV2_VIOLATION_FAILURES: '3', SMEV2_VIOLATION_WINDOW_MINUTES: '60', SMEV2_AVAILABILITY_INTERVAL_MS: '200',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await sink?.stop();
  });

  const mails = (pred: (m: Received) => boolean) => sink.received().filter(pred);
  /** The outbox's mail items whose queued subject matches. */
  const queued = async (subject: RegExp) => (await sql<{ id: string; target: string; status: string; attempts: number; last_error: string | null; payload: Uint8Array }>(gw.db,
    "SELECT id, target, status, attempts, last_error, payload FROM outbox WHERE kind = 'mail'"))
    .filter((r) => subject.test(JSON.parse(Buffer.from(r.payload).toString('utf8')).subject as string));

  test('SMTP configured: the start says where mail goes', () => {
    expect(gw.logs()).toMatch(new RegExp(`"smtp":"127\\.0\\.0\\.1:${sink.port} \\(auto\\)".*"msg":"e-mail over SMTP"`));
  });

  test('control failures past the rate: one mail to each operator with an address, in Russian; a refused address is a dead letter at once, not retried', async () => {
    for (let i = 0; i < 5; i++) expect((await post(`${gw.url}/gateway/services/SID0900001`, BAD)).text).toContain('GW-4001: ');
    const subject = /ошибки форматно-логического контроля \(SID0900001\)/;
    const got = await until('the violation mails to op1 and op2', () => mails((m) => subject.test(m.subject)), (l) => l.length >= 2);
    expect(got.map((m) => m.rcptTos.join()).sort()).toEqual(['op1@example.org', 'op2@example.org']);
    const m = got[0]!;
    expect(m.event).toBe('violation');
    expect(m.from).toBe('Шлюз СМЭВ <gateway@example.org>');
    expect(m.subject).toBe('Нарушение в работе шлюза: ошибки форматно-логического контроля (SID0900001)');
    expect(m.text).toMatch(/^Здравствуйте, op[12]!/);
    expect(m.text).toContain('Слишком много ошибок форматно-логического контроля по сервису SID0900001: 3 за 60 мин.');
    expect(m.text).toContain('Консоль оператора: https://gw.example.org/console/');
    expect(m.html).toContain('<a href="https://gw.example.org/console/">');
    // five failures, counted in the store, one violation: three items (op3's address refused with 550)
    await until('five failures counted', () => sql<{ n: number }>(gw.db, "SELECT n FROM violation_counts WHERE what = 'control' AND sid = 'SID0900001'"), (r) => Number(r[0]?.n) === 5);
    const items = await until('every item settled', () => queued(subject), (l) => l.length === 3 && l.every((i) => i.status !== 'pending'));
    expect(items.map((i) => `${i.target} ${i.status}`).sort()).toEqual(['nobody@example.org dead', 'op1@example.org done', 'op2@example.org done']);
    const dead = items.find((i) => i.target === 'nobody@example.org')!;
    expect(Number(dead.attempts)).toBe(1);
    expect(dead.last_error).toMatch(/550 5\.1\.1 <nobody@example\.org>/);
    expect(mails((x) => subject.test(x.subject))).toHaveLength(2);
    // nobody else: not the auditor, the clerks or the requester
    expect(sink.received().flatMap((x) => x.rcptTos).filter((a) => !/^op[12]@/.test(a))).toEqual([]);
  });

  test('a provider down and its dead letters: one mail per operator for each, however often they recur', async () => {
    for (let i = 0; i < 2; i++) expect((await post(`${gw.url}/gateway/services/SID0900003`, REQUEST)).text).toContain('ACCEPT');
    await until('two dead letters of SID0900003', () => count(gw.db, "outbox WHERE kind = 'deliver' AND sid = 'SID0900003' AND status = 'dead'"), (n) => n === 2);
    const down = /поставщик недоступен \(SID0900003\)/;
    const dead = /недоставленное сообщение \(SID0900003\)/;
    await until('the provider-down and dead-letter mails', () => mails((m) => down.test(m.subject) || dead.test(m.subject)), (l) => l.length >= 4);
    const before = await count(gw.db, "availability WHERE sid = 'SID0900003' AND NOT up");
    await until('three more checks that find it down', () => count(gw.db, "availability WHERE sid = 'SID0900003' AND NOT up"), (n) => n >= before + 3);
    for (const s of [down, dead]) {
      const items = await queued(s);
      expect(items.map((i) => i.target).sort()).toEqual(['nobody@example.org', 'op1@example.org', 'op2@example.org']);
    }
    const text = mails((m) => down.test(m.subject))[0]!.text;
    expect(text).toContain('Поставщик сервиса SID0900003 недоступен');
    expect(text).toMatch(/ECONNREFUSED/);
    expect(mails((m) => dead.test(m.subject))[0]!.text).toContain('Сообщение не доставлено: попытки исчерпаны');
  });

  test('the SMTP server down: the mail is kept and retried, and delivered once it is back; an edited template applies without a restart', async () => {
    writeFileSync(join(templates, 'violation.hbs'), readFileSync(join(templates, 'violation.hbs'), 'utf8').replace('subject: Нарушение в работе шлюза:', 'subject: [ПРАВКА] Нарушение:'));
    await sink.stop();
    for (let i = 0; i < 3; i++) expect((await post(`${gw.url}/gateway/services/SID0900002`, BAD)).text).toContain('GW-4001: ');
    const subject = /^\[ПРАВКА\] Нарушение: ошибки форматно-логического контроля \(SID0900002\)$/;
    const failing = await until('attempts that found the server down', () => queued(subject),
      (l) => l.length === 3 && l.filter((i) => i.target !== 'nobody@example.org').every((i) => Number(i.attempts) >= 1 && i.status === 'pending'));
    expect(failing.find((i) => i.target === 'op1@example.org')!.last_error).toMatch(/ECONNREFUSED/);
    await sink.start();
    const got = await until('the mails after the server is back', () => mails((m) => subject.test(m.subject)), (l) => l.length >= 2);
    expect(got.map((m) => m.rcptTos.join()).sort()).toEqual(['op1@example.org', 'op2@example.org']);
    const done = await until('the items done', () => queued(subject), (l) => l.filter((i) => i.status === 'done').length === 2);
    for (const i of done.filter((x) => x.status === 'done')) expect(Number(i.attempts)).toBeGreaterThanOrEqual(1);
    expect(mails((m) => subject.test(m.subject))).toHaveLength(2);
  });

  test('a wrong SMTP setting stops the start, naming the setting, the value and what is expected', async () => {
    const bad = await runCli(['start', '--port', '0', '--services', join(ROOT, 'wsdl')], { SMEV2_SMTP_URL: 'http://127.0.0.1:25', DATABASE_URL: '' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('SMEV2_SMTP_URL must start with smtp:// or smtps://, got "http://…"');
    const security = await runCli(['start', '--port', '0'], { SMEV2_SMTP_HOST: '127.0.0.1', SMEV2_SMTP_SECURITY: 'ssl' });
    expect(security.stderr).toContain('SMEV2_SMTP_SECURITY must be one of tls, starttls, auto, none, got "ssl"');
    const file = await runCli(['start', '--port', '0'], { SMEV2_SMTP_URL: 'smtp://gw@127.0.0.1', SMEV2_SMTP_PASSWORD_FILE: join(work, 'no-such-secret') });
    expect(file.stderr).toContain(`SMEV2_SMTP_PASSWORD_FILE ${join(work, 'no-such-secret')}: cannot be read (ENOENT)`);
  });

  describe('the cabinet\'s events to mail (Events.emit in this process, on the gateway\'s store; its worker sends)', () => {
    let store: DataSource;
    let events: Events;
    beforeAll(async () => {
      store = await openStore(dbUrl(gw.db), { migrate: false });
      const outbox = new Outbox(store);
      const dir = () => {
        const f = loadUsersFile(users);
        return { department: (id: string) => f.departments.get(id), usersOf: (role: string, dep?: string) => [...f.users.values()].filter((u) => u.role === role && (dep === undefined || u.department === dep)) };
      };
      const log = pino({ level: 'silent' });
      events = new Events(outbox, () => [], log, new MailRoutes({ directory: dir, templates: new MailTemplates(join(ROOT, 'mail-templates'), join(ROOT, 'mail-templates')), consoleUrl: 'https://gw.example.org/console/', maxAttempts: 5, maxAgeMs: 3600_000, log }));
    });
    afterAll(async () => {
      await store?.destroy();
    });

    test('request-arrived: the department\'s mailbox and its clerks with an address, once however often it is emitted; the department\'s name escaped in the HTML part', async () => {
      const data = { sid: 'SID0900001', ticket: 'T-0001', department: 'zags', due: '2026-12-07T10:00:00Z' };
      await events.emit('request-arrived', data);
      await events.emit('request-arrived', data);
      const got = await until('two mails of T-0001', () => mails((m) => m.subject.startsWith('Новый запрос')), (l) => l.length >= 2);
      expect(got.map((m) => m.rcptTos.join()).sort()).toEqual(['clerk1@example.org', 'zags@example.org']);
      expect(await count(gw.db, "outbox WHERE kind = 'mail' AND target IN ('zags@example.org', 'clerk1@example.org')")).toBe(2);
      const m = got.find((x) => x.rcptTos[0] === 'clerk1@example.org')!;
      expect(m.subject).toBe(`Новый запрос по SID0900001: ${DEPARTMENT}`);
      expect(m.text).toContain(`В отдел «${DEPARTMENT}» поступил новый запрос к сервису SID0900001.`);
      expect(m.text).toContain('Номер запроса: T-0001');
      expect(m.text).toContain('Ответить нужно до: 07.12.2026, 13:00 (МСК)');
      expect(m.html).toContain('«ЗАГС &lt;Центральный&gt; &amp; Ко»');
      expect(m.html).not.toContain('<Центральный>');
      expect(m.messageId).toMatch(/^<[0-9a-f-]{36}@smev2-gateway>$/);
      expect(got.find((x) => x.rcptTos[0] === 'zags@example.org')!.text).toMatch(/^Здравствуйте, ЗАГС/);
    });

    test('request-overdue and due-soon are mails of their own; answer-arrived goes to the requester alone', async () => {
      await events.emit('request-due-soon', { sid: 'SID0900001', ticket: 'T-0001', department: 'zags', due: '2026-12-07T10:00:00Z' });
      await events.emit('request-overdue', { sid: 'SID0900001', ticket: 'T-0001', department: 'zags', due: '2026-12-07T10:00:00Z' });
      await events.emit('answer-arrived', { sid: 'SID0900001', ticket: 'T-0002', requester: 'req1', status: 'RESULT' });
      const overdue = await until('the overdue mails', () => mails((m) => m.subject.startsWith('Просрочен ответ на запрос T-0001')), (l) => l.length >= 2);
      expect(overdue.map((m) => m.rcptTos.join()).sort()).toEqual(['clerk1@example.org', 'zags@example.org']);
      const soon = await until('the due-soon mails', () => mails((m) => m.subject.startsWith('Скоро истекает срок ответа на запрос T-0001')), (l) => l.length >= 2);
      expect(soon.map((m) => m.rcptTos.join()).sort()).toEqual(['clerk1@example.org', 'zags@example.org']);
      expect(overdue[0]!.text).toContain('Срок ответа был: 07.12.2026, 13:00 (МСК)');
      const answer = await until('the answer mail', () => mails((m) => m.event === 'answer-arrived'), (l) => l.length >= 1);
      expect(answer.map((m) => m.rcptTos.join())).toEqual(['req1@example.org']);
      expect(answer[0]!.subject).toBe('Пришёл ответ на ваш запрос к SID0900001');
      expect(answer[0]!.text).toContain('Здравствуйте, req1!');
      expect(answer[0]!.text).toContain('Статус ответа: RESULT');
      expect(answer[0]!.text).toContain('Прочитать ответ можно в кабинете: https://gw.example.org/console/');
    });

    test('a template broken in the configured folder: the shipped one is used, and the reason given', () => {
      const dir = mkdtempSync(join(tmpdir(), 'smev2-mail-broken-'));
      writeFileSync(join(dir, 'violation.hbs'), 'Тема без front matter {{sid}}\n');
      writeFileSync(join(dir, 'answer-arrived.hbs'), '---\nsubject: Ответ {{#if}}\n---\nтекст\n');
      const t = new MailTemplates(dir, join(ROOT, 'mail-templates'));
      const v = t.render('violation', { sid: 'SID1', what: 'provider-down', detail: 'x', recipient: { name: 'op1' } });
      expect(v.subject).toBe('Нарушение в работе шлюза: поставщик недоступен (SID1)');
      expect(v.warning).toContain(`${join(dir, 'violation.hbs')}: a mail template begins with front matter naming its subject`);
      expect(t.render('answer-arrived', { sid: 'SID1', recipient: { name: 'r' } }).warning).toMatch(/answer-arrived\.hbs: Parse error/);
      expect(t.check(['violation', 'answer-arrived', 'request-arrived'])).toHaveLength(3); // the third is absent from the folder
    });
  });
});
