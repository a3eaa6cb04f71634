import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadXml } from '../xml/libxml';
import { readEnvelopeView } from '../envelope/parse';
import { ACTOR } from '../envelope/ns';
import { signEnvelope } from '../signature/sign';
import { KeyStore } from '../signature/identity';
import { TrustStore } from '../signature/trust';
import { findCases } from '../testkit/fixtures';
import { replayCases } from '../testkit/replay';
import type { RunOptions } from '../testkit/run';
import { Progress } from '../testkit/progress';
import { describeResult, summaryTable, totals } from '../testkit/report';
import { junitXml } from '../testkit/junit';
import { startRecorder } from '../testkit/record';

export const TESTKIT_USAGE = `  smev2-gateway replay [PATH...] --target URL [--sign-as MNEMONIC|sender] [--keys DIR] [--systems DIR]
                [--timeout S] [--poll-interval MS] [--concurrency N] [--junit FILE] [--fresh-dates] [--sid SID]
  smev2-gateway record --upstream URL [--sid SID] [--port N] [--host H] [--out DIR] [--record-faults]
`;

const REPLAY_HELP = `usage: smev2-gateway replay [PATH...] --target URL [options]

Sends each fixture case's request.xml (default PATH: fixtures), follows asynchronous chains (PING
until a final status), compares each answer with answer.xml (and accept.xml) structurally, and
exits 1 on any mismatch. See docs/fixtures.md.

  --target URL          a gateway (http://host:7777: posts to /gateway/services/<SID>), a URL with {SID},
                        or any other endpoint, taken as it is (a provider directly); default http://localhost:7777
  --sid SID             the SID of cases that are not in a fixtures/<SID>/ folder
  --sign-as M           sign every request as system M (actor smev); "sender": as each request's Sender
  --keys DIR            the keys of --sign-as, and the demo CA for --systems (default data/keys)
  --systems DIR         also judge the answer's sender certificate against this registry of systems
  --at ISO              the time certificates are judged at (default now)
  --timeout S           budget of one case, chain included (default 30)
  --poll-interval MS    pause before each PING (default 1000)
  --concurrency N       cases in flight at once (default 4)
  --max-diffs N         differences listed per file (default 20)
  --fresh-dates         set Message/Date to now in every request (for SIDs that check the date)
  --junit FILE          write JUnit XML (one testcase per case, classname = SID)
`;

const RECORD_HELP = `usage: smev2-gateway record --upstream URL [--sid SID] [--port N] [--host H] [--out DIR] [--record-faults]

A proxy: point a consumer at it; every POST is forwarded to the upstream, its answer returned
unchanged and the exchange written as fixtures/<SID>/recorded-NNN-<status>/. Stop with Ctrl-C.

  --upstream URL    a gateway's base URL (the request's path is kept) or a provider's endpoint
  --sid SID         the SID cases are filed under (default: from the path /gateway/services/<SID>)
  --port N          port to listen on (default 7788; 0: any free port)
  --host H          address to bind (default 127.0.0.1)
  --out DIR         the fixtures folder (default fixtures)
  --record-faults   also write exchanges answered with a SOAP fault (the emulator cannot play them)
`;

const num = (v: string | undefined, name: string, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${v}`);
  return n;
};

/** `replay` and `record`; argv starts with the command's name. */
export async function testkitCommand(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        target: { type: 'string' }, sid: { type: 'string' }, 'sign-as': { type: 'string' }, keys: { type: 'string' },
        systems: { type: 'string' }, at: { type: 'string' }, timeout: { type: 'string' }, 'poll-interval': { type: 'string' },
        concurrency: { type: 'string' }, 'max-diffs': { type: 'string' }, 'fresh-dates': { type: 'boolean' }, junit: { type: 'string' },
        upstream: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, out: { type: 'string' },
        'record-faults': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${cmd === 'record' ? RECORD_HELP : REPLAY_HELP}`);
    return 2;
  }
  const f = parsed.values;
  if (f.help) {
    process.stdout.write(cmd === 'record' ? RECORD_HELP : REPLAY_HELP);
    return 0;
  }
  try {
    return cmd === 'record' ? await record(f) : await replay(parsed.positionals, f);
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 1;
  }
}

