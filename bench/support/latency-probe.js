// Loaded into the gateway process by the pipeline benchmark (node -r): the gateway's own view of
// latency, from the 'request' event (headers read) to the response's 'finish' (handed to the
// kernel). wrk's figure also holds the time a request waits in the socket before the gateway reads
// it; the difference between the two is queueing in front of the gateway, not work inside it.
// SIGUSR2 writes the percentiles since the last SIGUSR2 to $BENCH_LATENCY_FILE and starts afresh,
// with the main thread's event-loop delay over the same span (perf_hooks, 10 ms resolution): how
// long a callback that was ready waited, whether behind our synchronous work or for a core.
'use strict';
const http = require('node:http');
const { writeFileSync } = require('node:fs');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

const file = process.env.BENCH_LATENCY_FILE;
let samples = [];
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res) {
  if (event === 'request') {
    const start = process.hrtime.bigint();
    res.once('finish', () => samples.push(Number(process.hrtime.bigint() - start) / 1e6));
  }
  return emit.apply(this, arguments);
};
process.on('SIGUSR2', () => {
  const s = samples.sort((a, b) => a - b);
  samples = [];
  const at = (q) => (s.length ? s[Math.min(s.length - 1, Math.floor(s.length * q))] : null);
  const loopDelay = { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
  loop.reset();
  if (file) writeFileSync(file, JSON.stringify({ n: s.length, p50: at(0.5), p99: at(0.99), max: s.length ? s[s.length - 1] : null, loopDelay }));
});
