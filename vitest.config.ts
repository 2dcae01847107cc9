import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'src/**/*.test.ts', 'actors/**/*.test.ts', 'supervisors/**/*.test.ts'],
    // The container rehearsal runs on its own (npm run test:container): it needs podman and minutes.
    exclude: ['**/node_modules/**', 'tests/container/**'],
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: broker scenario files run in parallel with unit files, never more than two at once.
    maxWorkers: 2,
    env: { LOG_LEVEL: 'silent' },
  },
});
