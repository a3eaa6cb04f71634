import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAULTS, GatewayFault, renderFaultString } from '../src/faults/catalogue';
import { ROOT } from './support/paths';

describe('the fault catalogue', () => {
  test('docs/faults.md is generated from the catalogue and up to date', () => {
    expect(() => execFileSync(process.execPath, [join(ROOT, 'scripts', 'faults-doc.js'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  test('codes are unique and the real node texts are kept exactly', () => {
    const codes = Object.values(FAULTS).map((f) => f.code).filter(Boolean);
    expect(new Set(codes).size).toBe(codes.length);
    expect(renderFaultString(FAULTS.unknownService, { sid: 'SID0003623' })).toBe(
      'No policies found for service "SID0003623". Make sure the service is registered correctly and the gateway policies are up to date.');
    expect(renderFaultString(FAULTS.providerUnreachable, {})).toBe('Cannot perform client request');
  });

  test('every entry is triggered over HTTP by some test (GW-9000 only by a bug)', () => {
    const tests = readdirSync(join(ROOT, 'test')).filter((f) => f.endsWith('.test.ts') && f !== 'fault-catalogue.test.ts')
      .map((f) => readFileSync(join(ROOT, 'test', f), 'utf8')).join('\n');
    const untested = Object.entries(FAULTS)
      .filter(([name]) => name !== 'internal')
      .filter(([, f]) => !tests.includes(f.code ? `${f.code}:` : f.text.slice(0, 18)))
      .map(([name]) => name);
    expect(untested).toEqual([]);
  });

  test('a fault carries its spec and renders its parameters', () => {
    const f = new GatewayFault('tooLarge', { size: 10, limit: 5 });
    expect(f.faultstring).toBe('GW-1010: Message too large: 10 bytes, the limit is 5');
    expect(f.spec.http).toBe(413);
  });
});
