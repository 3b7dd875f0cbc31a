/** What a call refused with, for tests that assert on the refusal itself. */
import { ConfigError, loadConfig } from '../../lib/config.js';

/** The error the promise rejects with; throws if it resolves. */
export async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** The ConfigError loadConfig throws for this environment; throws if it accepts it. */
export function configRefusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
