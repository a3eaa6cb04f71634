import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { describeIssues } from '../yaml-error';
import { parseCertificate, nameToString, type Certificate } from './x509';
import { verifyCertificateSignature } from './certs';

/** systems/<MNEMONIC>.yaml: an information system and how to recognise its certificates. */
const systemSchema = z.strictObject({
  mnemonic: z.string().min(1),
  name: z.string().min(1),
  /** pinned certificates (PEM or DER files, relative to the file) */
  certificates: z.array(z.string()).default([]),
  /** CAs whose certificates for this system are trusted */
  issuers: z.array(z.string()).default([]),
  /** with issuers: subject attribute values that mark the system's certificates (default: the mnemonic) */
  subjectMatches: z.array(z.string()).optional(),
  /** access rights: SID -> the operations this system may call ("*": all), or "*" for every SID */
  grants: z.union([z.literal('*'), z.record(z.string().regex(/^SID\d{7}$/, 'a SID'), z.union([z.literal('*'), z.array(z.string())]))]).default({}),
  /** guaranteed delivery: answers are also delivered (signed by the node) to this address */
  callback: z.url({ protocol: /^https?$/ }).optional(),
  /** the system's own subscriptions to events about its messages */
  subscriptions: z.array(z.strictObject({ url: z.url({ protocol: /^https?$/ }), events: z.array(z.string()).min(1) })).default([]),
  /** the gateway makes this system a key and a certificate from its demo CA (in the keys folder) */
  demo: z.boolean().default(false),
  /** keys of the REST façade (/api/v1, docs/rest.md): SHA-256 of each, never the key (`systems api-key` adds one) */
  apiKeys: z.array(z.strictObject({
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'the hex SHA-256 of the key (64 characters 0-9a-f)'),
    created: z.string().optional(),
    note: z.string().optional(),
  })).default([]),
});

export type SystemDefinition = z.infer<typeof systemSchema> & { file: string };

/** Read every systems/<MNEMONIC>.yaml; throws TrustError listing every problem. */
export function readSystems(dir: string): SystemDefinition[] {
  if (!existsSync(dir)) return [];
  const problems: string[] = [];
  const out: SystemDefinition[] = [];
  for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const file = join(dir, f);
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(file, 'utf8'));
    } catch (e) {
      problems.push(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    const parsed = systemSchema.safeParse(raw);
    if (!parsed.success) problems.push(...describeIssues(parsed.error).map((l) => `${file}: ${l}`));
    else out.push({ ...parsed.data, file });
  }
  if (problems.length) throw new TrustError(`the systems registry is broken:\n${problems.join('\n')}`);
  return out;
}

export interface TrustedSystem {
  mnemonic: string;
  name: string;
  pinned: Certificate[];
  issuers: Certificate[];
  subjectMatches: string[];
  grants: SystemDefinition['grants'];
  callback?: string;
  subscriptions: SystemDefinition['subscriptions'];
  /** SHA-256 of its REST API keys */
  apiKeys: Buffer[];
  file: string;
}

/**
 * A new REST API key: 32 random bytes, base64url, with a prefix that says what it is. It is random,
 * so a plain SHA-256 of it is a safe hash to keep (nothing to guess from it, no dictionary to run),
 * and one hash per request costs nothing; a password hash (scrypt) is for what people choose.
 */
export function newApiKey(): { key: string; sha256: string } {
  const key = `smev2_${randomBytes(32).toString('base64url')}`;
  return { key, sha256: apiKeyHash(key).toString('hex') };
}

