import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { XmlElement } from '../../src/xml/libxml';
import { loadService, type Service } from '../../src/registry/load';
import { compileBundleSchemas, type CompiledSchema } from '../../src/control/schemas';
import { parseEnvelope } from '../../src/envelope/parse';
import { firstChildElement } from '../../src/xml/dom';
import { ComposerModels, type OperationModel } from '../../src/xsd/model';
import { requestEnvelope, type MessageFields } from '../../src/admin/compose/envelope';
import { ROOT } from './paths';
import { bundleService, corpusBundles, CORPUS_LOCATIONS } from './corpus-service';

/**
 * The operation models the JSON <-> XML tests run over (test/json-xml.test.ts,
 * test/json-xml-properties.test.ts): every operation of the demo bundles (wsdl/) and of the
 * corpus bundles, request and answer, each with its bundle's compiled schema, and the payload
 * check as the gateway's control makes it (the AppData inside the operation element).
 */
export interface Case { name: string; m: OperationModel; schema?: CompiledSchema }

export const FIELDS: MessageFields = {
  sender: { code: 'MINZ01001', name: 'Минздрав' }, recipient: { code: 'PFRF01001', name: 'ПФР' }, originator: { code: 'MINZ01001', name: 'Минздрав' },
  serviceMnemonic: 'TEST', serviceVersion: '1.00', typeCode: 'GSRV', status: 'REQUEST', date: '2024-03-14T10:15:30.125+03:00', exchangeType: '2',
};

/** The operation element around an AppData content, validated as the payload control does. */
export function xsdErrors(schema: CompiledSchema, m: OperationModel, appData: string): string[] {
  const p = parseEnvelope(Buffer.from(requestEnvelope(m, FIELDS, appData), 'utf8'));
  try {
    return schema.validate(firstChildElement(p.body) as XmlElement).map((e) => e.message);
  } finally {
    p.doc.dispose();
  }
}

export function corpusService(root: string, wsdl: string, i: number, locations: Record<string, string> = {}): Service {
  return bundleService(root, wsdl, `SID09100${String(i).padStart(2, '0')}`, locations);
}

/** Request and answer models of every operation of a service (the ones that build). */
export function serviceCases(s: Service, label: string, schema: CompiledSchema | undefined, models: ComposerModels): { cases: Case[]; errors: string[] } {
  const out: Case[] = [];
  const errors: string[] = [];
  for (const op of s.operations.filter((o) => o.input)) {
    for (const role of ['request', 'answer'] as const) {
      try {
        const m = role === 'request' ? models.operation(s, op.name) : models.answer(s, op.name);
        out.push({ name: `${label} ${op.name} ${role}`, m, schema });
      } catch (e) {
        errors.push(`${label} ${op.name} ${role}: ${(e as Error).message}`);
      }
    }
  }
  return { cases: out, errors };
}

/** Every demo SID's cases (each bundle's schema compiled; the caller disposes `schemas`). */
export function demoCases(models: ComposerModels): { cases: Case[]; schemas: CompiledSchema[] } {
  const cases: Case[] = [];
  const schemas: CompiledSchema[] = [];
  for (const sid of readdirSync(join(ROOT, 'wsdl')).sort()) {
    const errors: unknown[] = [];
    const s = loadService(join(ROOT, 'wsdl', sid), errors as never, []);
    if (!s) throw new Error(`${sid}: ${JSON.stringify(errors)}`);
    const schema = compileBundleSchemas(sid, s.bundle, s.def.locations);
    schemas.push(schema);
    const c = serviceCases(s, sid, schema, models);
    if (c.errors.length) throw new Error(c.errors.join('\n'));
    cases.push(...c.cases);
  }
  return { cases, schemas };
}

/** Every corpus bundle's cases; a bundle whose schema does not compile (it imports from the old node) has none to validate against. */
export function corpusCases(models: ComposerModels): { cases: Case[]; schemas: CompiledSchema[]; errors: string[] } {
  const cases: Case[] = [];
  const schemas: CompiledSchema[] = [];
  const errors: string[] = [];
  corpusBundles().forEach(({ bundle: b, root, wsdl }, i) => {
    const s = corpusService(root, wsdl, i, CORPUS_LOCATIONS[b] ?? {});
    let schema: CompiledSchema | undefined;
    try {
      schema = compileBundleSchemas(s.sid, s.bundle, s.def.locations);
      schemas.push(schema);
    } catch {
      schema = undefined;
    }
    const c = serviceCases(s, `${b}/${wsdl}`, schema, models);
    cases.push(...c.cases);
    errors.push(...c.errors);
  });
  return { cases, schemas, errors };
}

/**
 * In a describe block: the demo bundles' cases, loaded before its tests, their compiled schemas
 * disposed after them (the array fills in beforeAll).
 */
export function useDemoCases(): Case[] {
  const all: Case[] = [];
  const schemas: CompiledSchema[] = [];
  beforeAll(() => {
    const d = demoCases(new ComposerModels());
    all.push(...d.cases);
    schemas.push(...d.schemas);
  });
  afterAll(() => schemas.forEach((s) => s.dispose()));
  return all;
}
