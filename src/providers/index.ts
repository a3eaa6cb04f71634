import type { Service } from '../registry/load';
import type { ProviderAdapter } from './adapter';
import { HttpAdapter } from './http';
import { EmulatorAdapter } from './emulator/emulator';

/** The adapter a SID's definition asks for. Throws (at load) when its settings do not work. */
export function createAdapter(service: Service): ProviderAdapter {
  const a = service.def.adapter;
  switch (a.type) {
    case 'http':
      return new HttpAdapter(a);
    case 'emulator':
      return new EmulatorAdapter(service, a.cases);
  }
}
