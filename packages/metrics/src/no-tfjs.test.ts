/**
 * docs/architecture.md: the metric functions of @voxnas/metrics do not need TensorFlow.js. A child Node process loads
 * the package entry with a module hook that fails any `@tensorflow/*` import, then evaluates a
 * segmentation and runs the statistics.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';

const pkgDir = dirname(dirname(fileURLToPath(import.meta.url)));

async function runWithoutTfjs(code: string) {
  return withTempDir(async (dir) => {
    await writeFile(
      join(dir, 'hooks.mjs'),
      `export async function resolve(s, c, next) {
  if (s.startsWith('@tensorflow/')) throw new Error('blocked import of ' + s);
  return next(s, c);
}\n`,
    );
    await writeFile(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
    );
    await writeFile(join(dir, 'main.mjs'), code);
    return spawnSync(
      process.execPath,
      ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--import', 'tsx', '--conditions=@voxnas/source', join(dir, 'main.mjs')],
      { cwd: pkgDir, encoding: 'utf8' },
    );
  });
}

describe('metrics without TensorFlow.js', () => {
  const entry = pathToFileURL(join(pkgDir, 'src/index.ts')).href;
  const volume = pathToFileURL(join(pkgDir, '../volume/src/index.ts')).href;
  const core = pathToFileURL(join(pkgDir, '../core/src/index.ts')).href;

  it('evaluateSegmentation, aggregation and statistics run with every @tensorflow import blocked', async () => {
    const r = await runWithoutTfjs(`
import { evaluateSegmentation, aggregateCases, wilcoxonSignedRank, bootstrapCi, createLosses } from '${entry}';
import { createVolume } from '${volume}';
import { Rng } from '${core}';
const ref = createVolume({ data: new Uint8Array(60).fill(1, 10, 40), shape: [5, 4, 3], kind: 'label' });
const pred = createVolume({ data: new Uint8Array(60).fill(1, 12, 44), shape: [5, 4, 3], kind: 'label' });
const res = evaluateSegmentation(pred, ref);
const agg = aggregateCases([{ caseId: 'a', result: res }]);
const p = wilcoxonSignedRank([1, 2, 3, 4, 5, -6]).pvalue;
const ci = bootstrapCi([1, 2, 3, 4], { rng: new Rng(1), resamples: 100 });
console.log(JSON.stringify({ dice: res.classes[0].metrics.dice, mean: agg.foregroundMean.dice, p, ok: ci.lower <= ci.upper, losses: typeof createLosses }));
`);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ dice: 56 / 62, mean: 56 / 62, p: 0.4375, ok: true, losses: 'function' });
  });

  it('the hook does block tfjs (control)', async () => {
    const r = await runWithoutTfjs(`await import('@tensorflow/tfjs-core');`);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('blocked import of @tensorflow/tfjs-core');
  });
});
