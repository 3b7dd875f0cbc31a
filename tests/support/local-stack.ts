/** The environment a test gives a real `npm start`: its own folders and port, no outside services. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

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

