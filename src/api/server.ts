import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hono } from 'hono';
import { ConfigError } from '../errors.ts';

export interface HttpServer {
  /** Where it listens, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `app` on host:port (0: any free port). A port in use is a configuration error naming it. */
export async function listen(app: Hono, host: string, port: number, graceMs = 1500): Promise<HttpServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }) as Server;
    s.once('listening', () => resolve(s));
    s.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES') reject(new ConfigError([`http.port: cannot listen on ${host}:${port} (${e.code}): choose another with --http <port> or HTTP_PORT`]));
      else if (e.code === 'ENOTFOUND' || e.code === 'EADDRNOTAVAIL' || e.code === 'EAI_AGAIN' || e.code === 'EINVAL') reject(new ConfigError([`HTTP_HOST (http.host): cannot listen on '${host}' (${e.code}): an address of this machine, e.g. 127.0.0.1 or 0.0.0.0`]));
      else reject(e);
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        // No new connections; idle ones close now; requests in flight get `graceMs` to finish (the
        // app ends its streams when told it is closing), then whatever is left is cut.
        const cut = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/** Fails now, before anything starts, when host:port cannot be listened on (taken, or not ours to take). */
export async function checkPort(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = await listen(new Hono(), host, port);
  await probe.close();
}
