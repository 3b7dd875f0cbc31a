/**
 * `npm run migrate`: applies supabase/migrations to DATABASE_URL with the same runner the tests
 * and `npm start` use, for databases the Supabase CLI does not manage (`supabase db push` is the
 * usual way on Supabase; both record versions in supabase_migrations.schema_migrations).
 */
import { loadConfig } from '../lib/config.js';
import { migrate } from '../lib/db/migrate.js';
import { createPool } from '../lib/db/pool.js';

const config = loadConfig();
if (!config.DATABASE_URL) {
  process.stderr.write('DATABASE_URL: required (npm start migrates its embedded database by itself)\n');
  process.exit(2);
}
const db = createPool(config.DATABASE_URL, 1, { ca: config.DATABASE_CA_CERT });
try {
  const applied = await migrate(db);
  process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'up to date\n');
} finally {
  await db.end();
}
