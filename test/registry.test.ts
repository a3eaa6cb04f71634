import { writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startGateway } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';

const emulator = { type: 'emulator', cases: 'cases' };

function brokenRegistry(): string {
  const dir = makeRegistry([
    { bundle: ECHO_BUNDLE, def: echoDefinition('SID0300001', { type: 'http', url: 'http://127.0.0.1:9/x' }) },
    { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0300002', emulator), contour: 'staging', operations: { Echo: { mode: 'later' }, Missing: { mode: 'sync' } } } },
    { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID03', { type: 'http', url: 'not a url' }), provider: { mnemonic: 'X' } } },
  ]);
  mkdirSync(join(dir, 'SID0300002', 'cases'));
  // a bundle whose schema import is broken XML
  const bad = join(dir, 'SID0300004');
  mkdirSync(bad);
  writeFileSync(join(bad, 'service.yaml'), 'sid: SID0300004\nservice: {mnemonic: A, version: "1"}\nprovider: {mnemonic: B, name: C}\nadapter: {type: emulator}\n');
  writeFileSync(join(bad, 'a.wsdl'), '<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"><types><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include schemaLocation="../../etc/passwd"/></xs:schema></types>');
  // not YAML at all
  mkdirSync(join(dir, 'SID0300005'));
  writeFileSync(join(dir, 'SID0300005', 'service.yaml'), 'sid: [unclosed\n');
  return dir;
}

describe('the registry is data, checked on load', () => {
  test('services check names file, field and reason for every problem', async () => {
    const dir = brokenRegistry();
    const res = await runCli(['services', 'check', dir]);
    expect(res.code).toBe(1);
    const out = res.stdout;
    expect(out).toMatch(/^ok {6}SID0300001 {2}1 operation\(s\), 2 file\(s\)/m);
    expect(out).toMatch(/error {3}.*SID0300002\/service\.yaml: contour: Invalid option: expected one of "test"\|"productive"/);
    expect(out).toMatch(/error {3}.*SID0300002\/service\.yaml: operations\.Echo\.mode: Invalid option/);
    expect(out).toMatch(/error {3}.*SID03\/service\.yaml: sid: must be SID followed by 7 digits/);
    expect(out).toMatch(/error {3}.*SID03\/service\.yaml: provider\.name: /);
    expect(out).toMatch(/error {3}.*SID03\/service\.yaml: adapter\.url: Invalid URL/);
    expect(out).toMatch(/error {3}.*SID0300004\/a\.wsdl: not well-formed XML: line 1: /);
    expect(out).toMatch(/error {3}.*SID0300005\/service\.yaml: not valid YAML/);
    expect(out).toMatch(/1 service\(s\) ok, \d+ error\(s\)/);
  });

  test('an operation the WSDL lacks is an error; a missing cases folder a warning (the SID answers samples from the XSD)', async () => {
    const dir = makeRegistry([{ bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0300006', emulator), operations: { Nope: { mode: 'sync' } } } }]);
    const res = await runCli(['services', 'check', dir]);
    expect(res.stdout).toMatch(/SID0300006\/service\.yaml: operations\.Nope: the WSDL has no operation Nope \(it has: Echo\)/);
    expect(res.stdout).toMatch(/warning .*SID0300006\/service\.yaml: adapter\.cases: folder .*SID0300006\/cases does not exist: every operation answers a sample generated from the XSD/);
  });

  test('an import that leaves the SID folder is an error, a remote one a warning', async () => {
    const dir = makeRegistry([{ bundle: ECHO_BUNDLE, def: echoDefinition('SID0300007', { type: 'http', url: 'http://127.0.0.1:9/' }) }]);
    writeFileSync(join(dir, 'SID0300007', 'xsd', 'echo.xsd'), '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:test:echo"><xs:import namespace="urn:x" schemaLocation="http://smev.gosuslugi.ru/old/x.xsd"/><xs:include schemaLocation="../../../outside.xsd"/></xs:schema>');
    const res = await runCli(['services', 'check', dir]);
    expect(res.stdout).toMatch(/SID0300007\/xsd\/echo\.xsd: imports http:\/\/smev\.gosuslugi\.ru\/old\/x\.xsd, which the folder does not hold: served as it is/);
    expect(res.stdout).toMatch(/xsd\/echo\.xsd: import \.\.\/\.\.\/\.\.\/outside\.xsd points outside the SID folder/);
  });

  test('the gateway refuses to start on a broken registry, and says how to go on', async () => {
    const dir = brokenRegistry();
    await expect(startGateway({ services: dir })).rejects.toThrow(/gateway exited with 1:[\s\S]*the service registry is broken[\s\S]*--skip-broken/);
  });

  test('--skip-broken serves the good SIDs and logs the broken ones', async () => {
    const gw = await startGateway({ services: brokenRegistry(), args: ['--skip-broken'] });
    try {
      expect((await fetch(`${gw.url}/gateway/services/SID0300001?wsdl`)).status).toBe(200);
      expect((await fetch(`${gw.url}/gateway/services/SID0300002?wsdl`)).status).toBe(404);
      expect(gw.logs()).toMatch(/"msg":"broken service skipped"/);
    } finally {
      await gw.stop();
    }
  });

  test('services list shows each SID with its operations and modes', async () => {
    const res = await runCli(['services', 'list', '--services', brokenRegistry()]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^SID +VERSION +SERVICE +PROVIDER +CONTOUR +ADAPTER +DELIVERY +OPERATIONS$/m);
    expect(res.stdout).toMatch(/^SID0300001 +1\.00 +ECHO +ECHO01001 +test +http +direct +Echo:sync$/m);
    expect(res.stdout).toMatch(/broken \(not served\):/);
  });

  test('a missing services folder is an error that names it', async () => {
    const dir = makeRegistry([]);
    rmSync(dir, { recursive: true });
    const res = await runCli(['services', 'check', dir]);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(`${dir}: the services folder does not exist`);
  });
});
