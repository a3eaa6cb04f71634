// The crypto-only line of the pipeline benchmark: the signature work of one full-pipeline exchange,
// done in a loop on one thread with the very code the gateway runs, on the very envelopes of the
// run. Per exchange the node (1) verifies the consumer's signature and judges its certificate,
// (2) signs what it forwards (its smev:Header and the Body), (3) verifies the provider's answer
// and judges its certificate, (4) signs the answer it sends back. Each of (1)–(4) includes its
// exclusive c14n and digests; (2) and (4) include the parse signEnvelope does itself. The parse
// stage's parse of the request and the answer is not crypto and is done once, outside the loop.
// The gateway does all of this on its one JS thread, so 1 / (time of one exchange) is the most it
// can reach with this crypto: its crypto-bound limit.
//
//   node .tmp/bench/bench/crypto-line.js --keys DIR --systems DIR --request FILE --answer FILE [--seconds S] [--rounds N]
//   prints the best of N rounds (default 3) of S seconds (default 0.5) per operation, as JSON.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadXml } from '../src/xml/libxml';
import { parseEnvelope } from '../src/envelope/parse';
import { newMessageId, nodeHeaderXml, withHeaderBlock } from '../src/envelope/build';
import { ACTOR } from '../src/envelope/ns';
import { signEnvelope } from '../src/signature/sign';
import { judgeMessage } from '../src/signature/judge';
import { TrustStore } from '../src/signature/trust';
import { KeyStore } from '../src/signature/identity';
import { NODE_KEY } from '../src/signature/bootstrap';

/** Wall time per call (µs); the harness runs this when the machine is otherwise idle. */
function perOpMicros(seconds: number, fn: () => unknown): number {
  const warm = performance.now() + 300;
  while (performance.now() < warm) fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now < start + seconds * 1000) {
    fn();
    n++;
    now = performance.now();
  }
  return ((now - start) * 1000) / n;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({ options: { keys: { type: 'string' }, systems: { type: 'string' }, request: { type: 'string' }, answer: { type: 'string' }, seconds: { type: 'string', default: '0.5' }, rounds: { type: 'string', default: '3' } } });
  if (!v.keys || !v.systems || !v.request || !v.answer) throw new Error('usage: crypto-line --keys DIR --systems DIR --request FILE --answer FILE [--seconds S] [--rounds N]');
  await loadXml();
  const seconds = Number(v.seconds);
  const rounds = Number(v.rounds);
  const trust = TrustStore.load(v.systems, v.keys);
  const node = new KeyStore(v.keys).signer(NODE_KEY);
  if (!node) throw new Error(`no node key in ${v.keys}`);
  const request = readFileSync(v.request);
  const answer = readFileSync(v.answer);
  const req = parseEnvelope(request);
  const ans = parseEnvelope(answer);
  const stamp = (raw: Buffer, messageClass: 'REQUEST' | 'RESPONSE') =>
    withHeaderBlock(raw, nodeHeaderXml({ smevNamespace: 'http://smev.gosuslugi.ru/rev111111', messageId: newMessageId(), messageClass }));
  const forward = stamp(request, 'REQUEST');
  const back = stamp(answer, 'RESPONSE');
  const now = new Date();
  const judge = (p: typeof req) => {
    const j = judgeMessage(p, trust, { at: now });
    if (j.failure) throw new Error(`crypto line: ${j.summary}`);
  };
  const ops = {
    verifyRequest: () => judge(req),
    signForward: () => signEnvelope(forward, ACTOR.recipient, node, { header: true }),
    verifyAnswer: () => judge(ans),
    signResponse: () => signEnvelope(back, ACTOR.recipient, node, { header: true }),
  };
  // best of `rounds`: on a shared machine the slowest rounds measure the neighbours
  const micros: Record<string, number> = {};
  let exchange = Infinity;
  for (let round = 0; round < rounds; round++) {
    for (const [name, fn] of Object.entries(ops)) micros[name] = Math.min(micros[name] ?? Infinity, perOpMicros(seconds, fn));
    exchange = Math.min(exchange, perOpMicros(seconds, () => {
      ops.verifyRequest();
      ops.signForward();
      ops.verifyAnswer();
      ops.signResponse();
    }));
  }
  req.doc.dispose();
  ans.doc.dispose();
  process.stdout.write(`${JSON.stringify({ micros, exchangeMicros: exchange, limit: 1e6 / exchange, requestBytes: request.length, answerBytes: answer.length })}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
