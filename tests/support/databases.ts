import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { DatabaseSettings } from '../../src/db/settings.ts';

/**
 * The two databases every database test runs on: embedded PGlite (in memory) and the machine's
 * PostgreSQL (ALPHA_PANDA_TEST_POSTGRES, default the local server with trust auth, which .ci/run
 * starts), a fresh database per use, dropped after.
 */
export const POSTGRES_ADMIN = process.env.ALPHA_PANDA_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly settings: DatabaseSettings;
  /** The URL, for a PostgreSQL one (a child process is given it as DATABASE_URL). */
  readonly url: string | null;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: POSTGRES_ADMIN });
  await c.connect().catch((e: Error) => {
    throw new Error(`the database tests need PostgreSQL at ${POSTGRES_ADMIN} (.ci/run starts it): ${e.message}`);
  });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function freshPostgres(): Promise<TestDatabase> {
  const name = `ap_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await admin((c) => c.query(`create database ${name}`));
  const url = POSTGRES_ADMIN.replace(/\/[^/]*$/, `/${name}`);
  return {
    settings: { enabled: true, url, dir: 'unused' },
    url,
    drop: () => admin((c) => c.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}

export function memoryPglite(): TestDatabase {
  return { settings: { enabled: true, url: null, dir: 'memory://' }, url: null, drop: async () => undefined };
}

export const BACKENDS: ReadonlyArray<{ readonly name: string; make(): Promise<TestDatabase> | TestDatabase }> = [
  { name: 'PGlite', make: memoryPglite },
  { name: 'PostgreSQL', make: freshPostgres },
];

/** One query on a database by URL (a test reading back what a process wrote). */
export async function query<T>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}
