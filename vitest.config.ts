import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'pkg/**/*.test.ts',
      'services/**/*.test.ts',
      'shim/**/*.test.ts',
      'pkg/**/*.test.ts',
      'client/**/*.test.ts',
      'api/**/*.test.ts',
      'cmd/**/*.test.ts',
      'dockerd/**/*.test.ts',
      'integration/**/*.test.ts',
    ],
    // Integration tests start daemons and use real mounts: one file at a time on a 2-core machine.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