type Flags = Record<string, string | boolean | undefined>;
const str = (f: Flags, k: string) => (typeof f[k] === 'string' ? (f[k] as string) : undefined);

async function replay(paths: string[], f: Flags): Promise<number> {
  await loadXml();
  const target = str(f, 'target') ?? 'http://localhost:7777';
  new URL(target.replace(/\{SID\}/g, 'SID')); // a URL, or a clear error
  const keysDir = resolve(str(f, 'keys') ?? 'data/keys');
  const o: RunOptions = {
    target,
    timeoutMs: num(str(f, 'timeout'), 'timeout', 30) * 1000,
    pollIntervalMs: num(str(f, 'poll-interval'), 'poll-interval', 1000),
    maxDifferences: Math.max(1, num(str(f, 'max-diffs'), 'max-diffs', 20)),
    freshDates: !!f['fresh-dates'],
  };
  const signAs = str(f, 'sign-as');
  if (signAs) {
    const keys = new KeyStore(keysDir);
    const signerOf = (who: string) => {
      const s = keys.signer(who);
      if (!s) throw new Error(`no key for ${who} in ${keysDir} (${who}.key and ${who}.pem): pass --keys, or make one with smev2-gateway keys system`);
      return s;
    };
    if (signAs !== 'sender') signerOf(signAs);
    o.sign = (bytes) => {
      const who = signAs === 'sender' ? readEnvelopeView(bytes).message?.sender?.code : signAs;
      if (!who) throw new Error('--sign-as sender: the request has no Sender/Code');
      return signEnvelope(bytes, ACTOR.smev, signerOf(who), { header: false });
    };
  }
  const systems = str(f, 'systems');
  if (systems) {
    const at = str(f, 'at') ? new Date(str(f, 'at')!) : new Date();
    if (Number.isNaN(at.getTime())) throw new Error(`--at must be an ISO date-time, got ${str(f, 'at')}`);
    const store = TrustStore.load(resolve(systems), keysDir, { skipUnreadable: (p) => process.stderr.write(`trust: skipped ${p}\n`) });
    o.trust = { store, at };
  }
  const cases = findCases(paths.length ? paths : ['fixtures'], str(f, 'sid'));
  if (!cases.length) throw new Error(`no fixture cases under ${(paths.length ? paths : ['fixtures']).join(', ')} (a case is a folder with request.xml)`);
  const t0 = performance.now();
  const progress = new Progress(process.stdout, cases.length);
  const results = await replayCases(cases, o, Math.max(1, Math.floor(num(str(f, 'concurrency'), 'concurrency', 4))), (r) => {
    if (r.outcome === 'failed' || r.outcome === 'error') progress.print(`${describeResult(r)}\n`);
    progress.tick(r.fixture.id);
  });
  progress.clear();
  const ms = performance.now() - t0;
  process.stdout.write(summaryTable(results, ms));
  const junit = str(f, 'junit');
  if (junit) {
    mkdirSync(dirname(resolve(junit)), { recursive: true });
    writeFileSync(junit, junitXml(results, ms));
    process.stdout.write(`JUnit XML: ${junit}\n`);
  }
  const t = totals(results);
  return t.failed || t.error ? 1 : 0;
}

async function record(f: Flags): Promise<number> {
  const upstream = str(f, 'upstream');
  if (!upstream) {
    process.stderr.write(RECORD_HELP);
    return 2;
  }
  new URL(upstream);
  await loadXml();
  const out = resolve(str(f, 'out') ?? 'fixtures');
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const recorder = await startRecorder({
    upstream, sid: str(f, 'sid'), port: num(str(f, 'port'), 'port', 7788), host: str(f, 'host') ?? '127.0.0.1',
    outDir: out, recordFaults: !!f['record-faults'], log,
  });
  log(`recording: ${recorder.url} → ${upstream}; cases go to ${out}/${str(f, 'sid') ?? '<SID>'}/ (Ctrl-C to stop)`);
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  await recorder.close();
  const open = recorder.writer.openChains();
  log(`stopped: ${recorder.writer.written - open.length} case(s) recorded${open.length ? `; ${open.length} chain(s) left without a final answer, kept apart and not cases (the emulator would otherwise answer with them): ${open.join(', ')}; move one into its SID folder to use its ACCEPT as the answer` : ''}`);
  return 0;
}
