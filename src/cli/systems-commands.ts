import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { parseDocument, YAMLSeq } from 'yaml';
import { loadConfig, type Flags } from '../config';
import { newApiKey, readSystems } from '../signature/trust';

export const SYSTEMS_USAGE = `  smev2-gateway systems api-key MNEMONIC [--systems DIR] [--note TEXT]
                a new REST API key for the system (docs/rest.md): printed once, its SHA-256 added to systems/MNEMONIC.yaml
`;

/** systems api-key MNEMONIC: a new key, its hash written into the system's file (comments kept), the key printed once. */
export async function systemsCommand(sub: string | undefined, mnemonic: string | undefined, flags: Flags & { note?: string }): Promise<number> {
  if (sub !== 'api-key' || !mnemonic) {
    process.stderr.write(`usage:\n${SYSTEMS_USAGE}`);
    return 2;
  }
  const config = loadConfig(flags);
  const systems = readSystems(config.systemsDir);
  const s = systems.find((x) => x.mnemonic === mnemonic);
  if (!s) {
    process.stderr.write(`no system ${mnemonic} in ${config.systemsDir} (it has: ${systems.map((x) => x.mnemonic).join(', ') || 'none'}); register it first (systems/${mnemonic}.yaml)\n`);
    return 1;
  }
  const doc = parseDocument(readFileSync(s.file, 'utf8'));
  const { key, sha256 } = newApiKey();
  const entry = { sha256, created: new Date().toISOString(), ...(flags.note ? { note: flags.note } : {}) };
  const keys = doc.get('apiKeys');
  if (keys instanceof YAMLSeq) keys.add(doc.createNode(entry));
  else doc.set('apiKeys', doc.createNode([entry]));
  // written beside and renamed: a reader (the gateway's watcher) never sees half a file
  const tmp = `${s.file}.tmp-${process.pid}`;
  writeFileSync(tmp, doc.toString());
  renameSync(tmp, s.file);
  process.stderr.write(`a new API key of ${mnemonic}; its SHA-256 is in ${s.file}. The key is shown this once: keep it now.\n` +
    `A running gateway takes it on its next reload (POST /admin/services/reload, or at once when it watches the registry).\n`);
  process.stdout.write(`${key}\n`);
  return 0;
}
