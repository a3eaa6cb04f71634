import { z } from 'zod';
import { SUITE_NAMES, DEFAULT_SUITES } from '../signature/algorithms';
import { faultSpecSchema } from './fault-spec';

/** The schema of a SID's service.yaml (docs/registry.md). */
const operationSchema = z.strictObject({
  mode: z.enum(['sync', 'async', 'async-send', 'async-get']),
});

const httpAdapter = z.strictObject({
  type: z.literal('http'),
  url: z.url({ protocol: /^https?$/ }),
  connectTimeoutMs: z.number().int().positive().default(5000),
  readTimeoutMs: z.number().int().positive().default(30000),
  maxAnswerBytes: z.number().int().positive().default(16 * 1024 * 1024),
});

const emulatorAdapter = z.strictObject({
  type: z.literal('emulator'),
  cases: z.string().min(1).default('emulator'),
});

/**
 * A condition of an assignment rule: a namespace-agnostic path into the request, as an emulator
 * case's `match:` (`AppData/Request/Region`, `Message/Sender/Code`, `AppData/Request/@kind`), and
 * the value it must have.
 */
const assignRule = z.strictObject({
  /** only requests of this operation (default: any) */
  operation: z.string().min(1).optional(),
  /** every path must hold its value (default: none, the rule matches every request) */
  when: z.record(z.string().regex(/^(AppData|Message)(\/[^/]+)*$/, 'a path from AppData or Message, e.g. AppData/Request/Region'), z.string()).optional(),
  /** the clerk it goes to (a user name of the department) */
  assignee: z.string().min(1).optional(),
  /** or a sub-queue of the department, e.g. "moscow" */
  queue: z.string().min(1).optional(),
}).refine((r) => r.assignee !== undefined || r.queue !== undefined, { message: 'a rule says where the request goes: assignee, queue, or both' });

/**
 * A manual provider (docs/cabinet.md): the requests land in the console's inbox of a department,
 * clerks answer them there. It works as guaranteed delivery: the consumer gets ACCEPT with a
 * ticket at once, PROCESS until a clerk has answered.
 */
const manualAdapter = z.strictObject({
  type: z.literal('manual'),
  /** the department (an id of the users file's `departments`) whose clerks answer */
  department: z.string().min(1),
  /** the time a clerk has to answer, from the request's arrival (hours; fractions allowed) */
  answerWithinHours: z.number().positive(),
  /** a request is flagged "due soon" this long before its deadline (default: a quarter of answerWithinHours) */
  dueSoonHours: z.number().positive().optional(),
  /** who gets a request: the first rule that matches it; none: the department's common queue */
  assign: z.array(assignRule).default([]),
});
export type ManualAdapterSettings = z.infer<typeof manualAdapter>;

/** Store-and-forward: the gateway accepts at once and delivers with retries (README, "Guaranteed delivery"). */
export const deliverySchema = z.strictObject({
  mode: z.enum(['direct', 'guaranteed']).default('direct'),
  maxAttempts: z.number().int().min(1).default(10),
  maxAgeSeconds: z.number().int().min(1).default(24 * 3600),
  initialBackoffMs: z.number().int().min(1).default(1000),
  maxBackoffMs: z.number().int().min(1).default(5 * 60 * 1000),
  /** how often the gateway polls a provider that answered ACCEPT */
  pollIntervalMs: z.number().int().min(1).default(5000),
});
export type DeliverySettings = z.infer<typeof deliverySchema>;

/** AppDocuments (PROTOCOL.md §7, docs/attachments.md): MTOM digests, the ZIP's files and their signatures. */
export const attachmentsSchema = z.strictObject({
  /** enforce: refuse what fails; report: judge, journal and pass; off: neither open nor judge */
  policy: z.enum(['enforce', 'report', 'off']).default('report'),
  /** every file of the ZIP must have its `<file>.sig` */
  requireSignatures: z.boolean().default(false),
  /** the form the provider is sent (as the consumer sent it, or always inline / always MTOM) */
  toProvider: z.enum(['as-sent', 'inline', 'mtom']).default('as-sent'),
  /** the form the consumer is answered in */
  toConsumer: z.enum(['as-sent', 'inline', 'mtom']).default('as-sent'),
});
export type AttachmentSettings = z.infer<typeof attachmentsSchema>;

export const definitionSchema = z.strictObject({
  sid: z.string().regex(/^SID\d{7}$/, 'must be SID followed by 7 digits, e.g. SID0003623'),
  title: z.string().optional(),
  service: z.strictObject({
    mnemonic: z.string().min(1),
    version: z.string().regex(/^[\w.-]+$/, 'letters, digits, dot, dash'),
  }),
  provider: z.strictObject({
    mnemonic: z.string().min(1),
    name: z.string().min(1),
  }),
  contour: z.enum(['test', 'productive']).default('test'),
  /** enforce: refuse what does not verify; report: verify and journal, pass; off: do not verify */
  signature: z.enum(['enforce', 'report', 'off']).default('enforce'),
  /**
   * the signature/digest pairs accepted on this SID's messages (signature/algorithms.ts SUITES):
   * gost2001, gost2012-256, gost2012-512, rsa-sha256 by default; rsa-sha1 only when listed
   */
  signatureAlgorithms: z.array(z.enum(SUITE_NAMES as [string, ...string[]])).min(1).default([...DEFAULT_SUITES]).transform((a) => a as typeof SUITE_NAMES),
  /** format-logical control and access rights: enforce refuses, report journals and passes, off skips */
  control: z.enum(['enforce', 'report', 'off']).default('enforce'),
  delivery: deliverySchema.default({ mode: 'direct', maxAttempts: 10, maxAgeSeconds: 86400, initialBackoffMs: 1000, maxBackoffMs: 300000, pollIntervalMs: 5000 }),
  attachments: attachmentsSchema.default({ policy: 'report', requireSignatures: false, toProvider: 'as-sent', toConsumer: 'as-sent' }),
  /** how far smev:Date may be from the node's clock (seconds; 0: not checked); default: the gateway's */
  dateSkewSeconds: z.number().int().min(0).optional(),
  wsdl: z.string().min(1).optional(),
  operations: z.record(z.string(), operationSchema).default({}),
  locations: z.record(z.string(), z.string()).default({}),
  adapter: z.discriminatedUnion('type', [httpAdapter, emulatorAdapter, manualAdapter]),
  /** faults injected into this SID's provider calls from the start, until an operator changes them (docs/fault-injection.md) */
  faults: faultSpecSchema.optional(),
});

export type ServiceDefinition = z.infer<typeof definitionSchema>;
export type ExchangeMode = ServiceDefinition['operations'][string]['mode'];
export type AdapterSettings = ServiceDefinition['adapter'];

export { describeIssues } from '../yaml-error';
