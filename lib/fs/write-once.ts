/**
 * Creates a file only if it does not exist yet, never half-written: the contents are written
 * aside and linked into place. `link` fails when another process won the race, and its file is
 * kept, so every racer ends up reading the same one.
 */
import { randomUUID } from 'node:crypto';
import { link, unlink, writeFile } from 'node:fs/promises';

export async function writeOnce(file: string, contents: string, mode = 0o600): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(tmp, contents, { mode });
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp).catch(() => {});
  }
}
