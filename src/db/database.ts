import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { LoggerNamespace, LoggerOptions } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM as PgliteORM } from '@mikro-orm/pglite';
import { MikroORM as PostgresORM, type EntityManager } from '@mikro-orm/postgresql';
import { DatabaseError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { ENTITIES } from './entities.ts';
import { FolderLock } from './lock.ts';
import type { DatabaseSettings } from './settings.ts';

export const MIGRATIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), 'migrations');

/** The advisory lock key under which schema changes and the first seeding happen (any fixed bigint). */
const SCHEMA_LOCK = 7_413_095_801;

type Orm = { em: EntityManager; migrator: Migrator; close(force?: boolean): Promise<void> };

/** MikroORM's own logging goes to ours, at debug. */
function loggerFactory(log: Logger) {
  return (options: LoggerOptions) => ({
    log: (namespace: LoggerNamespace | string, message: string) => log.debug({ orm: namespace }, message),
    error: (namespace: LoggerNamespace | string, message: string) => log.error({ orm: namespace }, message),
    warn: (namespace: LoggerNamespace | string, message: string) => log.warn({ orm: namespace }, message),
    logQuery: () => undefined,
    setDebugMode: () => undefined,
    isEnabled: () => options.debugMode !== false,
  });
}

/**
 * The database, through MikroORM: the same entities and migrations on PostgreSQL (`@mikro-orm/postgresql`)
 * and on PGlite (`@mikro-orm/pglite`, Postgres compiled to WASM, in process). A unit of work forks the
 * entity manager (`em()`); the global one is never used.
 */
export class Database {
  readonly kind: 'postgres' | 'embedded';
  /** Where it is: the URL without its password, or the folder. */
  readonly where: string;
  /** The control socket of the process holding an embedded database (the lock names it for other commands). */
  readonly socket: string | undefined;
  private readonly orm: Orm;
  private readonly lock: FolderLock | undefined;
  private readonly pglite: PGlite | undefined;

  private constructor(kind: 'postgres' | 'embedded', where: string, orm: Orm, lock?: FolderLock, pglite?: PGlite, socket?: string) {
    this.kind = kind;
    this.where = where;
    this.orm = orm;
    this.lock = lock;
    this.pglite = pglite;
    this.socket = socket;
  }

  /**
   * Opens the configured database. An embedded one is locked to this process (a second is refused with
   * who holds it); PostgreSQL is shared by every instance of a deployment.
   */
  static async open(settings: DatabaseSettings, log: Logger): Promise<Database> {
    const common = { entities: ENTITIES, extensions: [Migrator], loggerFactory: loggerFactory(log), debug: false, migrations: { path: MIGRATIONS_DIR, emit: 'ts' as const, glob: '!(*.d).{js,ts}', transactional: true, allOrNothing: true, snapshot: false } };
    if (settings.url) {
      const where = settings.url.replace(/\/\/([^:@/]+):[^@]*@/, '//$1:***@');
      try {
        const orm = (await PostgresORM.init({ ...common, clientUrl: settings.url, pool: { min: 0, max: 5 } })) as unknown as Orm;
        // The pool connects lazily: reach the server now, so a wrong URL is said here, plainly.
        await orm.em.fork().execute('select 1').catch(async (e: unknown) => {
          await orm.close(true).catch(() => undefined);
          throw e;
        });
        return new Database('postgres', where, orm);
      } catch (e) {
        throw new DatabaseError(`cannot open the database at ${where}: ${(e as Error).message}`, { cause: e });
      }
    }
    if (settings.dir.startsWith('memory://')) {
      const pglite = await PGlite.create();
      const orm = (await PgliteORM.init({ ...common, dbName: 'alpha_panda', driverOptions: { pglite } })) as unknown as Orm;
      return new Database('embedded', 'memory', orm, undefined, pglite);
    }
    const dir = resolve(settings.dir);
    mkdirSync(dirname(dir), { recursive: true });
    mkdirSync(dir, { recursive: true });
    const lock = new FolderLock(`${dir}.lock`);
    const socket = `${dir}.sock`;
    lock.acquire(socket);
    try {
      const pglite = await PGlite.create({ dataDir: dir });
      const orm = (await PgliteORM.init({ ...common, dbName: 'alpha_panda', driverOptions: { pglite } })) as unknown as Orm;
      return new Database('embedded', dir, orm, lock, pglite, socket);
    } catch (e) {
      lock.release();
      throw new DatabaseError(`cannot open the embedded database in ${dir}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** A fresh unit of work. */
  em(): EntityManager {
    return this.orm.em.fork();
  }

  /** Applies the migrations not yet applied; returns their names (none when up to date). */
  async migrate(): Promise<string[]> {
    return this.exclusively(async () => (await this.orm.migrator.up()).map((m) => m.name));
  }

  /**
   * Runs `fn` while no other process does the same on this database: instances of a deployment started
   * together would otherwise migrate (or seed) an empty database at once, and all but one fail. On
   * PostgreSQL, a transaction holding an advisory lock for the length of `fn`; an embedded database is
   * one process's already (its folder lock).
   */
  async exclusively<T>(fn: () => Promise<T>): Promise<T> {
    if (this.kind !== 'postgres') return fn();
    return this.orm.em.fork().transactional(async (em) => {
      await em.execute(`select pg_advisory_xact_lock(${SCHEMA_LOCK})`);
      return fn();
    });
  }

  async pending(): Promise<string[]> {
    return (await this.orm.migrator.getPending()).map((m) => m.name);
  }

  async close(): Promise<void> {
    await this.orm.close(true).catch(() => undefined);
    await this.pglite?.close().catch(() => undefined);
    this.lock?.release();
  }
}
