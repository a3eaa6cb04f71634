// The structural comparison behind `replay`, in-process: prefixes never matter, volatile fields
// are ignored, order does, and every difference is a readable line with a path.
import { loadXml } from '../src/xml/libxml';
import { readTree } from '../src/testkit/tree';
import { compareTrees, describeTexts } from '../src/testkit/compare';
import { chainMatches } from '../src/testkit/run';
import { setMessageField, carryTickets, looksLikeTicket } from '../src/testkit/edit';
import { findRoot } from '../src/testkit/tree';

const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const REV = 'http://smev.gosuslugi.ru/rev111111';

/** An answer envelope written with the prefixes given (p = smev prefix, '' = default namespace). */
function envelope(o: { s?: string; p?: string; status?: string; date?: string; ref?: string; appData?: string; header?: string; bodyId?: string } = {}): string {
  const s = o.s ?? 'soapenv';
  const p = o.p ?? 'smev';
  const q = (n: string) => (p ? `${p}:${n}` : n);
  const decl = p ? `xmlns:${p}="${REV}"` : `xmlns="${REV}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<${s}:Envelope xmlns:${s}="${SOAP}">
  <${s}:Header>${o.header ?? ''}</${s}:Header>
  <${s}:Body xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd" wsu:Id="${o.bodyId ?? 'body'}">
    <op:Answer xmlns:op="urn:test:op">
      <${q('Message')} ${decl}>
        <${q('Sender')}><${q('Code')}>PFRF01001</${q('Code')}></${q('Sender')}>
        <${q('Status')}>${o.status ?? 'RESULT'}</${q('Status')}>
        <${q('Date')}>${o.date ?? '2024-03-14T10:00:00+03:00'}</${q('Date')}>
        <${q('RequestIdRef')}>${o.ref ?? 'AAAA-1'}</${q('RequestIdRef')}>
      </${q('Message')}>
      <${q('MessageData')} ${decl}><${q('AppData')}>${o.appData ?? '<d:R xmlns:d="urn:test:data"><d:Code kind="a">00</d:Code><d:Name>Иванова</d:Name></d:R>'}</${q('AppData')}></${q('MessageData')}>
    </op:Answer>
  </${s}:Body>
</${s}:Envelope>`;
}

const diff = (expected: string, actual: string, volatile?: string[]) =>
  compareTrees(readTree(Buffer.from(expected)).root, readTree(Buffer.from(actual)).root, { volatile });

beforeAll(async () => {
  await loadXml();
});

