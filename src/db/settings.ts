import { z } from 'zod';

/** Where state lives: PostgreSQL when a URL is given, else an embedded PGlite database in `dir`; or nowhere. */
export const DatabaseSettings = z.strictObject({
  /** false: no database; positions and limits live in memory and strategies come from the YAML file. */
  enabled: z.boolean(),
  /** DATABASE_URL: postgres://user:pass@host:port/db. */
  url: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL').nullable(),
  /** The embedded database's folder (created when missing), used when `url` is null; `memory://` keeps it in memory. */
  dir: z.string().min(1),
});
export type DatabaseSettings = z.infer<typeof DatabaseSettings>;
