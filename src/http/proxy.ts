import express, { type Request } from 'express';

/**
 * Which peers may speak for a client through X-Forwarded-Host, -Proto and -For: SMEV2_TRUST_PROXY
 * (`--trust-proxy`), a comma-separated list of addresses and CIDR ranges (and express's names
 * `loopback`, `linklocal`, `uniquelocal`). Off (empty) by default: nobody's forwarded headers are
 * honoured. `true` is refused: it used to mean "any client", which let anyone rewrite the
 * addresses in the published WSDLs.
 */
export function parseTrustProxy(v: string | undefined): string[] {
  const s = (v ?? '').trim();
  if (s === '' || s === 'false' || s === 'off' || s === 'none') return [];
  if (s === 'true' || s === '*') {
    throw new Error(`SMEV2_TRUST_PROXY=${s} would trust every client's X-Forwarded-* headers: list the proxies' addresses instead, e.g. SMEV2_TRUST_PROXY=127.0.0.1 (nginx on this machine) or 10.0.0.5,10.0.1.0/24; unset it when no proxy is in front`);
  }
  const list = s.split(',').map((x) => x.trim()).filter(Boolean);
  try {
    express().set('trust proxy', list); // express's own parser (proxy-addr): what it accepts is what the server will use
  } catch (e) {
    throw new Error(`SMEV2_TRUST_PROXY / --trust-proxy: ${(e as Error).message} in "${s}": give IP addresses or CIDR ranges (e.g. 127.0.0.1,10.0.0.0/8), or loopback`);
  }
  return list;
}

/** Did this request come through a trusted proxy (its TCP peer is on the list)? */
export function fromTrustedProxy(req: Request): boolean {
  const trust = req.app.get('trust proxy fn') as ((addr: string, i: number) => boolean) | undefined;
  const peer = req.socket.remoteAddress;
  return !!peer && !!trust && trust(peer, 0);
}

/**
 * The client's address: the TCP peer, or, when that is a trusted proxy, the nearest address in
 * X-Forwarded-For that is not a trusted proxy (express's req.ip under 'trust proxy').
 */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? '-';
}
