/** The environment a test gives a real `npm start`: its own folders and port, no outside services. */
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
