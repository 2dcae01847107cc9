import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';

/**
 * The compose file's Redpanda and Jaeger endpoints on loopback, in a process of their own (the test's
 * podman calls block its event loop, which must not stall the containers' traffic):
 * - 127.0.0.1:<kafkaPort> forwards to the test broker (which then advertises its own address);
 * - 127.0.0.1:<otlpPort> takes OTLP/HTTP JSON traces and prints each span as a JSON line on stdout.
 * Usage: node stand-ins.ts <kafkaPort> <brokerHost:port> <otlpPort>. Prints "ready" once listening.
 */
const [kafkaPort, broker, otlpPort] = process.argv.slice(2);
const host = broker!.slice(0, broker!.lastIndexOf(':'));
const port = Number(broker!.slice(broker!.lastIndexOf(':') + 1));

const kafka = createServer((c) => {
  const b = connect(port, host);
  c.pipe(b).pipe(c);
  c.on('error', () => b.destroy());
  b.on('error', () => c.destroy());
});

const otlp = createHttpServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    try {
      const doc = JSON.parse(body) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: Array<{ traceId: string; name: string }> }> }> };
      for (const r of doc.resourceSpans ?? []) for (const s of r.scopeSpans ?? []) for (const sp of s.spans ?? []) process.stdout.write(`${JSON.stringify({ traceId: sp.traceId, name: sp.name })}\n`);
    } catch {
      // Not OTLP JSON: nothing to record.
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

const listen = (server: { listen(port: number, host: string, cb: () => void): unknown; once(e: 'error', f: (e: Error) => void): unknown }, p: number) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, '127.0.0.1', resolve);
  });
await listen(kafka, Number(kafkaPort));
await listen(otlp, Number(otlpPort));
process.stdout.write('ready\n');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
