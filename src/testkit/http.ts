/** One SOAP 1.1 POST, as a consumer sends it. */
export interface HttpAnswer {
  status: number;
  contentType: string;
  bytes: Buffer;
  ms: number;
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
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', bytes, ms: performance.now() - t0 };
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
