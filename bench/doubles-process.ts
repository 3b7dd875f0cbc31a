/**
 * The Veo and Storage wire doubles in a process of their own, for figure 1. In production Veo
 * and Supabase Storage are remote: their work never shares the function's CPU or event loop.
 * In one process on a two-core machine the doubles' request handling would queue behind the
 * tick's (and the tick's behind theirs), adding milliseconds to every "50 ms" request.
 *
 * Run by `startDoublesProcess` (fork with an IPC channel). The child answers `ready` with the
 * URLs and keys, then takes `behavior`, `counts` and `stop` messages; every message is checked
 * with zod on both sides.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { startStorageWire, type StorageWireBehavior, type StorageWireOptions } from '../tests/doubles/storage-wire.js';
import { startVeoWire, type VeoWireBehavior, type VeoWireOptions } from '../tests/doubles/veo-wire.js';

/** What the parent sends. Behaviour patches stay plain JSON (no functions cross the channel). */
type ToChild =
  | { id: number; type: 'behavior'; veo?: Partial<VeoWireBehavior>; storage?: Partial<StorageWireBehavior> }
  | { id: number; type: 'counts' }
  | { id: number; type: 'stop' };

const countsSchema = z.object({
  veo: z.record(z.string(), z.number()),
  storage: z.object({ uploads: z.number(), failedUploads: z.number(), bytesReceived: z.number() }),
});
export type DoublesCounts = z.infer<typeof countsSchema>;

const fromChildSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), veoUrl: z.string().url(), storageUrl: z.string().url(), serviceKey: z.string().min(1) }),
  z.object({ type: z.literal('done'), id: z.number(), counts: countsSchema.optional() }),
  z.object({ type: z.literal('error'), id: z.number(), message: z.string() }),
]);

const startSchema = z.object({ veo: z.record(z.string(), z.unknown()), storage: z.record(z.string(), z.unknown()) });
const toChildSchema = z.object({ id: z.number(), type: z.enum(['behavior', 'counts', 'stop']), veo: z.record(z.string(), z.unknown()).optional(), storage: z.record(z.string(), z.unknown()).optional() });

export interface DoublesProcess {
  veo: { url: string };
  storage: { url: string; serviceKey: string };
  setBehavior(patch: { veo?: Partial<VeoWireBehavior>; storage?: Partial<StorageWireBehavior> }): Promise<void>;
  counts(): Promise<DoublesCounts>;
  /** Closes both servers and waits for the process to exit. */
  stop(): Promise<void>;
}

/** Forks this file with the options each double is started with (JSON only). */
export async function startDoublesProcess(options: { veo: VeoWireOptions; storage: StorageWireOptions }): Promise<DoublesProcess> {
  const file = fileURLToPath(import.meta.url);
  const child = fork(file, [JSON.stringify(options)], { execArgv: ['--import', 'tsx'], env: { ...process.env, BENCH_DOUBLES_CHILD: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (counts?: DoublesCounts) => void; reject: (err: Error) => void }>();
  let nextId = 1;
  const exited = once(child, 'exit');
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`the doubles process exited (${code})`));
    pending.clear();
  });
  const ready = await new Promise<z.infer<typeof fromChildSchema> & { type: 'ready' }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the doubles process exited before it was ready (${code})`)));
    child.on('message', (raw) => {
      const message = fromChildSchema.parse(raw);
      if (message.type === 'ready') return resolve(message);
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.type === 'error') waiter?.reject(new Error(message.message));
      else waiter?.resolve(message.counts);
    });
  });

  function call(message: Omit<ToChild, 'id'>): Promise<DoublesCounts | undefined> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      send(child, { ...message, id });
    });
  }

  return {
    veo: { url: ready.veoUrl },
    storage: { url: ready.storageUrl, serviceKey: ready.serviceKey },
    async setBehavior(patch) {
      await call({ type: 'behavior', ...patch });
    },
    async counts() {
      return countsSchema.parse(await call({ type: 'counts' }));
    },
    async stop() {
      if (child.exitCode !== null) return;
      await call({ type: 'stop' });
      await exited;
    },
  };
}

function send(child: ChildProcess | NodeJS.Process, message: unknown): void {
  child.send?.(message as never);
}

/** The child side: start both doubles, report, serve messages until told to stop. */
async function serve(): Promise<void> {
  const options = startSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
  const veo = await startVeoWire(options.veo as VeoWireOptions);
  const storage = await startStorageWire(options.storage as StorageWireOptions);
  const counts = (): DoublesCounts => ({
    veo: { ...veo.requests },
    storage: { uploads: storage.uploads, failedUploads: storage.failedUploads, bytesReceived: storage.bytesReceived },
  });
  // The parent going away (a crashed bench) takes the doubles with it.
  process.on('disconnect', () => void Promise.allSettled([veo.close(), storage.close()]).then(() => process.exit(0)));
  process.on('message', (raw) => {
    const message = toChildSchema.parse(raw);
    void (async () => {
      try {
        if (message.type === 'behavior') {
          if (message.veo) veo.setBehavior(message.veo as Partial<VeoWireBehavior>);
          if (message.storage) storage.setBehavior(message.storage as Partial<StorageWireBehavior>);
          send(process, { type: 'done', id: message.id });
        } else if (message.type === 'counts') {
          send(process, { type: 'done', id: message.id, counts: counts() });
        } else {
          await Promise.all([veo.close(), storage.close()]);
          send(process, { type: 'done', id: message.id });
          process.disconnect();
        }
      } catch (err) {
        send(process, { type: 'error', id: message.id, message: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
  send(process, { type: 'ready', veoUrl: veo.url, storageUrl: storage.url, serviceKey: storage.serviceKey });
}

if (process.env.BENCH_DOUBLES_CHILD === '1' && process.send) await serve();
