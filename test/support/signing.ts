import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startGateway, runCli, post, type GatewayProcess } from './gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './registry';
import { ROOT } from './paths';
import { loadXml } from '../../src/xml/libxml';
import { KeyStore } from '../../src/signature/identity';
import { signEnvelope, type Signer } from '../../src/signature/sign';
import { ACTOR } from '../../src/envelope/ns';

export const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
export const faultstring = (xml: string) => /<faultstring>([\s\S]*?)<\/faultstring>/.exec(xml)?.[1];
/** `SMEV-100003`, `GW-3003`, ... or `ok` for an answer that is not a fault. */
export const codeOf = (xml: string) => {
  const f = faultstring(xml);
  return f === undefined ? 'ok' : /^([A-Z]+-\d+):/.exec(f)?.[1] ?? f;
};

/**
 * One gateway for the signature tests, with fresh keys on every run (the demo CA and the demo
 * systems' keys are made at its first start in a new folder), and an RSA system, RSAT01001,
 * whose certificate that CA issues after the start:
 * - SID0610001: signature enforce, default algorithms, control off (signature alone is judged);
 * - SID0610002: signature enforce, signatureAlgorithms rsa-sha1, rsa-sha256, gost2012-256;
 * - SID0610003: signature enforce and control enforce (the replay guard runs under control);
 * - SID0610004: signature report, control enforce;
 * - SID0610005: signature enforce, attachments enforce with every file signed.
 * Every SID answers from an emulated case, signed by ECHO01001.
 */
export interface SigningBench {
  gw: GatewayProcess;
  registry: string;
  systems: string;
  work: string;
  /** an envelope of the echo service from `sender`, with a fresh AppData text and today's Date */
  request(sender?: string, text?: string): string;
  /** signs as a system of the bench (its key and certificate from the gateway's demo CA) */
  sign(xml: string, as?: string, o?: { digestUri?: string; signatureUri?: string }): string;
  signer(as: string): Signer;
  /** POST to a SID; `codeOf` the answer */
  call(sid: string, body: string | Buffer, headers?: Record<string, string>): Promise<{ status: number; text: string }>;
  /** the same envelope judged by `smev2-gateway verify --sid SID`: its fault code, or ok */
  verifyCli(sid: string, body: string | Buffer): Promise<{ code: string; out: string }>;
  stop(): Promise<void>;
}

export async function startSigningBench(extraArgs: string[] = []): Promise<SigningBench> {
  await loadXml();
  const work = mkdtempSync(join(tmpdir(), 'smev2-signing-'));
  const systems = join(work, 'systems');
  mkdirSync(systems);
  cpSync(join(ROOT, 'systems', 'MINZ01001.yaml'), join(systems, 'MINZ01001.yaml'));
  writeFileSync(join(systems, 'ECHO01001.yaml'), 'mnemonic: ECHO01001\nname: Эхо\nissuers: ["@keys/demo-ca.pem"]\ndemo: true\n');
  writeFileSync(join(systems, 'RSAT01001.yaml'), 'mnemonic: RSAT01001\nname: Тест RSA\nissuers: ["@keys/demo-ca.pem"]\ngrants: "*"\n');
  const sid = (n: string, extra: Record<string, unknown>) => ({
    bundle: ECHO_BUNDLE,
    def: { ...echoDefinition(n, { type: 'emulator', cases: 'cases' }), signature: 'enforce', dateSkewSeconds: 0, ...extra },
  });
  const registry = makeRegistry([
    sid('SID0610001', {}),
    sid('SID0610002', { signatureAlgorithms: ['rsa-sha1', 'rsa-sha256', 'gost2012-256'] }),
    sid('SID0610003', { control: 'enforce' }),
    sid('SID0610004', { control: 'enforce', signature: 'report' }),
    sid('SID0610005', { attachments: { policy: 'enforce', requireSignatures: true } }),
  ]);
  for (const n of ['SID0610001', 'SID0610002', 'SID0610003', 'SID0610004', 'SID0610005']) {
    mkdirSync(join(registry, n, 'cases', 'any'), { recursive: true });
    writeFileSync(join(registry, n, 'cases', 'any', 'case.yaml'), 'match: {}\n');
    writeFileSync(join(registry, n, 'cases', 'any', 'answer.xml'), ANSWER);
  }
  const gw = await startGateway({ services: registry, args: ['--systems', systems, ...extraArgs] });
  const keys = new KeyStore(gw.keys);
  const rsa = new KeyStore(join(work, 'rsa'));
  rsa.ensureIssued('RSAT01001', 'demo-ca', 'rsa', { CN: 'RSAT01001' }, keys);
  const signer = (as: string) => {
    const s = (as === 'RSAT01001' ? rsa : keys).signer(as);
    if (!s) throw new Error(`no key for ${as}`);
    return s;
  };
  const bench: SigningBench = {
    gw, registry, systems, work, signer,
    request(sender = 'MINZ01001', text = `Привет ${randomUUID()}`) {
      return REQUEST.replace(/MINZ01001/g, sender)
        .replace(/<smev:Date>[^<]*<\/smev:Date>/, `<smev:Date>${new Date().toISOString()}</smev:Date>`)
        .replace(/<e:Text>[^<]*<\/e:Text>/, `<e:Text>${text}</e:Text>`);
    },
    sign(xml, as = 'MINZ01001', o = {}) {
      const s = signer(as);
      return signEnvelope(Buffer.from(xml), ACTOR.smev, { ...s, ...o }, { header: false }).toString('utf8');
    },
    call: (n, body, headers) => post(`${gw.url}/gateway/services/${n}`, body, headers),
    async verifyCli(n, body) {
      const file = join(work, `${randomUUID()}.xml`);
      writeFileSync(file, body);
      const r = await runCli(['verify', file, '--sid', n, '--services', registry, '--systems', systems, '--keys', gw.keys]);
      const fault = /^fault: ([A-Z]+-\d+|[^\n]*)/m.exec(r.stdout)?.[1]?.replace(/:.*$/, '');
      if (r.code === 0) return { code: 'ok', out: r.stdout };
      return { code: fault ?? `exit ${r.code}: ${r.stderr}`, out: r.stdout + r.stderr };
    },
    async stop() {
      await gw.stop();
    },
  };
  return bench;
}
