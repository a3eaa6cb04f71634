/**
 * Every document this thread parses into libxml2, counted by what it is parsed for, with the bytes
 * it was given: "each envelope is parsed once per leg" is then a figure /metrics shows
 * (`smev2_xml_parses_total`, `smev2_xml_parsed_bytes_total`, read by src/metrics when scraped) and
 * a test checks. Two additions per parse; src/xml knows nothing of Prometheus.
 */
export type ParsePurpose =
  /** the consumer's request, by the parse stage (src/stages/parse.ts) */
  | 'request'
  /** a stored request, for one delivery attempt of the outbox (src/queue/worker.ts) */
  | 'outbox'
  /** an answer held on the exchange: the provider's, the store's, the node's own (setAnswer) */
  | 'answer'
  /** the request in the provider's form after an inline ↔ MTOM conversion (src/stages/convert.ts) */
  | 'convert'
  /** a copy of an MTOM message without its xop:Include, judged again by the schema (src/control/check.ts) */
  | 'control'
  /** octets between two transforms of a Reference, made a node-set again (src/signature/transforms.ts) */
  | 'transform'
  /** the manifest inside an AppDocument's ZIP (src/attachments/manifest.ts) */
  | 'manifest'
  /** a schema compiled at start or reload (the envelope's, a SID's XSD, the manifest's) */
  | 'schema'
  /** a trusted local file: WSDL, XSD, fixtures (parseLocal) */
  | 'local'
  /** any other caller that does not say (the emulator, signing, the admin API, the testkit, …) */
  | 'other';

export interface ParseTally {
  parses: number;
  /** the input's length: a large base64 text kept out of the DOM (elide.ts) counts, as it was read */
  bytes: number;
}

const tallies = new Map<ParsePurpose, ParseTally>();

export function countParse(purpose: ParsePurpose, bytes: number): void {
  let t = tallies.get(purpose);
  if (!t) tallies.set(purpose, (t = { parses: 0, bytes: 0 }));
  t.parses++;
  t.bytes += bytes;
}

/** This thread's parses so far, by purpose. */
export function parseTallies(): ReadonlyMap<ParsePurpose, Readonly<ParseTally>> {
  return tallies;
}

/**
 * The parses since the last call, as plain data: what another thread (the large-body lane) hands
 * to the thread whose /metrics counts it (addParses).
 */
export function takeParses(): Partial<Record<ParsePurpose, ParseTally>> {
  const out: Partial<Record<ParsePurpose, ParseTally>> = {};
  for (const [purpose, t] of tallies) out[purpose] = { ...t };
  tallies.clear();
  return out;
}

/** Add another thread's parses (takeParses) to this thread's. */
export function addParses(from: Partial<Record<ParsePurpose, ParseTally>> | undefined): void {
  for (const [purpose, t] of Object.entries(from ?? {}) as [ParsePurpose, ParseTally][]) {
    const own = tallies.get(purpose) ?? { parses: 0, bytes: 0 };
    tallies.set(purpose, { parses: own.parses + t.parses, bytes: own.bytes + t.bytes });
  }
}
