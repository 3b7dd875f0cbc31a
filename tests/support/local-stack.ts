/** The environment a test gives a real `npm start`: its own folders and port, no outside services. */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../lib/db/embedded.js';

export function localStackEnv(dir: string, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(port),
    LOCAL_POSTGRES_DIR: path.join(dir, 'postgres'),
    LOCAL_STORAGE_DIR: path.join(dir, 'storage'),
    AUTH_DEV_KEYS_DIR: path.join(dir, 'dev-auth'),
    LOCAL_SCHEDULER_SECONDS: '1',
    LOCAL_VIDEO_DELAY_MS: '500',
    LOG_LEVEL: '',
    DATABASE_URL: '',
    SUPABASE_URL: '',
    GEMINI_API_KEY: '',
    GOOGLE_API_KEY: '',
    CRON_SECRET: '',
  };
}

export function waitFor(proc: ChildProcess, pattern: RegExp, output: { text: string }, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${output.text}`)), timeoutMs);
    const check = () => {
      const m = output.text.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    proc.stdout!.on('data', check);
    proc.on('exit', () => reject(new Error(`exited early:\n${output.text}`)));
    check();
  });
}

/** Runs `scripts/<name>.ts` through tsx, as the npm scripts do, collecting stdout and stderr in `output`. */
export function runScript(name: string, env: NodeJS.ProcessEnv, output: { text: string }): ChildProcess {
  const proc = spawn(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), `scripts/${name}.ts`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (output.text += d));
  proc.stderr!.on('data', (d) => (output.text += d));
  return proc;
}


export interface RunningStack {
  base: string;
  output: { text: string };
  /** Ctrl-C, waits for the exit, removes the stack's folders. */
  stop(): Promise<void>;
}

/** A real `npm start` on a free port in a fresh folder, with `env` over localStackEnv, up and serving. */
export async function startLocalStack(label: string, env: NodeJS.ProcessEnv = {}): Promise<RunningStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `video-${label}-`));
  await chmod(dir, 0o755);
  const port = await freePort();
  const output = { text: '' };
  const child = runScript('start', { ...localStackEnv(dir, port), ...env }, output);
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(child, /Explainer video service on/, output, 90_000);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { base: `http://127.0.0.1:${port}`, output, stop };
}
