/**
 * Luma's variables (issue 17): each bad value named, and a generation Luma made polled by the
 * Luma provider through services.providerFor, as the tick does for every operation.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.js';
import { buildServices } from '../lib/services.js';
import { type LumaWire, startLumaWire } from './doubles/luma-wire.js';
import { configRefusal as refusal } from './support/refusals.js';

let wire: LumaWire | undefined;
afterEach(async () => {
  await wire?.close();
  wire = undefined;
});

describe('Luma configuration', () => {
  it('defaults to Ray Flash 2 at 720p and names each bad value', () => {
    expect(loadConfig({})).toMatchObject({ LUMA_MODEL: 'ray-flash-2', LUMA_RESOLUTION: '720p' });
    const bad = refusal({ LUMA_MODEL: 'ray-1-6', LUMA_RESOLUTION: '8k', LUMA_BASE_URL: 'ftp://x' });
    expect(bad.variables.sort()).toEqual(['LUMA_BASE_URL', 'LUMA_MODEL', 'LUMA_RESOLUTION']);
    expect(bad.message).toMatch(/LUMA_MODEL: must be one of ray-2, ray-flash-2/);
  });

  it('polls a Luma generation with the Luma provider when a key is set, and says so when none is', async () => {
    wire = await startLumaWire({ pollsUntilDone: 1 });
    const config = loadConfig({ LUMA_API_KEY: wire.apiKey, LUMA_BASE_URL: wire.baseUrl });
    const services = buildServices(config, { db: {} as never, store: {} as never, verifier: {} as never });
    const luma = services.providerFor('luma');
    expect(luma.name).toBe('luma');
    expect(services.providerFor('luma')).toBe(luma);
    const { operationName } = await luma.startVideo({ prompt: 'A cell divides', aspectRatio: '16:9', durationSeconds: 5 });
    expect(wire.creates[0]).toMatchObject({ model: 'ray-flash-2', resolution: '720p', duration: '5s' });
    expect(await luma.getVideoOperation(operationName)).toMatchObject({ done: true, video: { kind: 'uri' } });

    const without = buildServices(loadConfig({}), { db: {} as never, store: {} as never, verifier: {} as never });
    expect(() => without.providerFor('luma')).toThrow(/luma provider this task needs is not configured/);
  });
});
