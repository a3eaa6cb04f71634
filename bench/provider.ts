// The emulated provider of the pipeline benchmark, scenario (a): a bare node:http server that reads
// the whole request and answers a fixed, pre-signed SMEV answer envelope. It does no XML work and
// no crypto per request, so the gateway in front of it is what a run measures. Which answer: by
// the request's size (a 5 KB request gets the 5 KB answer, a 100 KB one the 100 KB answer, a
// multi-megabyte AppDocument the 5 KB answer). How it is used: bench/README.md.
//
//   node .tmp/bench/bench/provider.js --answers DIR [--port N]
//   DIR holds answer-5k.xml and answer-100k.xml; prints {"port":N} when listening.
//   GET /stats answers {"requests":N,"bytes":N}.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';

const { values } = parseArgs({ options: { answers: { type: 'string' }, port: { type: 'string', default: '0' } } });
if (!values.answers) {
  process.stderr.write('usage: provider --answers DIR [--port N]\n');
  process.exit(2);
}
const small = readFileSync(join(values.answers, 'answer-5k.xml'));
const large = readFileSync(join(values.answers, 'answer-100k.xml'));
const HEADERS = { 'content-type': 'text/xml; charset=utf-8' };

let requests = 0;
let bytes = 0;

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests, bytes }));
    return;
  }
  let size = 0;
  req.on('data', (c: Buffer) => (size += c.length));
  req.on('end', () => {
    requests++;
    bytes += size;
    res.writeHead(200, HEADERS).end(size > 32 * 1024 && size <= 2 * 1024 * 1024 ? large : small);
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
