import { createWriteStream } from 'node:fs';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Where logs go: stderr (stdout is the summary's), human-readable on a terminal and JSON otherwise; or a file. */
function destination(file: string | undefined): DestinationStream {
  if (file) return createWriteStream(file, { flags: 'a' });
  if (process.stderr.isTTY) return pretty({ destination: 2, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' });
  return pino.destination({ fd: 2, sync: true });
}

/**
 * Keys whose values never reach a log line, wherever they appear in what is logged (two levels deep):
 * Kite's tokens and secret, JWTs and refresh tokens, passwords, and the HTTP headers that carry them
 * (`Authorization`, `Cookie`, `Set-Cookie`, in either case: Node lower-cases incoming headers).
 */
const SECRET_KEYS = [
  'token',
  'ticket',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'apiSecret',
  'api_secret',
  'password',
  'passwd',
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'Set-Cookie',
  'jwt',
  'checksum',
  'request_token',
  'requestToken',
];
// fast-redact paths: a key that is not an identifier (set-cookie) is written in brackets.
const path = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`);
const REDACT_PATHS = SECRET_KEYS.map(path).flatMap((k) => (k.startsWith('[') ? [k, `*${k}`, `*.*${k}`] : [k, `*.${k}`, `*.*.${k}`]));

/** Secrets the process holds (the Kite access token, the API secret): cut out of every line, whatever path it took. */
const secrets = new Set<string>();

/** A value that must never be written to a log: every line is scrubbed of it from now on. */
export function keepSecret(value: string | undefined): void {
  if (value && value.length >= 6) secrets.add(value);
}

/** The line as written: each secret replaced (a few `includes` per line: there are only ever a handful). */
export function scrub(line: string): string {
  for (const s of secrets) if (line.includes(s)) line = line.split(s).join('[redacted]');
  return line;
}

/** Every logger's options: named, redacting by key and by value. */
export function loggerOptions(level: string): LoggerOptions {
  return { name: 'alpha-panda', level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, hooks: { streamWrite: scrub } };
}

/**
 * The root logger. It starts quiet under the test runner and at `info` otherwise; the CLI sets the
 * level from the validated configuration (LOG_LEVEL), so a bad value is a configuration error that names
 * the variable, not a crash at import.
 */
export let rootLogger: Logger = pino(loggerOptions(process.env.VITEST ? 'silent' : 'info'), destination(undefined));

/** Sends logs to `file` instead of stderr (LOG_FILE). */
export function logToFile(file: string, level: LogLevel): Logger {
  rootLogger = pino(loggerOptions(level), destination(file));
  return rootLogger;
}
