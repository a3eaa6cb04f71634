/**
 * What the gateway learns about an AppDocument (PROTOCOL.md §7): the ZIP carried inline
 * (BinaryData) or as an MTOM part, opened; each file with its detached PKCS#7 signature's verdict.
 * The attachments stage (src/stages/attachments.ts) makes one report per message and journals it;
 * `verify` prints the same report.
 */
import type { FaultName } from '../faults/catalogue';

/** Limits on opening a ZIP, from configuration (config.ts): a zip bomb is refused, not inflated. */
export interface ZipLimits {
  /** entries in the central directory (SMEV2_ZIP_MAX_ENTRIES, default 1000) */
  maxEntries: number;
  /** uncompressed / compressed size of any entry (SMEV2_ZIP_MAX_RATIO, default 200) */
  maxRatio: number;
  /** uncompressed bytes of all entries together (SMEV2_ZIP_MAX_BYTES, default 1 GiB) */
  maxBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 1000, maxRatio: 200, maxBytes: 1024 * 1024 * 1024 };

/** The verdict of one detached signature over one file. */
export interface SignatureVerdict {
  outcome: 'ok' | 'fail';
  /** why it failed (not a CMS structure, digest mismatch, signature, certificate) */
  reason?: string;
  /** the signer's certificate subject, and the registered system it belongs to when known */
  signer?: string;
  system?: string;
  /** e.g. `GOST R 34.10-2001 / GOST R 34.11-94`, `GOST R 34.10-2012 (256) / Streebog-256`, `RSA / SHA-256` */
  algorithm?: string;
  /** the signing time of the CMS signed attributes, when present */
  signedAt?: string;
  /**
   * the signer's certificate judged against the systems registry at the message's time (apart from
   * `outcome`, which is the cryptography alone: corpus verdicts are `openssl cms -verify -noverify`)
   */
  certificate?: { trusted: boolean; reason?: string };
}

/** One entry of the ZIP, as listed and judged. */
export interface ZipFile {
  name: string;
  size: number;
  sha256: string;
  /** `signature` for a `<file>.sig`, `request` for `req_<RequestCode>.xml`, else `file` */
  kind: 'file' | 'signature' | 'request';
  /** for files and request documents: the verdict of `<name>.sig`; absent when there is none */
  signature?: SignatureVerdict;
  /** for a request document in the request/rev111111 namespace: the schema verdict */
  schema?: { outcome: 'ok' | 'fail'; namespace: string; reason?: string };
}

/** A failed attachment check as the fault the gateway answers for it (under `attachments: enforce`). */
export interface AttachmentProblem {
  fault: FaultName;
  params: Record<string, string | number>;
}

/** What was found in one AppDocument. */
export interface ZipReport {
  /** the ZIP's own size and SHA-256 */
  size: number;
  sha256: string;
  files: ZipFile[];
  /** every failed check, in the order met; empty when all passed */
  problems: AttachmentProblem[];
}

/** One AppDocument: inline (`BinaryData`) or an MTOM part (`cid:…`), its DigestValue, its ZIP opened. */
export interface AppDocumentReport {
  /** `BinaryData`, or the `cid:` its xop:Include names (in Reference or in BinaryData) */
  source: string;
  size?: number;
  sha256?: string;
  /** MTOM Reference: AppDocument/DigestValue against GOST R 34.11-94 of the part's base64 text (BinaryData/xop:Include has none) */
  digest?: { declared?: string; actual: string; ok: boolean };
  zip?: ZipReport;
}
