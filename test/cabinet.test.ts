// The cabinet end to end (issue 18): a requester of one department asks, through the composer, a
// service whose provider is a clerk of another department (the demo manual provider SID0009001);
// the clerk's department hears of it by e-mail, the clerk refuses it in the inbox, and the
// requester hears of the answer by e-mail and reads it in "my requests". Every part is the real
// one: the gateway process on the pass's store, its delivery worker, the demo registry and keys,
// and an SMTP server (aiosmtpd, Debian's python3-aiosmtpd).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type GatewayProcess } from './support/gateway';
import { closedPort } from './support/upstream';
import { ROOT } from './support/paths';
import { STORE_NAME } from './support/store';
import { SmtpSink, until } from './support/smtp';
import { hashPassword } from '../src/admin/auth';

/** The AppData of the conviction service's fixture request: what the requester fills in. */
const FIXTURE = readFileSync(join(ROOT, 'fixtures', 'SID0003456', 'found', 'request.xml'), 'utf8');
const APPDATA = /<smev:AppData>([\s\S]*?)<\/smev:AppData>/.exec(FIXTURE)![1]!.trim();
const basic = (user: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${user}-password`).toString('base64')}` });

describe(`the cabinet end to end: requester → clerk → requester, with e-mail (${STORE_NAME})`, () => {
  let gw: GatewayProcess;
  let sink: SmtpSink;
  const work = mkdtempSync(join(tmpdir(), 'smev2-cabinet-'));

  const api = async (path: string, user: string, body?: unknown) => {
    const res = await fetch(`${gw.url}/admin${path}`, {
      method: body === undefined ? 'GET' : 'POST', headers: { ...basic(user), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };

  beforeAll(async () => {
    sink = new SmtpSink(await closedPort(), join(work, 'received'), 'nobody');
    mkdirSync(sink.dir);
    await sink.start();
    const user = async (name: string, role: string, department?: string, email?: string) =>
      `  - name: ${name}\n    role: ${role}\n${department ? `    department: ${department}\n` : ''}${email ? `    email: ${email}\n` : ''}    password: ${await hashPassword(`${name}-password`)}`;
    writeFileSync(join(work, 'users.yaml'), [
      'departments:',
      '  - id: minzdrav\n    name: Минздрав, отдел запросов\n    email: minzdrav@example.org\n    systems: [MINZ01001]',
      '  - id: mvd-demo\n    name: Отдел МВД по запросам о судимости\n    email: mvd@example.org',
      'users:',
      await user('petrov', 'requester', 'minzdrav', 'petrov@example.org'),
      await user('ivanova', 'clerk', 'mvd-demo', 'ivanova@example.org'),
      await user('admin', 'operator', undefined, 'admin@example.org'),
      '',
    ].join('\n'));
    gw = await startGateway({
      args: ['--admin-users', join(work, 'users.yaml')],
      env: { SMEV2_SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMEV2_MAIL_FROM: 'Шлюз СМЭВ <gateway@example.org>' },
    });
  }, 90_000);

  afterAll(async () => {
    await gw?.stop();
    await sink?.stop();
  });

  test('the requester asks; the clerk\'s department is written to; the clerk refuses; the requester is written to and reads the answer', async () => {
    // the requester composes as their department's system: ACCEPT with the gateway's ticket
    const sent = await api('/compose/send', 'petrov', { sid: 'SID0009001', operation: 'sendConvictionRequest', signAs: 'MINZ01001', appData: APPDATA });
    expect(sent.status).toBe(200);
    const requestId = sent.body.requestId as string;
    const ticket = sent.body.messageId as string;
    expect(ticket).toMatch(/\S/);

    // the request lands in the clerk's inbox, and their department hears of it (its mailbox and the clerk)
    const item = await until('the request in the clerk\'s inbox', async () => ((await api('/inbox', 'ivanova')).body.items as { ticket: string; sid: string }[]).find((x) => x.sid === 'SID0009001'), (x) => x !== undefined);
    const arrived = await until('mail of the new request', () => sink.received().filter((m) => m.event === 'request-arrived'), (ms) => ms.length >= 2);
    expect(arrived.flatMap((m) => m.rcptTos).sort()).toEqual(['ivanova@example.org', 'mvd@example.org']);
    expect(arrived[0]!.text).toContain('SID0009001');
    expect(arrived[0]!.subject).toMatch(/[А-Яа-я]/); // the templates are Russian

    // the clerk refuses it with a reason
    const refused = await api(`/inbox/${item!.ticket}/answer`, 'ivanova', { status: 'REJECT', reason: 'Запрос не по адресу: обратитесь в территориальный орган' });
    expect(refused.status).toBe(200);

    // the requester is written to once the answer is stored, and reads it in "my requests"
    const answered = await until('mail of the answer', () => sink.received().filter((m) => m.event === 'answer-arrived'), (ms) => ms.length >= 1);
    expect(answered.map((m) => m.rcptTos)).toEqual([['petrov@example.org']]);
    const mine = await until('the request answered in "my requests"', async () => (await api(`/requests/${requestId}`, 'petrov')).body as { status: string | null; answer?: string | null },
      (r) => r.status === 'REJECT');
    expect(mine.answer).toContain('Запрос не по адресу');

    // nobody else was written to: the operator hears of violations only, and there were none
    expect(sink.received().filter((m) => m.rcptTos.includes('admin@example.org') || m.rcptTos.includes('minzdrav@example.org'))).toEqual([]);
  }, 120_000);
});
