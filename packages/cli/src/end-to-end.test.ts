import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNifti } from '@voxnas/volume/node';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test/run-cli.js';
import { main } from './main.js';
import { tinySettings } from '../test/tiny-settings.js';

// The whole tool on the built-in phantom data, through the CLI entry point:
// search → genotype → train the child → predict (on the input's original grid) → export → predict
// from the export (same labels) → report, plus the memory pre-flight.

const TINY = tinySettings('search.steps=4', 'search.warmupSteps=1', 'search.deriveEvery=2', 'train.steps=4', 'train.warmupSteps=1', 'train.validateEvery=2');

async function voxnas(args: string[]): Promise<string> {
  const { code, out, err } = await runCli(args);
  if (code !== 0) throw new Error(`voxnas ${args.join(' ')} exited ${code}: ${err}`);
  return out;
}

describe('voxnas end to end', () => {
  it('search → train → predict → export → predict from export → report', async () => {
    await withTempDir(async (tmp) => {
      const search = join(tmp, 'search');
      const s = JSON.parse(await voxnas(['search', '--out', search, '--json', ...TINY]));
      expect(s.steps).toBe(4);
      const genotype = JSON.parse(readFileSync(join(search, 'genotype.json'), 'utf8'));
      expect(genotype.schema).toBe('voxnas/genotype@1');
      expect(readFileSync(join(search, 'genotype.svg'), 'utf8')).toMatch(/^<svg/);
      const arch = readFileSync(join(search, 'log.jsonl'), 'utf8').split('\n').filter((l) => l.includes('"type":"arch"'));
      expect(arch.length).toBe(2);

      const train = join(tmp, 'train');
      const t = JSON.parse(await voxnas(['train', '--out', train, '--arch', join(search, 'genotype.json'), '--json', ...TINY]));
      expect(t.params).toBe(s.params);
      expect(Object.keys(t.dice)).toEqual(['ellipsoid', 'box', 'tube']);
      for (const d of Object.values(t.dice) as number[]) expect(d >= 0 && d <= 1).toBe(true);
      const metrics = JSON.parse(readFileSync(join(train, 'metrics.json'), 'utf8'));
      expect(metrics.cases.length).toBe(2);

      // Predict a held-out test image (never seen in training) and check it lands on the input's grid.
      const input = join(search, 'data', 'phantom', 'imagesTs');
      const image = await readNifti(join(input, readdirSync(input)[0]!));
      const pred = join(tmp, 'pred');
      await voxnas(['predict', '--run', train, '--input', input, '--output', pred]);
      const [predFile] = readdirSync(pred);
      const labels = await readNifti(join(pred, predFile!));
      expect(labels.shape).toEqual(image.shape);
      expect(Array.from(labels.affine)).toEqual(Array.from(image.affine));
      expect(labels.kind).toBe('label');
      expect(Math.max(...labels.data)).toBeLessThanOrEqual(3);

      // Export, then predict from the exported model: the same labels.
      const exported = join(tmp, 'export');
      await voxnas(['export', '--run', train, '--out', exported]);
      for (const f of ['model.json', 'weights.bin', 'network.json', 'model-card.json']) expect(existsSync(join(exported, f))).toBe(true);
      const pred2 = join(tmp, 'pred2');
      await voxnas(['predict', '--run', exported, '--input', input, '--output', pred2]);
      const again = await readNifti(join(pred2, predFile!));
      expect(Array.from(again.data)).toEqual(Array.from(labels.data));

      const report = join(tmp, 'report.html');
      await voxnas(['report', '--run', search, '--run', train, '--out', report]);
      const html = readFileSync(report, 'utf8');
      expect(html).toContain('<svg');
      expect(html).not.toMatch(/(src|href)="https?:/);
      // the data: best / median / worst validation case as embedded PNG slices (2 validation cases here)
      expect(html).toContain('Cases: image · reference · prediction');
      expect(html.match(/<img alt="[^"]+" src="data:image\/png;base64,/g)?.length).toBe(6);
    });
  }, 900_000);

  it('search --dry-run measures the configured sampler against the full mixture', async () => {
    const r = JSON.parse(await voxnas(['search', '--dry-run', '--json', ...TINY]));
    expect(r.rows.map((x: { sampler: string }) => x.sampler)).toEqual(['gumbel k=1', 'full (DARTS)']);
    expect(r.rows[1].peakMiB).toBeGreaterThan(r.rows[0].peakMiB);
    expect(typeof r.fits).toBe('boolean');
  }, 300_000);

  it('bad config values fail before any work, naming the field (exit 1)', async () => {
    const err: string[] = [];
    const code = await main(['search', '--out', '/nonexistent/x', '--set', 'search.sampler=softmax'], {
      out: () => {},
      err: (t) => err.push(t),
    });
    expect(code).toBe(1);
    expect(err.join('\n')).toContain(`field 'search.sampler' must be one of 'gumbel', 'full', 'uniform', got 'softmax'`);
  });
});
