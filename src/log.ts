import { createWriteStream } from 'node:fs';
import { pino, type DestinationStream, type Logger } from 'pino';
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
 * The root logger. It starts quiet under the test runner and at `info` otherwise; the CLI sets the
 * level from the validated configuration (LOG_LEVEL), so a bad value is a configuration error that names
 * the variable, not a crash at import.
 */
export let rootLogger: Logger = pino({ name: 'alpha-panda', level: process.env.VITEST ? 'silent' : 'info' }, destination(undefined));

/** Sends logs to `file` instead of stderr (LOG_FILE). */
export function logToFile(file: string, level: LogLevel): Logger {
  rootLogger = pino({ name: 'alpha-panda', level }, destination(file));
  return rootLogger;
}
