import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { Slices, type Piece } from '../src/slices';
import { headerBlockSlices } from '../src/envelope/build';
import { rechunk } from '../src/journal/attachments';

/** Is `p` a view of `whole`'s memory (not a copy)? */
const viewOf = (p: Piece, whole: Buffer) =>
  Buffer.isBuffer(p) && p.buffer === whole.buffer && p.byteOffset >= whole.byteOffset && p.byteOffset + p.length <= whole.byteOffset + whole.length;

describe('Slices: a message as views and spliced pieces', () => {
  const pieces = fc.array(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), { maxLength: 8 });

  test('join, length, sha256 and any range equal those of the concatenation', () => {
    fc.assert(fc.property(pieces, fc.nat(), fc.nat(), (ps, x, y) => {
      const s = Slices.of(...ps);
      const whole = Buffer.concat(ps);
      expect(s.length).toBe(whole.length);
      expect(s.join().equals(whole)).toBe(true);
      expect(s.sha256()).toBe(createHash('sha256').update(whole).digest('hex'));
      const a = whole.length ? x % (whole.length + 1) : 0;
      const b = a + (whole.length - a ? y % (whole.length - a + 1) : 0);
      expect(s.subarray(a, b).equals(whole.subarray(a, b))).toBe(true);
      expect(s.subarray(a).equals(whole.subarray(a))).toBe(true);
    }));
  });

  test('a range inside one slice is a view of it; one slice joins to itself', () => {
    const big = Buffer.from('0123456789'.repeat(100));
    const s = Slices.of(Buffer.from('head'), big, Buffer.from('tail'));
    const inner = s.subarray(10, 900);
    expect(viewOf(inner, big)).toBe(true);
    expect(inner.toString()).toBe(big.toString().slice(6, 896));
    expect(Slices.of(big).join()).toBe(big);
    expect(Slices.of(Buffer.alloc(0), big, Buffer.alloc(0)).pieces).toHaveLength(1);
  });

  test('firstOf finds the first slice with a value', () => {
    const s = Slices.of(Buffer.from('aaa'), Buffer.from('bXb'), Buffer.from('cXc'));
    expect(s.firstOf((p) => (p.includes('X') ? p.toString() : null))).toBe('bXb');
    expect(s.firstOf(() => undefined)).toBeNull();
  });
});

describe('the node\'s header blocks spliced into views of the message', () => {
  const name = fc.constantFrom('Sec', 'Header', 'x', 'Мой');
  const child = fc.tuple(name, fc.string({ maxLength: 12 }).map((t) => t.replace(/[<&]/g, '.'))).map(([n, t]) => `<h:${n} xmlns:h="urn:h">${t}</h:${n}>`);
  const envelopeArb = fc.record({
    prefix: fc.constantFrom('soap:', 'S11:', ''),
    header: fc.oneof(fc.constant<'none' | 'empty'>('none'), fc.constant<'none' | 'empty'>('empty'), fc.array(child, { maxLength: 5 })),
    gaps: fc.array(fc.constantFrom('', ' ', '\n  ', '\r\n'), { minLength: 6, maxLength: 6 }),
    body: fc.string({ maxLength: 200 }).map((t) => t.replace(/[<&]/g, '.')),
    remove: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  });

  test('the joined result is the message with the blocks put in and the picked ones removed, and the rest are views', () => {
    fc.assert(fc.property(envelopeArb, fc.boolean(), ({ prefix, header, gaps, body, remove }, both) => {
      const ns = prefix ? ` xmlns:${prefix.slice(0, -1)}="http://schemas.xmlsoap.org/soap/envelope/"` : ' xmlns="http://schemas.xmlsoap.org/soap/envelope/"';
      const open = `<?xml version="1.0" encoding="UTF-8"?>${gaps[0]}<${prefix}Envelope${ns}>${gaps[1]}`;
      const tail = `${gaps[3]}<${prefix}Body>${body}</${prefix}Body>${gaps[4]}</${prefix}Envelope>`;
      const first = both ? '<n:First xmlns:n="urn:n"/>' : undefined;
      const last = '<n:Last xmlns:n="urn:n">т</n:Last>';
      let text: string;
      let expected: string;
      if (header === 'none') {
        text = open + tail.trimStart();
        expected = `${open.slice(0, open.length - gaps[1]!.length)}<${prefix}Header>${first ?? ''}${last}</${prefix}Header>${gaps[1]}${tail.trimStart()}`;
      } else if (header === 'empty') {
        text = `${open}<${prefix}Header${gaps[2]}/>${tail}`;
        expected = `${open}<${prefix}Header>${first ?? ''}${last}</${prefix}Header>${tail}`;
      } else {
        text = `${open}<${prefix}Header>${header.map((c) => c + gaps[2]).join('')}</${prefix}Header>${tail}`;
        const kept = header.map((c, i) => (remove[i] ? '' : c) + gaps[2]).join('');
        expected = `${open}<${prefix}Header>${first ?? ''}${kept}${last}</${prefix}Header>${tail}`;
      }
      const raw = Buffer.from(text);
      const s = headerBlockSlices(raw, { first, last }, (i) => !!remove[i]);
      expect(s.join().toString()).toBe(expected);
      // every byte of the message that stays is a view of it: the new blocks are the only new memory
      const viewed = s.pieces.filter((p) => viewOf(p, raw)).reduce((n, p) => n + p.length, 0);
      const added = Buffer.byteLength((first ?? '') + last);
      expect(viewed).toBeGreaterThanOrEqual(s.length - added - Buffer.byteLength(`<${prefix}Header></${prefix}Header>`));
      expect(viewOf(s.pieces.at(-1)!, raw)).toBe(true);
    }));
  });
});

describe('a body cut into the store\'s chunks', () => {
  test('chunks of the given size (the last shorter) that join to the input, each a view wherever it lies in one input slice', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), { maxLength: 10 }), fc.integer({ min: 1, max: 64 }), async (ps, size) => {
      const out: Buffer[] = [];
      for await (const c of rechunk(ps, size)) out.push(c);
      const whole = Buffer.concat(ps);
      expect(Buffer.concat(out).equals(whole)).toBe(true);
      out.slice(0, -1).forEach((c) => expect(c.length).toBe(size));
      if (out.length) expect(out.at(-1)!.length).toBeGreaterThan(0);
      // a chunk that starts and ends inside one input is that input's memory
      let at = 0;
      const starts = ps.map((p) => { const s = at; at += p.length; return s; });
      out.reduce((offset, c) => {
        const i = starts.findIndex((s, k) => offset >= s && offset + c.length <= s + ps[k]!.length && ps[k]!.length > 0);
        if (i >= 0) expect(viewOf(c, ps[i]!)).toBe(true);
        return offset + c.length;
      }, 0);
    }));
  });
});
