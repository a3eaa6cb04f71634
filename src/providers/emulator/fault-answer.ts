/**
 * A case's `fault:` (docs/emulator.md, "SOAP faults as answers"): the emulated provider answers a
 * SOAP 1.1 Fault with the case's HTTP status, as a provider does when it refuses a call (its own
 * fault) or as the node did (a faultstring starting `SMEV-1000nn:`). The faultstring is a
 * template read as text (rendered, then escaped as a whole); the detail is a template of XML,
 * escaped value by value like an answer file. A fault is neither filled nor signed: providers'
 * faults carry no smev:Message and no signature, and the gateway passes them on as they came.
 */
import { NS } from '../../envelope/ns';
import { escapeXml } from '../../envelope/build';
import { compileText, renderTemplate, type AnswerTemplate, type RenderInput } from './template';

export interface CaseFault {
  faultcode: 'Client' | 'Server';
  faultstring: AnswerTemplate;
  detail?: AnswerTemplate;
  httpStatus: number;
}

/** A case.yaml's `fault:`, its texts compiled (TemplateError names the file and the key). */
export function compileFault(file: string, f: { faultcode: 'Client' | 'Server'; faultstring: string; detail?: string; httpStatus: number }, templated: boolean): CaseFault {
  const text = (key: string, source: string, plain: boolean): AnswerTemplate =>
    templated && source.includes('{{') ? compileText(`${file} fault.${key}`, source, plain) : { file, bytes: Buffer.from(source, 'utf8'), seqNames: [], usesDocument: false };
  return {
    faultcode: f.faultcode,
    faultstring: text('faultstring', f.faultstring, true),
    detail: f.detail === undefined ? undefined : text('detail', f.detail, false),
    httpStatus: f.httpStatus,
  };
}

/** The fault envelope for this request. */
export function faultAnswerBytes(f: CaseFault, input: RenderInput): Buffer {
  const faultstring = renderTemplate(f.faultstring, input).toString('utf8');
  const detail = f.detail && renderTemplate(f.detail, input).toString('utf8');
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>` +
      `<soap:Envelope xmlns:soap="${NS.soap}"><soap:Body><soap:Fault>` +
      `<faultcode>soap:${f.faultcode}</faultcode>` +
      `<faultstring>${escapeXml(faultstring)}</faultstring>` +
      (detail ? `<detail>${detail}</detail>` : '') +
      `</soap:Fault></soap:Body></soap:Envelope>`,
    'utf8',
  );
}

/** The seq names and whether the request's document is read, over both texts. */
export function faultNeeds(f: CaseFault): { seqNames: string[]; usesDocument: boolean } {
  const ts = [f.faultstring, ...(f.detail ? [f.detail] : [])];
  return { seqNames: [...new Set(ts.flatMap((t) => t.seqNames))], usesDocument: ts.some((t) => t.usesDocument) };
}
