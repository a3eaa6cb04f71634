// Answers from the request (issue 17, items 1 and 3): answer files are Handlebars templates
// filled from the request (AppData, smev:Message, the AppDocument's file names) and with
// generated values (uuid, now, seq, pick, randomInt), escaped for XML; `seq` counts per SID in
// the store, the same for two gateway processes on one store and across a restart; a case's
// `fault:` answers a SOAP fault with its HTTP status; a broken template stops the load, naming
// its file and line. All over HTTP on the real gateway process, on this pass's store.
import { cpSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { startGateway, post, runCli, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { STORE_NAME } from './support/store';
import { ROOT } from './support/paths';
import { parse as parseYaml, stringify } from 'yaml';
import { buildZip } from '../src/attachments/zip';

const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const SID = 'SID0970101';
const COUNTED = 'SID0970102';
const OTHER = 'SID0970103';
const DEMO = 'SID0003623';

/** The echo answer with this AppData (a template). */
const answerWith = (appData: string) => ANSWER.replace('<e:Text>echo</e:Text>', appData);
/** The echo request with this AppData (and optionally more in MessageData). */
const requestWith = (appData: string, afterAppData = '') =>
  REQUEST.replace('<smev:AppData><e:Text>Привет &amp; hello</e:Text></smev:AppData>', `<smev:AppData>${appData}</smev:AppData>${afterAppData}`);

// with the Originator the emulator fills in (replay compares the whole answer)
const VALUES = answerWith([
  '<e:Family>{{xpath "AppData/Query/FamilyName"}}</e:Family>',
  '<e:FamilyAgain>{{request.AppData.Query.FamilyName}}</e:FamilyAgain>',
  '<e:Note title="{{xpath "AppData/Query/Note"}}">{{request.AppData.Query.Note}}</e:Note>',
  '<e:Kind>{{xpath "AppData/Query/@kind"}}</e:Kind>',
  '<e:Case>{{xpath "Message/CaseNumber"}}</e:Case>',
  '<e:From>{{request.Message.Sender.Code}}</e:From>',
  '{{#each (xpathAll "AppData/Query/Items/Item")}}<e:Got n="{{@index}}">{{Name}}</e:Got>{{/each}}',
  '<e:Id>{{uuid}}</e:Id>',
  '<e:Now>{{now}}</e:Now>',
  `<e:Due>{{now offset="+3 days" format="yyyy-MM-dd'T'HH:mm:ssXXX"}}</e:Due>`,
  '<e:Color>{{pick "красный" "green" "blue"}}</e:Color>',
  '<e:Dice>{{randomInt 1 6}}</e:Dice>',
  '<e:Seq>{{seq}}</e:Seq><e:SeqAgain>{{seq}}</e:SeqAgain><e:Reg>REG-{{seq "reg"}}</e:Reg>',
  '{{{xpath "AppData/Query/Fragment"}}}',
].join('')).replace('<smev:TypeCode>', '<smev:Originator><smev:Code>MINZ01001</smev:Code><smev:Name>Минздрав России</smev:Name></smev:Originator><smev:TypeCode>');

const FILES = answerWith('<e:RequestCode>{{request.RequestCode}}</e:RequestCode>{{#each request.attachments}}<e:File>{{this}}</e:File>{{/each}}');

const QUERY = requestWith(
  '<e:Query kind="values"><e:FamilyName>Иванова-Петрова</e:FamilyName><e:Note>a &lt; b &amp; "c" \'d\'</e:Note>' +
    '<e:Items><e:Item><e:Name>один</e:Name></e:Item><e:Item><e:Name>два</e:Name></e:Item><e:Item><e:Name>три</e:Name></e:Item></e:Items>' +
    '<e:Fragment>&lt;e:Raw&gt;as &lt;e:B&gt;written&lt;/e:B&gt;&lt;/e:Raw&gt;</e:Fragment></e:Query>',
);

function writeCase(dir: string, sid: string, name: string, yaml: string, answer?: string): void {
  const d = join(dir, sid, 'cases', name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'case.yaml'), yaml);
  if (answer !== undefined) writeFileSync(join(d, 'answer.xml'), answer);
}

function registry(): string {
  const dir = makeRegistry([SID, COUNTED, OTHER].map((sid) => ({ bundle: ECHO_BUNDLE, def: echoDefinition(sid, { type: 'emulator', cases: 'cases' }) })));
  writeCase(dir, SID, 'values', 'match:\n  AppData/Query/@kind: values\n', VALUES);
  writeCase(dir, SID, 'files', 'match:\n  AppData/Query/@kind: files\n', FILES);
  writeCase(dir, SID, 'as-written', 'match:\n  AppData/Query/@kind: as-written\ntemplate: false\n', answerWith('<e:Text>{{xpath "AppData/Query/@kind"}}</e:Text>'));
  writeCase(dir, SID, 'node-fault', [
    'match:\n  AppData/Query/@kind: node-fault',
    'fault:\n  faultcode: Server\n  faultstring: "SMEV-100005: Сервис поставщика {{request.Message.Recipient.Code}} недоступен"\n  httpStatus: 503',
  ].join('\n'));
  writeCase(dir, SID, 'own-fault', [
    'match:\n  AppData/Query/@kind: own-fault',
    'fault:\n  faultcode: Client',
    '  faultstring: "Гражданин {{xpath \'AppData/Query/FamilyName\'}} не найден"',
    '  detail: \'<e:Error xmlns:e="urn:test:echo"><e:Code>404</e:Code><e:Who>{{request.AppData.Query.FamilyName}}</e:Who></e:Error>\'',
  ].join('\n'));
  for (const sid of [COUNTED, OTHER]) writeCase(dir, sid, 'counter', 'match: {}\n', answerWith('<e:N>{{seq}}</e:N>'));
  // the demo SNILS service as bundled, answering from fixtures/
  cpSync(join(ROOT, 'wsdl', DEMO), join(dir, DEMO), { recursive: true });
  const def = parseYaml(readFileSync(join(dir, DEMO, 'service.yaml'), 'utf8'));
  def.adapter.cases = join(ROOT, 'fixtures', DEMO);
  writeFileSync(join(dir, DEMO, 'service.yaml'), stringify(def));
  return dir;
}

const parse = (xml: string) => new DOMParser().parseFromString(xml, 'text/xml');
/** Text of the first element with this local name. */
const text = (xml: string, local: string): string | undefined => {
  const el = parse(xml).getElementsByTagNameNS('*', local)[0];
  return el ? el.textContent ?? '' : undefined;
};
const texts = (xml: string, local: string): string[] => Array.from(parse(xml).getElementsByTagNameNS('*', local)).map((e) => e.textContent ?? '');

describe(`answers from the request, on ${STORE_NAME}`, () => {
  let gw: GatewayProcess;
  let dir: string;
  beforeAll(async () => {
    dir = registry();
    // the replay test edits the cases' files as expectations; the gateway answers from the files it
    // loaded (the registry watcher, on by default, would take the edits: test/emulator-editor covers it)
    gw = await startGateway({ services: dir, env: { SMEV2_WATCH_REGISTRY: 'false' } });
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const call = (body: string, sid = SID, on = gw) => post(`${on.url}/gateway/services/${sid}`, body);

  test('values from AppData and smev:Message, by xpath and by request.…, escaped for XML; repeated elements by #each', async () => {
    const res = await call(QUERY);
    expect(res.status).toBe(200);
    expect(text(res.text, 'Status')).toBe('RESULT'); // filled after rendering, as before
    expect(text(res.text, 'Family')).toBe('Иванова-Петрова');
    expect(text(res.text, 'FamilyAgain')).toBe('Иванова-Петрова');
    // <&"' escaped in text and in an attribute: the answer parses and reads back as the request had it
    expect(text(res.text, 'Note')).toBe('a < b & "c" \'d\'');
    expect(parse(res.text).getElementsByTagNameNS('urn:test:echo', 'Note')[0]!.getAttribute('title')).toBe('a < b & "c" \'d\'');
    expect(res.text).toContain('a &lt; b &amp; &quot;c&quot;');
    expect(text(res.text, 'Kind')).toBe('values');
    expect(text(res.text, 'Case')).toBe('CASE-42');
    expect(text(res.text, 'From')).toBe('MINZ01001');
    expect(texts(res.text, 'Got')).toEqual(['один', 'два', 'три']);
  });

  test('generated values: uuid, now (SMEV form, and with an offset and a format), pick, randomInt', async () => {
    const before = Date.now();
    const a = await call(QUERY);
    const b = await call(QUERY);
    for (const res of [a, b]) {
      expect(text(res.text, 'Id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(text(res.text, 'Now')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}([+-]\d\d:\d\d|Z)$/);
      const due = text(res.text, 'Due')!;
      expect(due).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)$/);
      const days = (Date.parse(due) - before) / 86_400_000;
      expect(days).toBeGreaterThan(2.9); // three days on, whatever the clock's time zone
      expect(days).toBeLessThan(3.1);
      expect(['красный', 'green', 'blue']).toContain(text(res.text, 'Color'));
      expect(Number(text(res.text, 'Dice'))).toBeGreaterThanOrEqual(1);
      expect(Number(text(res.text, 'Dice'))).toBeLessThanOrEqual(6);
    }
    expect(text(a.text, 'Id')).not.toBe(text(b.text, 'Id'));
    // one number per answer for each seq name, the next answer the next
    expect(text(a.text, 'Seq')).toBe(text(a.text, 'SeqAgain'));
    expect(Number(text(b.text, 'Seq'))).toBe(Number(text(a.text, 'Seq')) + 1);
    expect(Number(text(b.text, 'Reg')!.slice(4))).toBe(Number(text(a.text, 'Reg')!.slice(4)) + 1);
  });

  test('{{{…}}} inserts XML as written', async () => {
    const res = await call(QUERY);
    const raw = parse(res.text).getElementsByTagNameNS('urn:test:echo', 'Raw')[0];
    expect(raw).toBeDefined();
    expect(raw!.getElementsByTagNameNS('urn:test:echo', 'B')[0]!.textContent).toBe('written');
  });

  test("the request's AppDocument: its RequestCode and the names of the files in its ZIP", async () => {
    const zip = await buildZip([
      { name: 'заявление.xml', bytes: Buffer.from('<a/>') },
      { name: 'docs/scan <1>.pdf', bytes: Buffer.from('%PDF') },
    ]);
    const doc = `<smev:AppDocument><smev:RequestCode>req-77</smev:RequestCode><smev:BinaryData>${zip.toString('base64')}</smev:BinaryData></smev:AppDocument>`;
    const res = await call(requestWith('<e:Query kind="files"/>', doc));
    expect(res.status).toBe(200);
    expect(text(res.text, 'RequestCode')).toBe('req-77');
    expect(texts(res.text, 'File')).toEqual(['заявление.xml', 'docs/scan <1>.pdf']);
  });

  test('the demo SNILS service answers with the person asked for', async () => {
    const asked = readFileSync(join(ROOT, 'fixtures', DEMO, 'found', 'request.xml'), 'utf8')
      .replace('<pfr:Имя>МАРИЯ</pfr:Имя>', '<pfr:Имя>Анна-Мария</pfr:Имя>').replace('<pfr:Отчество>ПЕТРОВНА</pfr:Отчество>', '<pfr:Отчество>Д&apos;Артаньян</pfr:Отчество>');
    const res = await call(asked, DEMO);
    expect(res.status).toBe(200);
    expect(text(res.text, 'Status')).toBe('RESULT');
    expect(text(res.text, 'Фамилия')).toBe('ИВАНОВА');
    expect(text(res.text, 'Имя')).toBe('Анна-Мария');
    expect(text(res.text, 'Отчество')).toBe("Д'Артаньян");
    expect(text(res.text, 'ДатаРождения')).toBe('14.07.1985');
    expect(text(res.text, 'ДатаФормирования')).toMatch(/^\d\d\.\d\d\.\d{4}$/);
  });

  test('template: false sends the file as written', async () => {
    const res = await call(requestWith('<e:Query kind="as-written"/>'));
    expect(text(res.text, 'Text')).toBe('{{xpath "AppData/Query/@kind"}}');
  });

  test("a node's fault (SMEV-100005) with its HTTP status, passed to the consumer as it came", async () => {
    const res = await call(requestWith('<e:Query kind="node-fault"/>'));
    expect(res.status).toBe(503);
    expect(text(res.text, 'faultcode')).toBe('soap:Server');
    expect(text(res.text, 'faultstring')).toBe('SMEV-100005: Сервис поставщика ECHO01001 недоступен');
    expect(res.text).not.toContain('Security'); // a fault is not signed
  });

  test("a provider's own fault: faultstring and detail from the request, HTTP 500", async () => {
    const res = await call(requestWith('<e:Query kind="own-fault"><e:FamilyName>О\'Коннор &amp; сын</e:FamilyName></e:Query>'));
    expect(res.status).toBe(500);
    expect(text(res.text, 'faultcode')).toBe('soap:Client');
    expect(text(res.text, 'faultstring')).toBe("Гражданин О'Коннор & сын не найден");
    expect(text(res.text, 'Code')).toBe('404');
    expect(text(res.text, 'Who')).toBe("О'Коннор & сын");
  });

  test('replay renders a templated answer with the request it sent (generated values match any text) and expects a case\'s fault with its status', async () => {
    const cases = join(dir, SID, 'cases');
    writeFileSync(join(cases, 'values', 'request.xml'), QUERY);
    writeFileSync(join(cases, 'node-fault', 'request.xml'), requestWith('<e:Query kind="node-fault"/>'));
    writeFileSync(join(cases, 'own-fault', 'request.xml'), requestWith('<e:Query kind="own-fault"><e:FamilyName>Петров</e:FamilyName></e:Query>'));
    const ok = await runCli(['replay', cases, '--sid', SID, '--target', gw.url]);
    expect(ok.stdout).toContain('5 cases: 3 passed, 0 failed, 2 skipped');
    expect(ok.code).toBe(0);
    // an echoed value is compared exactly: the same request with another name fails where the name stands
    writeFileSync(join(cases, 'values', 'answer.xml'), VALUES.replace('<e:Family>{{xpath "AppData/Query/FamilyName"}}</e:Family>', '<e:Family>{{xpath "AppData/Query/FamilyName"}}!</e:Family>'));
    writeFileSync(join(cases, 'node-fault', 'case.yaml'), readFileSync(join(cases, 'node-fault', 'case.yaml'), 'utf8').replace('httpStatus: 503', 'httpStatus: 502'));
    const bad = await runCli(['replay', cases, '--sid', SID, '--target', gw.url]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('AppData/Family: expected "Иванова-Петрова!", got "Иванова-Петрова"');
    expect(bad.stdout).toContain('HTTP status: expected 502 (fault.httpStatus), got 503');
    writeFileSync(join(cases, 'values', 'answer.xml'), VALUES);
  });

  test('seq counts per SID, once for two gateway processes on one store, and survives a restart', async () => {
    const second = await startGateway({ services: dir, db: gw.db, env: { SMEV2_WATCH_REGISTRY: 'false' } });
    let third: GatewayProcess | undefined;
    try {
      const n = async (sid: string, on: GatewayProcess) => Number(text((await call(REQUEST, sid, on)).text, 'N'));
      expect(await n(COUNTED, gw)).toBe(1);
      expect(await n(OTHER, second)).toBe(1); // another SID counts on its own
      // 30 calls at once, alternately to each process: every number handed out once
      const got = await Promise.all(Array.from({ length: 30 }, (_, i) => n(COUNTED, i % 2 ? second : gw)));
      expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
      await second.stop();
      third = await startGateway({ services: dir, db: gw.db });
      expect(await n(COUNTED, third)).toBe(32);
      expect(await n(OTHER, third)).toBe(2);
    } finally {
      await second.stop();
      await third?.stop();
    }
  });

  test('a broken template is refused at load, naming its file and line', async () => {
    const broken = registry();
    writeCase(broken, SID, 'values', 'match:\n  AppData/Query/@kind: values\n', answerWith('<e:A/>\n<e:B>{{xpath "AppData/Query/A"}</e:B>'));
    writeCase(broken, SID, 'files', 'match:\n  AppData/Query/@kind: files\n', answerWith('<e:A>\n\n{{uuidd}}</e:A>'));
    writeCase(broken, SID, 'own-fault', 'match: {}\n', answerWith('<e:A>{{now offset="+3 dayz"}}</e:A>'));
    writeCase(broken, COUNTED, 'counter', 'match: {}\n', answerWith('{{#each (xpathAll "AppData/X")}}<e:A>\n</e:A>'));
    const err = await startGateway({ services: broken }).then(() => undefined, (e: Error) => e.message);
    expect(err).toBeDefined();
    expect(err).toMatch(new RegExp(`${SID}/cases/values/answer\\.xml: not a valid template: Parse error on line 3:`));
    expect(err).toMatch(new RegExp(`${SID}/cases/files/answer\\.xml: line 4: "uuidd" is neither a helper`));
    expect(err).toMatch(new RegExp(`${COUNTED}/cases/counter/answer\\.xml: not a valid template: line 2: a block opened by {{#each}} is not closed`));
    expect(err).toMatch(new RegExp(`${SID}/cases/own-fault/answer\\.xml: line 2: now: offset "\\+3 dayz"`));
  });
});
