/** `npm run build` (Vercel runs it too): the dashboard into `public/` (lib/dashboard/build.ts). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboard } from '../lib/dashboard/build.js';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
try {
  const built = await buildDashboard(root);
  process.stdout.write(`dashboard: public/${built.script} (${Math.round(built.scriptBytes / 1024)} KB), public/${built.stylesheet}\n`);
} catch (err) {
  process.stderr.write(`npm run build: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
