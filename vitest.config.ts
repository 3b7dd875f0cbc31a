import { defineConfig } from 'vitest/config';

// Two projects: `unit` holds the tests beside the pure modules they test (lib/, web/) and needs
// nothing started, so `npm run test:unit` answers in seconds; `integration` (tests/) runs against
// the real PostgreSQL, the wire doubles and Chromium that the global setup brings up.
// `npm test` runs both.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { LOG_LEVEL: 'silent' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['lib/**/*.test.ts', 'web/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['tests/**/*.test.ts'], globalSetup: ['tests/support/global-setup.ts'] } },
    ],
  },
});
