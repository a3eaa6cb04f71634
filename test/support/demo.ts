import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './paths';

export interface DemoCase {
  name: string;
  dir: string;
  operation: string;
  request: string;
  ping?: string;
  /** the Status of the final answer */
  finalStatus: string;
  processPolls: number;
  /** the final answer's AppDocument comes as an MTOM part (case.yaml attachments.form) */
  mtom: boolean;
}

export interface DemoService {
  sid: string;
  operations: Record<string, string>;
  cases: DemoCase[];
}

/**
 * The bundled emulated demo services and their fixture cases, read from the files (as a user
 * would). The demo manual provider (SID0009001, answered by a clerk, docs/cabinet.md) has no cases.
 */
export function demoServices(): DemoService[] {
  return readdirSync(join(ROOT, 'wsdl')).sort().map((sid) => ({ sid, def: parse(readFileSync(join(ROOT, 'wsdl', sid, 'service.yaml'), 'utf8')) }))
    .filter(({ def }) => def.adapter?.type === 'emulator').map(({ sid, def }) => {
    const operations: Record<string, string> = Object.fromEntries(Object.entries(def.operations ?? {}).map(([k, v]) => [k, (v as { mode: string }).mode]));
    const casesDir = join(ROOT, 'wsdl', sid, def.adapter.cases);
    const cases = readdirSync(casesDir).sort().filter((c) => existsSync(join(casesDir, c, 'case.yaml'))).map((name) => {
      const dir = join(casesDir, name);
      const c = parse(readFileSync(join(dir, 'case.yaml'), 'utf8')) ?? {};
      const answer = readFileSync(join(dir, c.answer ?? 'answer.xml'), 'utf8');
      return {
        name,
        dir,
        operation: c.operation ?? Object.keys(operations)[0],
        request: readFileSync(join(dir, 'request.xml'), 'utf8'),
        ping: existsSync(join(dir, 'ping.xml')) ? readFileSync(join(dir, 'ping.xml'), 'utf8') : undefined,
        finalStatus: /<(?:\w+:)?Status>([A-Z]+)</.exec(answer)![1],
        processPolls: c.async?.processPolls ?? 0,
        mtom: c.attachments?.form === 'mtom',
      };
    });
    return { sid, operations, cases };
  });
}

/** The get operation paired with an async-send one. */
export function pollOperation(s: DemoService): string | undefined {
  return Object.entries(s.operations).find(([, m]) => m === 'async-get')?.[0];
}
