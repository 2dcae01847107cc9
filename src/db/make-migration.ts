/**
 * For developers: `npm run db:make-migration` writes the migration that takes the schema from what the
 * existing migrations build to what the entities say, into src/db/migrations (TypeScript: the package
 * is ESM, and MikroORM's JS emit is CommonJS). Runs against a throwaway in-memory PGlite.
 */
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM } from '@mikro-orm/pglite';
import { ENTITIES } from './entities.ts';
import { MIGRATIONS_DIR } from './database.ts';

const orm = await MikroORM.init({ entities: ENTITIES, dbName: 'memory://', extensions: [Migrator], debug: false, migrations: { path: MIGRATIONS_DIR, emit: 'ts', glob: '!(*.d).{js,ts}', snapshot: false } });
await orm.migrator.up();
const created = await orm.migrator.create();
process.stdout.write(created.diff.up.length ? `wrote ${created.fileName}\n` : 'the migrations already match the entities\n');
await orm.close(true);
