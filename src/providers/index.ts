import type { Service } from '../registry/load';
import type { ProviderAdapter } from '../registry/adapter';
import { HttpAdapter } from './http';
import { EmulatorAdapter } from './emulator/emulator';
import type { Signer } from '../signature/sign';
import type { EmulatorState } from './emulator/state';
import type { Logger } from 'pino';

export interface AdapterContext {
  /** the key an emulated provider signs its answers with (the provider system's), if any */
  signerFor(mnemonic: string): Signer | undefined;
  /** where emulated providers keep their asynchronous chains and script counters: the store, once open */
  emulatorState?(): EmulatorState | undefined;
  /** where an emulated provider logs what a tester should see (a dispatch script that failed) */
  log?: Logger;
}

/** The adapter a SID's definition asks for. Throws (at load) when its settings do not work. */
export function createAdapter(service: Service, ctx: AdapterContext): ProviderAdapter {
  const a = service.def.adapter;
  switch (a.type) {
    case 'http':
      return new HttpAdapter(a);
    case 'emulator':
      return new EmulatorAdapter(service, a.cases, ctx.signerFor(service.def.provider.mnemonic), () => ctx.emulatorState?.(), ctx.log);
  }
}
