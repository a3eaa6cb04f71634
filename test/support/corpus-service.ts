import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadBundle } from '../../src/registry/bundle';
import { readWsdlModel, qkey } from '../../src/registry/wsdl-model';
import type { Service } from '../../src/registry/load';
import { CORPUS, wsdlFiles } from './paths';

/** what an operator writes in service.yaml `locations:` for these bundles (FNS imports XOP by its namespace URL) */
export const CORPUS_LOCATIONS: Record<string, Record<string, string>> = {
  'fns-inn-sid0003450': { 'http://www.w3.org/2004/08/xop/include': 'smev/xop-include.xsd' },
};

/** A Service over a bundle folder and one of its WSDLs, every operation synchronous, an HTTP adapter that is never called. */
export function bundleService(root: string, wsdl: string, sid: string, locations: Record<string, string> = {}): Service {
  const bundle = loadBundle(root, wsdl, locations);
  const model = readWsdlModel(bundle);
  const operations = model.operations.map((o) => ({ ...o, mode: 'sync' as const }));
  return {
    sid, dir: root, bundle, wsdl: model, operations,
    byInput: new Map(operations.filter((o) => o.input).map((o) => [qkey(o.input!), o])),
    def: { sid, service: { mnemonic: 'TEST', version: '1.00' }, provider: { mnemonic: 'TEST01001', name: 'Test' }, locations, operations: {}, adapter: { type: 'http', url: 'http://x.invalid/' } },
  } as unknown as Service;
}

/** Every WSDL of every corpus bundle folder, as { bundle folder, root, wsdl relative to it }. */
export function corpusBundles(): { bundle: string; root: string; wsdl: string }[] {
  const servicesRoot = join(CORPUS, 'services');
  return readdirSync(servicesRoot).sort().flatMap((b) => wsdlFiles(join(servicesRoot, b)).sort().map((w) => ({ bundle: b, root: join(servicesRoot, b), wsdl: relative(join(servicesRoot, b), w) })));
}
