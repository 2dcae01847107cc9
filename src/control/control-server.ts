import { unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { DatabaseError, InputError, asError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { AdminRequest, AdminResult } from './strategy-admin.ts';

/**
 * The embedded database belongs to one process (PGlite cannot be shared). While `run` holds it, other
 * commands (`alpha-panda strategies ...`) reach it through this: a Unix socket beside the data folder,
 * owner-only, one JSON request and one JSON answer per line. PostgreSQL deployments do not need it:
 * every command opens the database itself.
 */
export class ControlServer {
  private readonly server: Server;
  private readonly path: string;

  private constructor(server: Server, path: string) {
    this.server = server;
    this.path = path;
  }

  static async listen(path: string, handle: (r: AdminRequest) => Promise<AdminResult>, log: Logger): Promise<ControlServer> {
    try {
      unlinkSync(path); // left by a process killed with -9 (the folder lock says no live one holds it)
    } catch {
      // none
    }
    const server = createServer((socket) => {
      let buffer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        const nl = buffer.indexOf('\n');
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = '';
        let request: AdminRequest;
        try {
          request = JSON.parse(line) as AdminRequest;
        } catch {
          socket.end(`${JSON.stringify({ ok: false, error: 'the request is not JSON' })}\n`);
          return;
        }
        handle(request).then(
          (result) => socket.end(`${JSON.stringify({ ok: true, result })}\n`),
          (e: unknown) => {
            const err = asError(e);
            if (!(e instanceof InputError)) log.warn({ err, op: request.op }, 'control request failed');
            socket.end(`${JSON.stringify({ ok: false, error: err.message, issues: e instanceof InputError ? e.issues : undefined })}\n`);
          },
        );
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path, readableAll: false, writableAll: false }, () => resolve());
    });
    return new ControlServer(server, path);
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
    try {
      unlinkSync(this.path);
    } catch {
      // gone
    }
  }
}

/** Sends one request to the process holding the embedded database. */
export function askRunning(path: string, request: AdminRequest, timeoutMs = 15_000): Promise<AdminResult> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path });
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DatabaseError(`the running alpha-panda did not answer on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (c: string) => (answer += c));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(new DatabaseError(`cannot reach the running alpha-panda on ${path}: ${e.message}`, { cause: e }));
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        const r = JSON.parse(answer) as { ok: boolean; result?: AdminResult; error?: string; issues?: string[] };
        if (r.ok) resolve(r.result!);
        else reject(r.issues ? new InputError(r.issues) : new DatabaseError(r.error!));
      } catch {
        reject(new DatabaseError(`the running alpha-panda gave an answer that is not JSON on ${path}`));
      }
    });
  });
}
