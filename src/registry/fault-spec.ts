import { z } from 'zod';

/**
 * What faults to inject into a SID's provider calls (docs/fault-injection.md): the schema of the
 * admin API's PUT /admin/services/{sid}/faults and of a service.yaml's `faults:` block. It lives
 * here, beside the definition that may carry it; src/providers/faults.ts keeps it in the store and
 * src/providers/inject.ts plays it.
 */
const weight = z.number().positive().default(1);

export const faultKindSchema = z.discriminatedUnion('kind', [
  /** the connection reset: before the provider gets the request (`connect`) or mid-answer, after it has acted on it (`answer`) */
  z.strictObject({ kind: z.literal('reset'), weight, at: z.enum(['connect', 'answer']).default('answer') }),
  /** the answer arrives slowly, `bytesPerSecond`, in chunks of `chunkBytes`; past the read timeout it is GW-2001 */
  z.strictObject({ kind: z.literal('dribble'), weight, bytesPerSecond: z.number().positive().default(1024), chunkBytes: z.number().int().positive().default(256) }),
  /** the body ends early, cleanly framed: the first `keepBytes`, or the first `fraction` of it */
  z.strictObject({ kind: z.literal('truncate'), weight, keepBytes: z.number().int().min(0).optional(), fraction: z.number().min(0).max(1).default(0.5) }),
  /** the answer as it was, under another Content-Type */
  z.strictObject({ kind: z.literal('wrongContentType'), weight, contentType: z.string().min(1).default('text/html; charset=utf-8') }),
  /** an HTTP error page in place of the answer (the provider's web server, not its SOAP stack) */
  z.strictObject({ kind: z.literal('http500'), weight, status: z.number().int().min(400).max(599).default(500) }),
  /** a SOAP 1.1 fault in place of the answer */
  z.strictObject({
    kind: z.literal('soapFault'), weight,
    faultcode: z.enum(['Client', 'Server']).default('Server'),
    faultstring: z.string().min(1).default('Injected fault'),
    httpStatus: z.number().int().min(200).max(599).default(500),
  }),
  /** the provider takes the request and never answers: GW-2001 once the read timeout passes */
  z.strictObject({ kind: z.literal('timeout'), weight }),
]);
export type FaultKind = z.infer<typeof faultKindSchema>;
export type FaultKindName = FaultKind['kind'];
export const FAULT_KIND_NAMES = ['reset', 'dribble', 'truncate', 'wrongContentType', 'http500', 'soapFault', 'timeout'] as const satisfies readonly FaultKindName[];

/** The provider's thinking time, drawn per call (milliseconds). */
export const latencySchema = z.discriminatedUnion('dist', [
  z.strictObject({ dist: z.literal('fixed'), ms: z.number().min(0) }),
  z.strictObject({ dist: z.literal('uniform'), min: z.number().min(0), max: z.number().min(0) })
    .refine((u) => u.min <= u.max, { message: 'min must not be greater than max' }),
  /** log-normal: give `median` (ms; mu = ln median) or `mu`, and `sigma`; `maxMs` cuts its long tail */
  z.strictObject({ dist: z.literal('lognormal'), median: z.number().positive().optional(), mu: z.number().optional(), sigma: z.number().min(0), maxMs: z.number().positive().optional() })
    .refine((l) => (l.median === undefined) !== (l.mu === undefined), { message: 'give either median (ms) or mu, not both' }),
]);
export type Latency = z.infer<typeof latencySchema>;

export const faultSpecSchema = z.strictObject({
  /** the share of calls (0..1) that get one of `kinds`, chosen by weight */
  share: z.number().min(0).max(1).default(0),
  kinds: z.array(faultKindSchema).default([]),
  latency: latencySchema.optional(),
  /** the share of calls (0..1) delayed by `latency` */
  latencyShare: z.number().min(0).max(1).default(1),
  /**
   * an emulated provider's read timeout (it has no `adapter.readTimeoutMs`): how long the gateway
   * waits for a dribbling, late or silent emulated answer before GW-2001; an `http` SID uses its
   * adapter's own. Default 30000, as an `http` adapter's
   */
  readTimeoutMs: z.number().int().positive().optional(),
}).refine((s) => s.share === 0 || s.kinds.length > 0, { message: 'share is above 0 but kinds is empty: list the kinds of fault to inject', path: ['kinds'] });
export type FaultSpec = z.infer<typeof faultSpecSchema>;
