import type { Logger } from 'pino';
import { KeyStore } from './identity';
import { readSystems, TrustStore } from './trust';

export const DEMO_CA = 'demo-ca';
export const NODE_KEY = 'node';

/**
 * Keys on first start: the demo CA, the node's key and certificate, and a key for each system
 * marked `demo: true` (all GOST R 34.10-2012-256), unless they exist. Then the trust store.
 */
export function bootstrapTrust(keysDir: string, systemsDir: string, log: Logger): { keys: KeyStore; trust: TrustStore } {
  const keys = new KeyStore(keysDir);
  const demo = readSystems(systemsDir).filter((s) => s.demo);
  const made: string[] = [];
  if (keys.ensureCa(DEMO_CA, 'gost2012-256', { CN: 'smev2-gateway demo CA', O: 'smev2-gateway' })) made.push(DEMO_CA);
  if (keys.ensureIssued(NODE_KEY, DEMO_CA, 'gost2012-256', { CN: 'SMEV 2 node 00', O: 'smev2-gateway' })) made.push(NODE_KEY);
  for (const s of demo) if (keys.ensureIssued(s.mnemonic, DEMO_CA, 'gost2012-256', { CN: s.mnemonic, O: s.name })) made.push(s.mnemonic);
  if (made.length) log.info({ keysDir, created: made }, 'created demo keys and certificates (GOST R 34.10-2012-256)');
  return { keys, trust: TrustStore.load(systemsDir, keysDir) };
}
