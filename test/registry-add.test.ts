import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CORPUS, ROOT, corpusAvailable } from './support/paths';
import { post, runCli, startGateway, type GatewayProcess, runBash } from './support/gateway';

/**
 * Registering a SID as a new user does (issue 14): the README's own commands against the corpus
 * bundle they name (read from ../shared, never copied into the project), operation modes
 * inferred from the WSDL, imports held by namespace mapped into `locations:`, an unknown provider
 * warned about, other broken SIDs not blamed on the new one, a YAML error that says the whole of
 * it, and the demo registry copied elsewhere still answering from the bundled fixtures while an
 * emulated SID without cases is flagged by `services check` and shown as up, answering samples
 * generated from its XSD (test/emulator-sample.test.ts calls it).
 */
const available = corpusAvailable(); // under CI=true a missing corpus fails here
const FNS = join(CORPUS, 'services', 'fns-inn-sid0003450');
const work = mkdtempSync(join(tmpdir(), 'smev2-registry-add-'));
// the emulated demo SIDs (the demo manual provider, SID0009001, has no cases: docs/cabinet.md)
const DEMO_SIDS = readdirSync(join(ROOT, 'wsdl')).filter((d) => /^SID\d{7}$/.test(d) && /\nadapter:\n +type: emulator\n/.test(readFileSync(join(ROOT, 'wsdl', d, 'service.yaml'), 'utf8'))).sort();

afterAll(() => rmSync(work, { recursive: true, force: true }));

const bash = runBash;

/** A fenced block of the README section `heading`: the n-th of its language. */
function readmeBlock(heading: string, lang: string, n = 0): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start + 1, readme.indexOf('\n## ', start + 1));
  const blocks = [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
  expect(blocks.length).toBeGreaterThan(n);
  return blocks[n];
}

/** A copy of the project's demo registry in another folder, as `--services` would point at. */
function demoCopy(name: string): string {
  const dir = join(work, name, 'registry');
  mkdirSync(dir, { recursive: true });
  for (const sid of DEMO_SIDS) cpSync(join(ROOT, 'wsdl', sid), join(dir, sid), { recursive: true });
  return dir;
}

(available ? describe : describe.skip)("README's \"Registering a SID\", run as written against the corpus bundle", () => {
  let home: string;
  let registry: string;
  let run: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    // ~/Downloads/fns-inn-sid0003450 is the corpus bundle itself (a link, not a copy), in a HOME of the test's own
    home = join(work, 'home');
    mkdirSync(join(home, 'Downloads'), { recursive: true });
    symlinkSync(FNS, join(home, 'Downloads', 'fns-inn-sid0003450'));
    registry = demoCopy('readme'); // the demo SIDs beside it, as in a fresh clone's wsdl/
    run = await bash(`set -euo pipefail\n${readmeBlock('Registering a SID', 'sh')}`, { HOME: home, SMEV2_SERVICES: registry, npm_config_update_notifier: 'false', npm_config_cache: join(process.env.HOME ?? work, '.npm') });
  }, 120_000);

  test('the commands succeed, and say what they inferred', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`registered SID0003450 in ${join(registry, 'SID0003450')}`);
    expect(run.stdout).toMatch(/^ {2}queryINNFLGR +async-send +a send\/get pair: queryINNFLGR sends .*getINNFLGR polls/m);
    expect(run.stdout).toMatch(/^ {2}getINNFLGR +async-get /m);
    expect(run.stdout).toMatch(/^ {2}queryINNFL +sync +no send\/get partner/m);
    expect(run.stdout).toContain('locations: http://www.w3.org/2004/08/xop/include → smev/xop-include.xsd');
    expect(run.stdout).toMatch(/^ok {6}SID0003450 {2}4 operation\(s\)/m); // services check
    expect(run.stdout).not.toMatch(/imports http:\/\/www\.w3\.org\/2004\/08\/xop\/include, which the folder does not hold/);
    // the bundle was reached through a link: the registry holds a copy, and the corpus was not written into
    expect(existsSync(join(FNS, 'service.yaml'))).toBe(false);
  });

  test("the README's service.yaml is the one add wrote (mnemonic, operations, locations, adapter)", () => {
    const written = parseYaml(readFileSync(join(registry, 'SID0003450', 'service.yaml'), 'utf8'));
    const documented = parseYaml(readmeBlock('Registering a SID', 'yaml'));
    expect(written).toEqual(documented);
  });

  test('without --wsdl, add names the candidate WSDLs and --wsdl, and writes nothing', async () => {
    const reg = join(work, 'no-wsdl');
    const res = await runCli(['services', 'add', FNS, '--sid', 'SID0003451', '--services', reg]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('holds several WSDLs that no other imports: inn.wsdl, smev/v_2_4/FNSINNSvc.wsdl');
    expect(res.stderr).toContain('Choose the one to serve with --wsdl');
    expect(existsSync(join(reg, 'SID0003451'))).toBe(false);
  });

  test('the load-time warning about an unmapped import gives the locations: line to add', async () => {
    const reg = join(work, 'unmapped');
    const res = await runCli(['services', 'add', FNS, '--sid', 'SID0003452', '--wsdl', 'smev/v_2_4/FNSINNSvc.wsdl', '--provider', 'FNSR01001', '--services', reg]);
    expect(res.code).toBe(0);
    const file = join(reg, 'SID0003452', 'service.yaml');
    const def = parseYaml(readFileSync(file, 'utf8'));
    delete def.locations;
    writeFileSync(file, JSON.stringify(def));
    const check = await runCli(['services', 'check', reg]);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('imports http://www.w3.org/2004/08/xop/include, which the folder does not hold: served as it is. ' +
      `The folder holds its namespace http://www.w3.org/2004/08/xop/include in smev/xop-include.xsd: map it in ${file} under locations:, ` +
      'with the line   "http://www.w3.org/2004/08/xop/include": smev/xop-include.xsd');
  });
});

