import type { Service } from '../registry/load';
import type { ProviderAdapter } from '../registry/adapter';
import { HttpAdapter } from './http';
import { EmulatorAdapter } from './emulator/emulator';
import type { Signer } from '../signature/sign';
import type { EmulatorState } from './emulator/state';
import type { FaultSwitch } from './faults';
import { FaultInjectingAdapter } from './inject';
import { ManualAdapter } from './manual/manual';
import type { Inbox } from './manual/inbox';
import type { Events } from '../queue/events';
import type { Logger } from 'pino';

export interface AdapterContext {
  /** the key an emulated provider signs its answers with (the provider system's), if any */
  signerFor(mnemonic: string): Signer | undefined;
  /** where emulated providers keep their asynchronous chains and script counters: the store, once open */
  emulatorState?(): EmulatorState | undefined;
  /** the runtime fault-injection switches (the store's), once open */
  faults?(): FaultSwitch | undefined;
  /** the draws of fault injection (providers/inject.ts randomSource) */
  random?: () => number;
  /** the manual providers' inbox (the store's), once open */
  inbox?(): Inbox | undefined;
  /** where a manual provider queues its inbox's events, once the store is open */
  events?(): Events | undefined;
  /** where an emulated provider logs what a tester should see (a dispatch script that failed) */
  log?: Logger;
}

/**
 * The adapter a SID's definition asks for, wrapped in fault injection (./inject.ts: the same for
 * every kind of provider). Throws (at load) when its settings do not work.
 */
export function createAdapter(service: Service, ctx: AdapterContext): ProviderAdapter {
  return new FaultInjectingAdapter(providerAdapter(service, ctx), service, () => ctx.faults?.(), ctx.random ?? Math.random);
}

function providerAdapter(service: Service, ctx: AdapterContext): ProviderAdapter {
  const a = service.def.adapter;
  switch (a.type) {
    case 'http':
      return new HttpAdapter(a);
    case 'emulator':
      return new EmulatorAdapter(service, a.cases, ctx.signerFor(service.def.provider.mnemonic), () => ctx.emulatorState?.(), ctx.log);
    case 'manual':
      return new ManualAdapter(service, a, ctx.signerFor(service.def.provider.mnemonic), () => ctx.inbox?.(), () => ctx.events?.());
  }
}

/** The emulated provider behind a SID's adapter (under its fault injection), or undefined for any other. */
export function emulatorOf(adapter: ProviderAdapter | undefined): EmulatorAdapter | undefined {
  const inner = adapter instanceof FaultInjectingAdapter ? adapter.inner : adapter;
  return inner instanceof EmulatorAdapter ? inner : undefined;
}