describe('structural comparison', () => {
  test('prefixes, namespace declarations and whitespace never matter', () => {
    expect(diff(envelope(), envelope({ s: 'S', p: '' }))).toEqual([]);
    expect(diff(envelope(), envelope({ p: 'ns2' }).replace(/\n\s*/g, ''))).toEqual([]);
    const reprefixed = envelope().replace(/d:/g, 'x:').replace('xmlns:d=', 'xmlns:x=');
    expect(diff(envelope(), reprefixed)).toEqual([]);
  });

  test('volatile by default: Date, RequestIdRef, the Body id, the smev:Header and the Security blocks', () => {
    const header = `<smev:Header xmlns:smev="${REV}"><smev:MessageId>X</smev:MessageId></smev:Header>` +
      '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"><wsse:Any/></wsse:Security>';
    expect(diff(envelope(), envelope({ date: '2026-01-01T00:00:00Z', ref: 'BBBB-2', bodyId: 'body-2', header }))).toEqual([]);
    // other header blocks are compared
    expect(diff(envelope(), envelope({ header: '<t:Trace xmlns:t="urn:t">1</t:Trace>' }))).toEqual(['Header/Trace: unexpected element ("1")']);
  });

  test('a field that differs is named by its path, prefix-free', () => {
    expect(diff(envelope(), envelope({ status: 'REJECT', p: 'ns2' }))).toEqual(['Body/Answer/Message/Status: expected "RESULT", got "REJECT"']);
    const other = envelope({ appData: '<d:R xmlns:d="urn:test:data"><d:Code kind="b">01</d:Code><d:Name>Иванова</d:Name></d:R>' });
    expect(diff(envelope(), other)).toEqual([
      'Body/Answer/MessageData/AppData/R/Code/@kind: expected "a", got "b"',
      'Body/Answer/MessageData/AppData/R/Code: expected "00", got "01"',
    ]);
  });

  test('missing, unexpected and renamed elements; another namespace; repeated siblings by position', () => {
    const base = '<d:R xmlns:d="urn:test:data"><d:Item>1</d:Item><d:Item>2</d:Item><d:Name>N</d:Name></d:R>';
    const e = envelope({ appData: base });
    expect(diff(e, envelope({ appData: '<d:R xmlns:d="urn:test:data"><d:Item>1</d:Item><d:Name>N</d:Name></d:R>' })))
      .toEqual(['Body/Answer/MessageData/AppData/R/Item[2]: missing (expected "2")']);
    expect(diff(e, envelope({ appData: '<d:R xmlns:d="urn:test:data"><d:Item>1</d:Item><d:Item>3</d:Item><d:Name>N</d:Name><d:Extra>x</d:Extra></d:R>' })))
      .toEqual(['Body/Answer/MessageData/AppData/R/Item[2]: expected "2", got "3"', 'Body/Answer/MessageData/AppData/R/Extra: unexpected element ("x")']);
    expect(diff(e, envelope({ appData: '<d:R xmlns:d="urn:test:data"><d:Item>1</d:Item><d:Item>2</d:Item><d:Title>N</d:Title></d:R>' })))
      .toEqual(['Body/Answer/MessageData/AppData/R/Name: expected element Name, got Title ("N")']);
    expect(diff(e, envelope({ appData: '<d:R xmlns:d="urn:test:data"><d:Item>1</d:Item><d:Item>2</d:Item><o:Name xmlns:o="urn:other">N</o:Name></d:R>' })))
      .toEqual(['Body/Answer/MessageData/AppData/R/Name: expected namespace "urn:test:data", got "urn:other"']);
    // order is significant
    expect(diff(e, envelope({ appData: '<d:R xmlns:d="urn:test:data"><d:Name>N</d:Name><d:Item>1</d:Item><d:Item>2</d:Item></d:R>' })).length).toBeGreaterThan(0);
  });

  test('case volatile paths: wildcards and attributes; presence is still required', () => {
    const e = envelope({ appData: '<t:Ticket xmlns:t="urn:t"><t:Number>80-111</t:Number><t:At when="1">x</t:At></t:Ticket>' });
    const a = envelope({ appData: '<t:Ticket xmlns:t="urn:t"><t:Number>80-222</t:Number><t:At when="2">x</t:At></t:Ticket>' });
    expect(diff(e, a)).toEqual([]); // AppData/Ticket is a default
    const e2 = e.replace(/Ticket/g, 'Receipt');
    const a2 = a.replace(/Ticket/g, 'Receipt');
    expect(diff(e2, a2)).toHaveLength(2);
    expect(diff(e2, a2, ['AppData/Receipt/*'])).toEqual([]);
    expect(diff(e2, a2, ['AppData/Receipt/Number', 'AppData/*/At/@when'])).toEqual([]);
    expect(diff(e2, envelope({ appData: '<t:Receipt xmlns:t="urn:t"><t:At when="2">x</t:At></t:Receipt>' }), ['AppData/Receipt/*']))
      .toEqual(['Body/Answer/MessageData/AppData/Receipt/Number: missing (expected "80-111")']);
  });

  test('a fault instead of an answer, and long texts shown around their first difference', () => {
    const fault = `<S:Envelope xmlns:S="${SOAP}"><S:Body><S:Fault><faultcode>S:Server</faultcode><faultstring>boom</faultstring></S:Fault></S:Body></S:Envelope>`;
    expect(diff(envelope(), fault)).toEqual(['Body/Answer: expected element Answer, got Fault (<Fault> with 2 child elements)']);
    const long = 'A'.repeat(500);
    expect(describeTexts(long, `${long.slice(0, 300)}B${long.slice(301)}`)).toBe(
      `expected "…${'A'.repeat(60)}…" (500 chars), got "…${'A'.repeat(30)}B${'A'.repeat(29)}…" (500 chars); first difference at character 301`);
  });
});

