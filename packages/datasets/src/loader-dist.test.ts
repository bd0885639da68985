/**
 * The loader's worker entry from the built package: workers import dist/index.js (ESM) or
 * dist/index.cjs (CJS) — not the TypeScript source — and must give the same batches as in-thread.
 * `pnpm test` at the root builds first; run `pnpm build` in this package before running this file alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

const body = (dir: string) => `
  await v.generatePhantomDataset({ dir: ${JSON.stringify(dir)}, cases: 2, shape: [13, 11, 9], seed: 1 });
  const opts = { dataset: ${JSON.stringify(dir)}, patchShape: [7, 6, 5], batchSize: 2, seed: 3,
    transforms: [{ type: 'spatial', options: { elastic: { sigmaMm: 1 } } }, { type: 'noise' }] };
  const res = [];
  for (const workers of [0, 2]) {
    const l = await v.createLoader({ ...opts, workers });
    res.push([await l.next(), await l.next()]);
    await l.close();
  }
  const same = res[0].every((b, i) => Buffer.from(b.images.buffer).equals(Buffer.from(res[1][i].images.buffer)));
  console.log(JSON.stringify({ same, shape: res[1][0].imageShape }));
`;

describe('loader workers from the built package', () => {
  it.each([
    [
      'CommonJS',
      (dir: string) =>
        `const v = require(${JSON.stringify(`${dist}index.cjs`)}); (async () => {${body(dir)}})().catch((e) => { console.error(e); process.exit(1); });`,
      ['-e'],
    ],
    [
      'ESM',
      (dir: string) => `const v = await import(${JSON.stringify(`${dist}index.js`)}); ${body(dir)}`,
      ['--input-type=module', '-e'],
    ],
  ] as const)('%s: 2 workers give the in-thread batches', async (_name, script, flags) => {
    expect(
      existsSync(`${dist}index.cjs`) && existsSync(`${dist}index.js`),
      'run `pnpm build` in packages/datasets',
    ).toBe(true);
    await withTempDir(async (dir) => {
      const out = execFileSync(process.execPath, [...flags, script(dir)], { encoding: 'utf8', cwd: dir });
      expect(JSON.parse(out)).toEqual({ same: true, shape: [2, 5, 6, 7, 2] });
    });
  });
});
