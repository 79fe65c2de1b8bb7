import { defineConfig } from 'vitest/config';

// One `npm test` runs every part. Integration tests (real sockets, child processes)
// are named *.integration.test.ts and live beside the unit tests.
export default defineConfig({
  test: {
    include: ['{crypto,client,relay,miniprogram,test-vectors,bench,scripts,demo,fuzz}/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