describe('services add infers operation modes and reports what it did', () => {
  test.each(DEMO_SIDS)('the demo bundle of %s gets the modes its hand-written service.yaml has', async (sid) => {
    const bundle = join(work, 'demo-bundles', sid);
    cpSync(join(ROOT, 'wsdl', sid), bundle, { recursive: true });
    rmSync(join(bundle, 'service.yaml'));
    const reg = join(work, 'demo-modes', sid);
    const res = await runCli(['services', 'add', bundle, '--sid', sid, '--services', reg, '--provider', 'PFRF01001']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const modes = (d: { operations: Record<string, { mode: string }> }) => Object.fromEntries(Object.entries(d.operations).map(([k, v]) => [k, v.mode]));
    const written = parseYaml(readFileSync(join(reg, sid, 'service.yaml'), 'utf8'));
    const handWritten = parseYaml(readFileSync(join(ROOT, 'wsdl', sid, 'service.yaml'), 'utf8'));
    expect(modes(written)).toEqual(modes(handWritten));
    for (const [op, mode] of Object.entries(modes(written))) expect(res.stdout).toMatch(new RegExp(`^ {2}${op} +${mode} +\\S`, 'm'));
  });

  test('a provider missing from systems/ is warned about, naming the file to add', async () => {
    const reg = join(work, 'unknown-provider');
    const res = await runCli(['services', 'add', join(ROOT, 'wsdl', 'SID0003623'), '--sid', 'SID0400001', '--services', reg, '--provider', 'XXXX01001']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`warning provider XXXX01001 is not in the registry of systems (${join(ROOT, 'systems', 'XXXX01001.yaml')} does not exist)`);
    expect(res.stdout).toContain('Add systems/XXXX01001.yaml');
    const placeholder = await runCli(['services', 'add', join(ROOT, 'wsdl', 'SID0003623'), '--sid', 'SID0400002', '--services', reg]);
    expect(placeholder.stdout).toContain('warning provider PROV01001 (the placeholder: pass --provider MNEMONIC) is not in the registry of systems');
  });

  test('another broken SID of the registry is reported apart; the new SID decides the exit code', async () => {
    const reg = join(work, 'other-broken');
    mkdirSync(join(reg, 'SID0400009'), { recursive: true });
    writeFileSync(join(reg, 'SID0400009', 'service.yaml'), 'sid: SID0400009\nservice: {mnemonic: A, version: "1"}\n');
    const res = await runCli(['services', 'add', join(ROOT, 'wsdl', 'SID0003623'), '--sid', 'SID0400003', '--services', reg, '--provider', 'PFRF01001']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/SID0400003 ok: 1 operation\(s\)/);
    expect(res.stdout).toMatch(/other SIDs of .* are broken \(not by this registration[^\n]*\nerror {3}.*SID0400009\/service\.yaml: provider: /);
    expect((await runCli(['services', 'check', reg])).code).toBe(1); // the registry as a whole is still broken
  });

  test('a YAML error names the file, the line and what the line reads, and does not end mid-sentence', async () => {
    const reg = join(work, 'bad-yaml');
    cpSync(join(ROOT, 'wsdl', 'SID0003623'), join(reg, 'SID0003623'), { recursive: true });
    writeFileSync(join(reg, 'SID0003623', 'service.yaml'), 'sid: SID0003623\nservice: {mnemonic: A, version: "1"}\nprovider:\n  mnemonic: [PFRF01001\nadapter: {type: emulator}\n');
    const res = await runCli(['services', 'check', reg]);
    expect(res.code).toBe(1);
    const line = res.stdout.split('\n').find((l) => l.includes('not valid YAML'))!;
    expect(line).toMatch(/SID0003623\/service\.yaml: not valid YAML: .+, at line 5, column 1, which reads "adapter: \{type: emulator\}" \(line 4: " {2}mnemonic: \[PFRF01001"\)$/);
    expect(line).not.toMatch(/:\s*$/);
  });
});

describe('the demo registry copied elsewhere', () => {
  let gw: GatewayProcess;
  let registry: string;
  let check: { code: number | null; stdout: string };

  beforeAll(async () => {
    registry = demoCopy('copied');
    // and an emulated SID registered with no cases yet
    const add = await runCli(['services', 'add', join(ROOT, 'wsdl', 'SID0003623'), '--sid', 'SID0400010', '--services', registry, '--provider', 'PFRF01001']);
    expect(add.code).toBe(0);
    check = await runCli(['services', 'check', registry]);
    gw = await startGateway({ services: registry });
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
  });

  test('services check: every demo SID ok, its cases found in the bundled fixtures, the SID without cases flagged', () => {
    expect(check.code).toBe(0);
    for (const sid of DEMO_SIDS) {
      expect(check.stdout).toMatch(new RegExp(`^ok {6}${sid} `, 'm'));
      expect(check.stdout).toContain(`${join(registry, sid, 'service.yaml')}: adapter.cases: ../../fixtures/${sid} is not beside this folder`);
      expect(check.stdout).toContain(`using the gateway's bundled ${join(ROOT, 'fixtures', sid)}`);
    }
    expect(check.stdout).toContain(`warning ${join(registry, 'SID0400010', 'service.yaml')}: adapter.cases: ${join(registry, 'SID0400010', 'emulator')} holds no case`);
  });

  test('a demo SID of the copy answers from the bundled fixtures', async () => {
    const res = await post(`${gw.url}/gateway/services/SID0003623`, readFileSync(join(ROOT, 'fixtures', 'SID0003623', 'found', 'request.xml')));
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<(\w+:)?Status>RESULT</);
    expect(res.text).toMatch(/КодВозврата>00</);
  });

  test('availability: the emulated SID without cases is up, answering samples from the XSD, and says so; the demo SIDs are up', async () => {
    type A = { sid: string; up: boolean; detail: string };
    let list: A[] = [];
    // the first check runs at start: wait until it has recorded every SID
    while (list.length < DEMO_SIDS.length + 1) {
      list = await (await fetch(`${gw.url}/gateway/availability`)).json() as A[];
      if (list.length < DEMO_SIDS.length + 1) await new Promise((r) => setTimeout(r, 100));
    }
    const by = Object.fromEntries(list.map((a) => [a.sid, a]));
    expect(by.SID0400010).toMatchObject({ up: true, detail: expect.stringContaining('without cases: answers samples generated from the XSD') });
    for (const sid of DEMO_SIDS) expect(by[sid]).toMatchObject({ up: true, detail: expect.stringMatching(/emulated provider \(in process\), \d+ case\(s\)/) });
  });
});
