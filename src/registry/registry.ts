import type { Service, Problem } from './load';
import { loadRegistry } from './load';
import type { ProviderAdapter } from './adapter';
import { compileBundleSchemas, type CompiledSchema } from '../control/schemas';

export class RegistryError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`the service registry is broken:\n${problems.map(formatProblem).join('\n')}`);
  }
}

export function formatProblem(p: Problem): string {
  return `  ${p.file}: ${p.field ? `${p.field}: ` : ''}${p.reason}`;
}

export interface ServiceEntry {
  service: Service;
  adapter: ProviderAdapter;
  /** the SID's WSDL/XSD bundle compiled for payload control (absent when control is off or it does not compile) */
  payload?: CompiledSchema;
}

/** The services in force: a SID's definition, bundle and provider adapter. */
export class Registry {
  private entries = new Map<string, ServiceEntry>();
  warnings: Problem[] = [];
  skipped: Problem[] = [];

  /**
   * `makeAdapter` turns a SID's definition into its provider adapter (providers/index.ts
   * createAdapter, with what the adapters need): the registry holds adapters, it does not know
   * the kinds there are.
   */
  constructor(readonly dir: string, private readonly makeAdapter: (service: Service) => ProviderAdapter) {}

  /** Load (or reload) the folder. Broken SIDs throw RegistryError unless skipBroken. */
  load(opts: { skipBroken: boolean }): void {
    const r = loadRegistry(this.dir);
    const errors = [...r.errors];
    const next = new Map<string, ServiceEntry>();
    for (const service of r.services.values()) {
      try {
        next.set(service.sid, { service, adapter: this.makeAdapter(service), payload: this.compile(service, r.warnings) });
      } catch (e) {
        errors.push({ file: service.dir, field: 'adapter', reason: (e as Error).message });
      }
    }
    if (errors.length && !opts.skipBroken) throw new RegistryError(errors);
    const old = this.entries;
    this.entries = next;
    this.warnings = r.warnings;
    this.skipped = errors;
    for (const e of old.values()) {
      void e.adapter.close?.();
      e.payload?.dispose();
    }
  }

  /** Compile the payload schema once, at load. A bundle whose schemas do not compile is served, said loudly. */
  private compile(service: Service, warnings: Problem[]): CompiledSchema | undefined {
    if (service.def.control === 'off') return undefined;
    try {
      return compileBundleSchemas(service.sid, service.bundle, service.def.locations);
    } catch (e) {
      warnings.push({ file: service.dir, field: 'payload schema', reason: `${(e as Error).message}: payload control is skipped for ${service.sid}` });
      return undefined;
    }
  }

  payloadSchema(sid: string): CompiledSchema | undefined {
    return this.entries.get(sid)?.payload;
  }

  get(sid: string): Service | undefined {
    return this.entries.get(sid)?.service;
  }

  adapter(sid: string): ProviderAdapter | undefined {
    return this.entries.get(sid)?.adapter;
  }

  list(): ServiceEntry[] {
    return [...this.entries.values()].sort((a, b) => a.service.sid.localeCompare(b.service.sid));
  }

  async close(): Promise<void> {
    for (const e of this.entries.values()) {
      await e.adapter.close?.();
      e.payload?.dispose();
    }
  }
}