export function apiKeyHash(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export type Access = 'granted' | 'noService' | 'noOperation';

export type TrustVerdict =
  | { ok: true; system: TrustedSystem }
  | { ok: false; code: 'untrusted' | 'expired' | 'notYetValid' | 'senderMismatch'; reason: string };

export class TrustError extends Error {}

/** The registry of information systems: who may send, and with which certificates. */
export class TrustStore {
  readonly systems = new Map<string, TrustedSystem>();

  /** Take the systems of a freshly loaded store (a reload): the stages holding this one see them at once. */
  replaceWith(other: TrustStore): void {
    this.systems.clear();
    for (const [k, v] of other.systems) this.systems.set(k, v);
  }

  /** `@keys/<file>` in a system's lists names a file of the gateway's keys folder. */
  static load(dir: string, keysDir: string, opts: { skipUnreadable?: (problem: string) => void } = {}): TrustStore {
    const store = new TrustStore();
    const problems: string[] = [];
    for (const s of readSystems(dir)) {
      const read = (p: string) => {
        const path = p.startsWith('@keys/') ? join(keysDir, p.slice(6)) : resolve(dir, p);
        try {
          return parseCertificate(readFileSync(path));
        } catch (e) {
          problems.push(`${s.file}: ${p}: ${(e as Error).message}`);
          return undefined;
        }
      };
      store.systems.set(s.mnemonic, {
        mnemonic: s.mnemonic,
        name: s.name,
        pinned: s.certificates.map(read).filter((c): c is Certificate => !!c),
        issuers: s.issuers.map(read).filter((c): c is Certificate => !!c),
        subjectMatches: s.subjectMatches ?? [s.mnemonic],
        grants: s.grants,
        callback: s.callback,
        subscriptions: s.subscriptions,
        apiKeys: s.apiKeys.map((k) => Buffer.from(k.sha256, 'hex')),
        file: s.file,
      });
    }
    if (problems.length && opts.skipUnreadable) problems.forEach(opts.skipUnreadable);
    else if (problems.length) throw new TrustError(`the systems registry is broken:\n${problems.join('\n')}`);
    return store;
  }

  /**
   * Is `cert` a valid certificate of the system `sender` at time `at`? Pinned certificates match by
   * their bytes; otherwise the certificate must be signed by one of the system's issuers and name
   * the system in its subject.
   */
  judge(cert: Certificate, sender: string | undefined, at: Date): TrustVerdict {
    const owner = [...this.systems.values()].find((s) => this.belongs(cert, s));
    if (!owner) return { ok: false, code: 'untrusted', reason: `certificate ${nameToString(cert.subject)} (serial ${cert.serial}) is not trusted for any registered system` };
    if (sender !== undefined && owner.mnemonic !== sender) {
      return { ok: false, code: 'senderMismatch', reason: `the certificate belongs to ${owner.mnemonic}, but the message's Sender is ${sender}` };
    }
    if (at < cert.notBefore) return { ok: false, code: 'notYetValid', reason: `the certificate is valid from ${cert.notBefore.toISOString()}` };
    if (at > cert.notAfter) return { ok: false, code: 'expired', reason: `the certificate expired on ${cert.notAfter.toISOString()}` };
    return { ok: true, system: owner };
  }

  /** The system a REST API key belongs to (its SHA-256 compared in constant time with each kept one). */
  byApiKey(key: string): TrustedSystem | undefined {
    const h = apiKeyHash(key);
    let found: TrustedSystem | undefined;
    for (const s of this.systems.values()) for (const k of s.apiKeys) if (timingSafeEqual(k, h)) found = s;
    return found;
  }

  /** May `sender` call `operation` of `sid`? (The node's "No policies found" for a SID it may not use.) */
  access(sender: string | undefined, sid: string, operation: string): Access {
    const s = sender ? this.systems.get(sender) : undefined;
    if (!s) return 'noService';
    if (s.grants === '*') return 'granted';
    const ops = s.grants[sid];
    if (!ops) return 'noService';
    return ops === '*' || ops.includes(operation) ? 'granted' : 'noOperation';
  }

  private belongs(cert: Certificate, s: TrustedSystem): boolean {
    if (s.pinned.some((p) => p.der.equals(cert.der))) return true;
    if (!s.subjectMatches.some((m) => cert.subject.some((a) => a.value === m))) return false;
    return s.issuers.some((ca) => verifyCertificateSignature(cert, ca));
  }
}
