import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ROOT } from './paths';

/** A throw-away registry folder: each entry copies a bundle and writes its service.yaml. */
export function makeRegistry(entries: { bundle: string; def: Record<string, unknown>; extra?: Record<string, string> }[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'smev2-registry-'));
  for (const e of entries) {
    const sidDir = join(dir, String(e.def.sid));
    cpSync(e.bundle, sidDir, { recursive: true });
    writeFileSync(join(sidDir, 'service.yaml'), stringify(e.def));
    for (const [name, text] of Object.entries(e.extra ?? {})) writeFileSync(join(sidDir, name), text);
  }
  return dir;
}

export const ECHO_BUNDLE = join(ROOT, 'test', 'data', 'echo');

export function echoDefinition(sid: string, adapter: Record<string, unknown>): Record<string, unknown> {
  return {
    sid,
    service: { mnemonic: 'ECHO', version: '1.00' },
    provider: { mnemonic: 'ECHO01001', name: 'Эхо' },
    wsdl: 'Echo.wsdl',
    // transport tests send unsigned, unregistered messages; signature and control tests set their own policies
    signature: 'off',
    control: 'off',
    adapter,
  };
}
