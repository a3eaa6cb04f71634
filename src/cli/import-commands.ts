import { parseArgs } from 'node:util';
import { loadXml } from '../xml/libxml';
import { loadConfig } from '../config';
import { importSoapUI } from '../providers/emulator/soapui';

export const IMPORT_USAGE = `  smev2-gateway import soapui PROJECT.xml --sid SID [--sid SID2 | --sid SID,SID2] [--services DIR] [--mock NAME]
                a SoapUI project's MockServices as emulator cases (docs/emulator.md, "Importing a SoapUI project")
`;

/**
 * `import soapui`: its own options (several --sid). Prints what was imported, what was not and
 * why, and the warnings; exits 1 only on errors (the project unreadable, a SID unknown, a case
 * folder that exists, a case the emulator's loader refuses).
 */
export async function importCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv.slice(1), allowPositionals: true, options: { sid: { type: 'string', multiple: true }, services: { type: 'string' }, mock: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\nusage:\n${IMPORT_USAGE}`);
    return 2;
  }
  const [kind, project] = parsed.positionals;
  const sids = (parsed.values.sid ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (parsed.values.help || kind !== 'soapui' || !project || !sids.length) {
    process.stderr.write(`usage:\n${IMPORT_USAGE}`);
    return parsed.values.help ? 0 : 2;
  }
  await loadXml();
  const servicesDir = loadConfig({ services: parsed.values.services }).servicesDir;
  let r;
  try {
    r = importSoapUI({ project, sids, servicesDir, mock: parsed.values.mock });
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 1;
  }
  const out = (s: string) => process.stdout.write(`${s}\n`);
  for (const l of r.imported) out(`imported      ${l}`);
  for (const l of r.notImported) out(`not imported  ${l}`);
  for (const l of r.warnings) out(`warning       ${l}`);
  for (const l of r.errors) out(`error         ${l}`);
  out(`\n${r.imported.length} imported, ${r.notImported.length} not imported, ${r.warnings.length} warning(s), ${r.errors.length} error(s)`);
  if (!r.errors.length && r.imported.length) out(`The running gateway takes the cases at its next reload (or restart); check them with: smev2-gateway services check ${servicesDir}`);
  return r.errors.length ? 1 : 0;
}
