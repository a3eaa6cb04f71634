import { DEFAULT_MULTIPART_LIMITS, isMultipart, readMultipart, type MimePart } from '../http/multipart';

/** One SOAP 1.1 POST, as a consumer sends it. */
export interface HttpAnswer {
  status: number;
  contentType: string;
  /** the envelope (of an MTOM answer: its root part) */
  bytes: Buffer;
  /** an MTOM answer's other parts, held in memory */
  parts?: MimePart[];
  ms: number;
}

/**
 * A body as its envelope and parts: an MTOM (multipart/related) body split with the gateway's
 * own reader, its parts held in memory (the testkit holds whole bodies); any other body as it is.
 */
export async function splitBody(bytes: Buffer, contentType: string | undefined): Promise<{ bytes: Buffer; parts?: MimePart[] }> {
  if (!isMultipart(contentType)) return { bytes };
  const limits = { ...DEFAULT_MULTIPART_LIMITS, maxRootBytes: Math.max(bytes.length, 1), maxPartBytes: Math.max(bytes.length, 1), maxTotalBytes: Math.max(bytes.length, 1), memoryThreshold: Number.MAX_SAFE_INTEGER };
  const m = await readMultipart((async function* () { yield bytes; })(), contentType!, limits, undefined);
  return { bytes: m.root.bytes, parts: m.parts };
}

export async function postSoap(url: string, body: Buffer, soapAction: string | undefined, timeoutMs: number): Promise<HttpAnswer> {
  const t0 = performance.now();
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${soapAction ?? ''}"` },
      signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError') throw new Error(`no answer from ${url} within ${Math.round(timeoutMs / 100) / 10} s`);
    throw new Error(`cannot reach ${url}: ${err.cause?.code ?? err.cause?.message ?? err.message}`);
  }
  const raw = Buffer.from(await res.arrayBuffer());
  const contentType = res.headers.get('content-type') ?? '';
  let split: Awaited<ReturnType<typeof splitBody>>;
  try {
    split = await splitBody(raw, contentType);
  } catch (e) {
    throw new Error(`the answer from ${url} is ${contentType} but does not read as MTOM: ${(e as Error).message}`);
  }
  return { status: res.status, contentType, ...split, ms: performance.now() - t0 };
}

/**
 * Where a case's requests go: a target with no path is a gateway (`/gateway/services/<SID>`);
 * `{SID}` in the target is replaced; any other URL is an endpoint taken as it is (a provider).
 */
export function endpointFor(target: string, sid: string | undefined): string {
  const u = new URL(target);
  if (target.includes('{SID}')) {
    if (!sid) throw new Error(`the target ${target} needs a SID: put the case under a SID folder or pass --sid`);
    return target.replace(/\{SID\}/g, sid);
  }
  if (u.pathname === '/' || u.pathname === '') {
    if (!sid) throw new Error('the case is not under a SID folder (fixtures/<SID>/<case>): pass --sid, or a target URL with a path');
    return `${u.origin}/gateway/services/${sid}`;
  }
  return target;
}
