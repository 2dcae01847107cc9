import { z } from 'zod';

/** The HTTP server's settings (`http` in the configuration). Its secrets come from the environment only. */
export const HttpSettings = z.strictObject({
  /** The API, the dashboard and /metrics on one port; null: not served (0: any free port). */
  port: z.number().int().min(0).max(65535).nullable(),
  host: z.string().min(1),
  /** Lifetimes of an access token, a refresh token and a dashboard stream's ticket. */
  accessTtlS: z.number().int().min(10),
  refreshTtlS: z.number().int().min(60),
  streamTicketTtlS: z.number().int().min(5),
  /** Failed log-ins allowed per user and address in `loginWindowS`, and per address whatever the user. */
  loginAttempts: z.number().int().positive(),
  loginAttemptsPerAddress: z.number().int().positive(),
  loginWindowS: z.number().int().positive(),
  /** The tracing backend's UI (Jaeger): the dashboard links each chain to its trace there. Null: no link. */
  traceUiUrl: z.url().nullable(),
  /** How many recent events the dashboard is sent. */
  recentEvents: z.number().int().min(10).max(10_000),
});
export type HttpSettings = z.infer<typeof HttpSettings>;

/** The variables that hold the API's secrets (never a configuration file). */
export const JWT_SECRET_VAR = 'API_JWT_SECRET';
export const USERS_VAR = 'API_USERS';
