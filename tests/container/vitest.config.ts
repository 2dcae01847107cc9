import { defineConfig } from 'vitest/config';

/** `npm run test:container`: the image built with podman and the compose deployment rehearsed (not part of `npm test`). */
export default defineConfig({
  test: {
    include: ['tests/container/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    maxWorkers: 1,
    env: { LOG_LEVEL: 'silent' },
  },
});
