// Writes docs/faults.md from the fault catalogue (src/faults/catalogue.ts, built into dist/).
// `node scripts/faults-doc.js --check` exits 1 when the committed file is out of date.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

function render() {
  const { FAULTS } = require(join(__dirname, '..', 'dist', 'faults', 'catalogue.js'));
  const rows = Object.entries(FAULTS).map(([name, f]) =>
    `| \`${f.code || '—'}\` | ${f.text.replace(/\|/g, '\\|')} | ${f.faultcode} | ${f.http} | ${f.when} | \`${name}\` |`);
  return `# Fault catalogue

Every SOAP fault the gateway sends. Generated from \`src/faults/catalogue.ts\` by
\`node scripts/faults-doc.js\`; a test fails when this file and the catalogue differ.

The faultstring is \`<code>: <text>\`, or the text alone for the node's uncoded messages. The
real SMEV node's codes and texts (\`SMEV-1000nn\`, "No policies found ...", "Cannot perform
client request") are kept exactly, because clients match them literally; \`GW-nnnn\` codes are
this gateway's own. Business refusals are not faults: they travel as messages with Status
INVALID or REJECT. \`{name}\` stands for a value filled in at the time. The journal records the
code (or the entry's name, for uncoded ones) in \`fault_code\`.

| code | faultstring text | faultcode | HTTP | when | entry |
|---|---|---|---|---|---|
${rows.join('\n')}

## How signatures, replays and encodings are judged

One judge (\`src/signature/judge.ts\`) decides for the gateway's verify stage,
\`smev2-gateway verify\` (which prints the fault the gateway would answer) and
\`smev2-gateway check\`, so the three cannot disagree.

- **One Security block per SOAP actor.** A second \`wsse:Security\` for the same actor is refused
  (SMEV-100003), whatever it holds and wherever it stands. Every block present must verify, not
  only the sender's.
- **The actor is \`{http://schemas.xmlsoap.org/soap/envelope/}actor\`** (SOAP 1.1 §4.2.2), under
  any prefix. An unqualified \`actor\`, or one in another namespace (SOAP 1.2's included), is an
  ordinary attribute: that block targets no actor, so it is not the sender's block, and a message
  whose only block is written that way has no sender signature (SMEV-100008). Every real sender
  in the corpus qualifies it.
- **Strict base64** in SignatureValue, DigestValue, BinarySecurityToken and X509Certificate: XML
  white space may break the text into lines; any other character outside the alphabet, padding
  out of place or a length that is not a multiple of four is refused (SMEV-100003), where node's
  decoder would silently skip it.
- **Accepted algorithm pairs per SID** (\`signatureAlgorithms\` in service.yaml): a block passes when
  one listed suite names its SignatureMethod and every Reference's DigestMethod. Suites:
  \`gost2001\` (GOST R 34.10-2001 with GOST R 34.11-94), \`gost2012-256\` and \`gost2012-512\`
  (GOST R 34.10-2012 with Streebog of the same size), \`rsa-sha256\`, \`rsa-sha1\`. The default is
  every suite but \`rsa-sha1\`. Anything else, and any canonicalization or transform the gateway
  does not apply, is GW-3003 naming it.
- **Transforms as XMLDSig 1.0 defines them.** A same-document \`#id\` reference selects its element
  without comments, so a \`#WithComments\` c14n over it still drops them (comments in the Body are
  not signed); Transforms apply in order, octets between two of them parsed again; the
  enveloped-signature transform removes the Signature when it lies inside the target; a node-set
  left at the end becomes octets by inclusive c14n 1.0. Exclusive and inclusive c14n 1.0 (with or
  without comments) and enveloped-signature are applied; XPath, XSLT, base64 and c14n 1.1 are
  refused (GW-3003), never half-applied. Proven against xmlsec1 (test/signature-strictness.test.ts).
- **Replays are keyed on what the signature covers.** After the signature verified, the replay
  guard remembers the SHA-256 of the canonical SignedInfo of the sender's block (which holds the
  Body's digest) and of its decoded SignatureValue: no edit outside the signed bytes (the Security
  block's attributes and prefixes, white space in SignatureValue, the order of token and signature,
  an extra unsigned header) makes a replay new, and the decoded value has one form only (GOST R
  34.10 values are range-checked and not malleable; RSA PKCS#1 v1.5 is deterministic). The same
  content signed again by its sender is a new message (a GOST signature takes a fresh random k). A message whose signature was not verified (policy \`off\`, or \`report\` with a
  failure) is remembered only by its smev:Header MessageId, in another key space, so an unsigned
  or forged copy sent first cannot block the real one. The guard runs under the SID's control
  policy (GW-4006).
- **Encodings.** SMEV 2 traffic is UTF-8 and the gateway judges UTF-8 bytes (limits, journal,
  c14n). A UTF-16 or UTF-32 body (by its byte-order mark or its byte layout), an XML declaration or
  a Content-Type charset naming another encoding is refused with GW-1017 naming the encoding and
  where it was said, before any limit is counted: a UTF-16 envelope is not transcoded, because the
  bytes sent on would no longer be the bytes the consumer signed. A UTF-8 byte-order mark is fine.
- **Refusals of the HTTP layer** (node's parser: bad framing GW-1018, headers too large GW-1019,
  headers too slow GW-1016; a path under /gateway/services that names no service GW-1020; another
  method than POST GW-1011) go through the same pipeline as every fault: answered as a SOAP fault
  while the connection can still take one, journaled (metadata) when a request line was read, and
  counted in \`smev2_http_refused_total{reason}\` (node's error code) besides
  \`smev2_requests_total\`. A request line that node never finished reading (headers too slow) cannot
  be journaled: it is counted only.
`;
}

const file = join(__dirname, '..', 'docs', 'faults.md');
const text = render();
if (process.argv.includes('--check')) {
  if (readFileSync(file, 'utf8') !== text) {
    process.stderr.write('docs/faults.md is out of date: run node scripts/faults-doc.js\n');
    process.exit(1);
  }
} else {
  writeFileSync(file, text);
}
