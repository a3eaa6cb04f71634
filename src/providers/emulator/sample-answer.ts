import type { Service } from '../../registry/load';
import { ComposerModels } from '../../xsd/model';
import { NS } from '../../envelope/ns';

/**
 * What an emulated provider answers an operation for which it has no case: a sample of the
 * operation's answer element generated from the SID's XSD (the WSDL's output message), the same
 * sample the request composer shows for a request (src/xsd/model.ts), so that a freshly added
 * bundle is callable at once (docs/emulator.md, "Without cases").
 */
export type SampleAnswer =
  /** AppData's content for an answer that is an SMEV message (its smev:Message is generated and filled) */
  | { kind: 'appData'; appData: string; element: string }
  /** a whole answer envelope, for an output element that is no SMEV message (nothing to fill) */
  | { kind: 'envelope'; bytes: Buffer; element: string };

export class SampleAnswers {
  /** per Service object: a reload gives new Service objects, hence new samples */
  private readonly models = new ComposerModels();

  of(service: Service, operation: string): SampleAnswer {
    const m = this.models.answer(service, operation);
    const element = m.appData.element ? `{${m.appData.element.ns}}${m.appData.element.local}` : `{${m.input.ns}}${m.input.local}`;
    if (m.body === 'operation') {
      return {
        kind: 'envelope',
        element,
        bytes: Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${NS.soap}"><soap:Body>${m.sample}</soap:Body></soap:Envelope>`, 'utf8'),
      };
    }
    return { kind: 'appData', appData: m.sample, element };
  }
}
