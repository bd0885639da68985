import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../test/run-cli.js';
import { tinySettings } from '../../test/tiny-settings.js';

const CANDIDATES = ['zero', 'identity', 'conv-3x3x3', 'p3d-3x3x1'];
const TINY = tinySettings(`search.candidates=${JSON.stringify(CANDIDATES)}`, 'search.steps=4', 'search.warmupSteps=1', 'search.deriveEvery=2', 'search.archLr=0.5', 'train.steps=2', 'train.warmupSteps=1', 'train.validateEvery=2');

type Probabilities = Record<string, number[]>;

/** The `arch` snapshots of a search run's log, by step (read here, independently of the command). */
function snapshots(run: string): Map<number, Probabilities> {
  const out = new Map<number, Probabilities>();
  for (const line of readFileSync(join(run, 'log.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { type: string; step: number; probabilities: Probabilities };
    if (r.type === 'arch') out.set(r.step, r.probabilities);
  }
  return out;
}

const choicesOf = (file: string): Record<string, string> => (JSON.parse(readFileSync(file, 'utf8')) as { choices: Record<string, string> }).choices;

describe('voxnas derive', () => {
  it("re-derives the search's own genotypes from its logged α, one operator per cell type on request, and the result trains", async () => {
    await withTempDir(async (tmp) => {
      const search = join(tmp, 'search');
      expect((await runCli(['search', '--out', search, '--quiet', ...TINY])).code).toBe(0);
      const snaps = snapshots(search);
      expect([...snaps.keys()]).toEqual([1, 3]);

      // Per edge from the final snapshot: the search's genotype-final.json (which it derived from its α tensors).
      const final = await runCli(['derive', '--run', search, '--out', join(tmp, 'final.json'), '--json']);
      expect(final.code, final.err).toBe(0);
      expect(JSON.parse(final.out).step).toBe(3);
      expect(choicesOf(join(tmp, 'final.json'))).toEqual(choicesOf(join(search, 'genotype-final.json')));
      // The snapshot the search kept: its genotype.json.
      const bestStep = (JSON.parse(readFileSync(join(search, 'search.json'), 'utf8')) as { bestStep: number }).bestStep;
      const best = await runCli(['derive', '--run', search, '--out', join(tmp, 'best.json'), '--from', 'best', '--json']);
      expect(JSON.parse(best.out).step).toBe(bestStep);
      expect(choicesOf(join(tmp, 'best.json'))).toEqual(choicesOf(join(search, 'genotype.json')));

      // One operator per cell type: the non-zero candidate with the largest summed probability, on the
      // edges the per-edge rule keeps.
      const cell = await runCli(['derive', '--run', search, '--out', join(tmp, 'cell.json'), '--operators', 'cell']);
      expect(cell.code, cell.err).toBe(0);
      expect(cell.out).toMatch(/^voxnas derive: .*cell\.json \(step 3, operators per cell, top-k 2\)\n {2}encoder-normal: /);
      const perEdge = choicesOf(join(tmp, 'final.json'));
      const shared = choicesOf(join(tmp, 'cell.json'));
      for (const type of ['encoder-normal', 'reduction', 'decoder-normal', 'expansion']) {
        const labels = Object.keys(perEdge).filter((l) => l.startsWith(`${type}.`));
        const mass = CANDIDATES.map((_, i) => labels.reduce((s, l) => s + snaps.get(3)![l]![i]!, 0));
        const want = CANDIDATES.map((n, i) => [n, mass[i]!] as const).filter(([n]) => n !== 'zero').reduce((a, b) => (b[1] > a[1] ? b : a))[0];
        for (const l of labels) expect(shared[l]).toBe(perEdge[l] === 'zero' ? 'zero' : want);
      }
      const meta = (JSON.parse(readFileSync(join(tmp, 'cell.json'), 'utf8')) as { meta: Record<string, unknown> }).meta;
      expect(meta).toMatchObject({ operators: 'cell', topK: 2, searchStep: 3 });

      // An earlier logged step, and a step that was not logged.
      expect((await runCli(['derive', '--run', search, '--out', join(tmp, 'one.json'), '--from', '1'])).code).toBe(0);
      const missing = await runCli(['derive', '--run', search, '--out', join(tmp, 'two.json'), '--from', '2']);
      expect(missing.code).toBe(1);
      expect(missing.err).toContain('no architecture snapshot at step 2 (--from 2); logged steps: 1, 3');
      expect(existsSync(join(tmp, 'two.json'))).toBe(false);

      // The derived genotype is an ordinary --arch for voxnas train.
      const train = join(tmp, 'train');
      const t = await runCli(['train', '--out', train, '--arch', join(tmp, 'cell.json'), '--quiet', ...TINY]);
      expect(t.code, t.err).toBe(0);
      expect((JSON.parse(readFileSync(join(train, 'network.json'), 'utf8')) as { genotype: { choices: unknown } }).genotype.choices).toEqual(shared);
    });
  }, 600_000);

  it('bad flags are usage errors and a directory that is not a finished search is refused; nothing is written', async () => {
    await withTempDir(async (tmp) => {
      const out = join(tmp, 'g.json');
      for (const [args, message] of [
        [['--out', out], 'voxnas derive: --run <search-run> is required'],
        [['--run', tmp], 'voxnas derive: --out <genotype.json> is required'],
        [['--run', tmp, '--out', out, '--operators', 'node'], "voxnas derive: --operators is 'node', expected one of edge, cell"],
        [['--run', tmp, '--out', out, '--top-k', '0'], "voxnas derive: --top-k is '0', expected a positive integer or 'all'"],
        [['--run', tmp, '--out', out, '--from', 'latest'], "voxnas derive: --from is 'latest', expected final, best or a search step"],
      ] as const) {
        const r = await runCli(['derive', ...args]);
        expect([r.code, r.err.split('\n')[0]]).toEqual([2, message]);
      }
      const r = await runCli(['derive', '--run', tmp, '--out', out]);
      expect(r.code).toBe(1);
      expect(r.err).toContain(`voxnas derive --run ${tmp}: no search.json there (not a finished search run)`);
      expect(existsSync(out)).toBe(false);
    });
  });
});
