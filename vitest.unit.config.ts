// `npm run test:unit`: the unit tests alone (no daemon, nothing under integration/), files in parallel.
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [...configDefaults.exclude, 'integration/**'],
      fileParallelism: true,
    },
  }),
);
