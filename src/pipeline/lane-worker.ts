// The large-body lane's thread (src/pipeline/lane.ts): a pipeline of its own, on its own libxml2-wasm
// instance, store connection and registry, built as src/gateway.ts builds the main one. The thread is
// ended when it has been idle a while, and with it every byte of WebAssembly memory its documents grew.
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config';
import { createLogger } from '../log';
import { loadXml } from '../xml/libxml';
import { takeParses } from '../xml/parse-count';
import { buildPipeline } from './stages';
import { assemble } from './assemble';
import type { Exchange } from './exchange';
import type { LaneJob, LaneReply } from './lane';

async function main(): Promise<void> {
  const config = workerData.config as Config;
  const log = createLogger(config.logLevel, config.logFormat).child({ lane: 'large-body' });
  await loadXml();
  // the main thread judged the registry and migrated the store at start
  const { registry, store, deps } = await assemble(config, log, { migrate: false, skipBroken: true });
  const { journal } = deps;
  const pipeline = buildPipeline(deps);
  const port = parentPort!;
  port.on('message', (m: LaneJob | { close: true }) => {
    if ('close' in m) {
      void (async () => {
        await journal.drain();
        await registry.close();
        await store.destroy();
        port.close();
        process.exit(0);
      })();
      return;
    }
    const raw = Buffer.from(m.raw);
    const ex = {
      id: m.id, origin: 'consumer', started: process.hrtime.bigint() - BigInt(m.waitedNs), receivedAt: new Date(m.receivedAt), http: m.http,
      sid: m.sid, version: m.version, log: log.child({ exchange: m.id, sid: m.sid }), raw, legs: [],
    } as Exchange;
    // the exchange's spool files (a spooled inline text, an MTOM answer's parts) go when it ends, as on the main thread
    pipeline(ex).finally(() => ex.spool?.release()).then(() => {
      const r = ex.response!;
      // the reply's own memory, not a view of a pooled slab, so it can be handed over without a copy
      const bytes = new Uint8Array(r.bytes.length);
      bytes.set(r.bytes);
      const reply: LaneReply = {
        id: m.id, status: r.status, contentType: r.contentType, bytes,
        operation: ex.operation?.name, service: ex.service !== undefined,
        fault: ex.fault ? { kind: ex.fault.kind, params: ex.fault.params, detail: ex.fault.detail } : undefined,
        answerStatus: ex.responseEnvelope?.message?.status, providerFault: ex.responseEnvelope?.fault !== undefined,
        parses: takeParses(),
      };
      port.postMessage(reply, [bytes.buffer]);
    }, (e: Error) => port.postMessage({ id: m.id, error: e.stack ?? e.message }));
  });
  port.postMessage({ ready: true });
}

main().catch((e: Error) => {
  parentPort!.postMessage({ failed: e.stack ?? e.message });
  process.exit(1);
});
