// Loaded with `node -r` into the gateway by bench/inline-document.ts: every 100 ms each thread
// (the main one and the large-body lane's, which inherits the preload) appends its
// process.memoryUsage() to MEMORY_PROBE_FILE as one JSON line, so a growth of RSS can be put down
// to V8's heap, external memory (Buffers, WebAssembly memory) or neither (the allocator).
'use strict';
const { appendFileSync } = require('node:fs');
const { threadId } = require('node:worker_threads');

const file = process.env.MEMORY_PROBE_FILE;
if (file) {
  const sample = () => {
    const m = process.memoryUsage();
    appendFileSync(file, `${JSON.stringify({ t: Date.now(), thread: threadId, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers })}\n`);
  };
  setInterval(sample, 100).unref();
}