describe('chains and edits', () => {
  test('the chain of statuses against a pattern', () => {
    expect(chainMatches(['ACCEPT', 'PROCESS*', 'RESULT'], ['ACCEPT', 'RESULT'])).toBe(true);
    expect(chainMatches(['ACCEPT', 'PROCESS*', 'RESULT'], ['ACCEPT', 'PROCESS', 'PROCESS', 'RESULT'])).toBe(true);
    expect(chainMatches(['ACCEPT', 'PROCESS+', 'RESULT'], ['ACCEPT', 'RESULT'])).toBe(false);
    expect(chainMatches(['ACCEPT', 'PROCESS*', 'RESULT'], ['ACCEPT', 'INVALID'])).toBe(false);
    expect(chainMatches(['ACCEPT?', 'REJECT'], ['REJECT'])).toBe(true);
  });

  test('OriginRequestIdRef and Date are set (or inserted in schema order) by splicing, other bytes kept', () => {
    const with_ = envelope().replace('<smev:RequestIdRef>AAAA-1</smev:RequestIdRef>', '<smev:OriginRequestIdRef>0000</smev:OriginRequestIdRef>');
    const set = setMessageField(Buffer.from(with_), 'OriginRequestIdRef', 'NEW-ID').toString();
    expect(set).toBe(with_.replace('<smev:OriginRequestIdRef>0000<', '<smev:OriginRequestIdRef>NEW-ID<'));
    const inserted = setMessageField(Buffer.from(envelope({ p: '' })), 'OriginRequestIdRef', 'NEW-ID').toString();
    expect(inserted).toContain('<RequestIdRef>AAAA-1</RequestIdRef><OriginRequestIdRef>NEW-ID</OriginRequestIdRef>');
    // --fresh-dates: the Date of smev:Message, not a DateOfBirth of AppData
    const dated = setMessageField(Buffer.from(envelope({ appData: '<d:DateOfBirth xmlns:d="urn:d">1980-01-02</d:DateOfBirth>' })), 'Date', '2030-01-01T00:00:00+03:00').toString();
    expect(dated).toContain('<smev:Date>2030-01-01T00:00:00+03:00</smev:Date>');
    expect(dated).toContain('<d:DateOfBirth xmlns:d="urn:d">1980-01-02</d:DateOfBirth>');
  });

  test('a ticket the ACCEPT handed out is carried into the PING', () => {
    const appData = (n: string) => `<t:Receipt xmlns:t="urn:t"><t:Number>${n}</t:Number><t:Code>0</t:Code></t:Receipt>`;
    const expected = findRoot(readTree(Buffer.from(envelope({ appData: appData('80-30457129') }))), 'AppData');
    const actual = findRoot(readTree(Buffer.from(envelope({ appData: appData('80-99999999') }))), 'AppData');
    const ping = Buffer.from(envelope({ status: 'PING', appData: '<q:Get xmlns:q="urn:q"><q:Number>80-30457129</q:Number></q:Get>' }));
    const out = carryTickets(ping, expected, actual);
    expect(out.carried).toEqual(['AppData/Receipt/Number: 80-30457129 -> 80-99999999']);
    expect(out.bytes.toString()).toContain('<q:Number>80-99999999</q:Number>');
    expect(looksLikeTicket('2024-03-15')).toBe(false);
    expect(looksLikeTicket('15.03.2024')).toBe(false);
    expect(looksLikeTicket('582403140001274')).toBe(true);
  });
});
