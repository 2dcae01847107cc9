import { pino, type Logger } from 'pino';

export type { Logger };

/** The root logger. Level from LOG_LEVEL (validated with the rest of the configuration at start-up). */
export const rootLogger: Logger = pino({
  name: 'alpha-panda',
  level: process.env.LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
});

export function childLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ component, ...bindings });
}
