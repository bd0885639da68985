import { defineConfig } from 'vitest/config';

/** Shared vitest configuration; each package's `vitest.config.ts` merges it. */
export default defineConfig({
  resolve: { conditions: ['@voxnas/source'] },
  ssr: { resolve: { conditions: ['@voxnas/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
    typecheck: { enabled: false },
  },
});
