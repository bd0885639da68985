import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Rng } from '@voxnas/core';
import { createSearchSpace, Supernet } from '@voxnas/supernet';
import { expectNoLeaks } from '@voxnas/testing';
import { evaluateSearchQuality } from './search-quality.js';

const space = createSearchSpace({ levels: 2, baseChannels: 4, nodes: 2, classes: 2 });

describe('evaluateSearchQuality', () => {
  it('scores each child with the supernet weights, trains each alone, and correlates the two rankings', async () => {
    const supernet = new Supernet(space, { rng: new Rng(1) });
    const weights = new Map(supernet.namedVariables().map((v) => [v.path, v.variable.dataSync().slice()]));
    const inherited: boolean[] = [];
    const trained: string[] = [];
    const report = await expectNoLeaks(() =>
      evaluateSearchQuality({
        supernet,
        samples: 5,
        rng: new Rng(2),
        resamples: 200,
        // Proxy: the parameter count read off the child; it must carry the supernet's weights.
        proxyScore: async (net) => {
          inherited.push(net.namedVariables().every((v) => Buffer.from(v.variable.dataSync().buffer).equals(Buffer.from(weights.get(v.path)!.buffer))));
          return net.trainableVariables().reduce((a, v) => a + v.size, 0);
        },
        // "Stand-alone": the order of the calls, so the test sees which architectures were trained.
        trainStandalone: async ({ id }) => {
          trained.push(id);
          return trained.length;
        },
      }),
    );
    expect(inherited).toEqual([true, true, true, true, true, true]);
    expect(trained).toEqual(['derived', 'random-0', 'random-1', 'random-2', 'random-3', 'random-4']);
    expect(report.count).toBe(6);
    expect(report.architectures[0]!.origin).toBe('derived');
    // The proxy here is the child's trainable parameter count: the same number genotypeCost reports.
    expect(report.architectures.map((a) => a.params)).toEqual(report.architectures.map((a) => a.proxy));
    expect(report.architectures.map((a) => a.standalone)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(report.derivedStandaloneRank).toBeGreaterThanOrEqual(1);
    expect(report.derivedStandaloneRank).toBeLessThanOrEqual(6);
    expect(report.kendall.lower).toBeLessThanOrEqual(report.kendall.upper);
    supernet.dispose();
  });

  it('a perfectly agreeing proxy has τ = ρ = 1 and ranks the derived architecture identically', async () => {
    const supernet = new Supernet(space, { rng: new Rng(3) });
    const score = (g: { choices: Record<string, string> }) => Object.values(g.choices).join('|').length;
    const report = await evaluateSearchQuality({
      supernet,
      samples: 6,
      rng: new Rng(4),
      resamples: 100,
      proxyScore: async (net) => score((net as unknown as { genotype: { choices: Record<string, string> } }).genotype),
      trainStandalone: async ({ genotype }) => 2 * score(genotype) + 1,
    });
    expect(report.kendall.value).toBeCloseTo(1, 12);
    expect(report.spearman.value).toBeCloseTo(1, 12);
    expect(report.derivedProxyRank).toBe(report.derivedStandaloneRank);
    supernet.dispose();
  });

  it('rejects fewer than 2 samples and non-finite scores', async () => {
    const supernet = new Supernet(space, { rng: new Rng(5) });
    await expect(
      evaluateSearchQuality({ supernet, samples: 1, rng: new Rng(1), proxyScore: async () => 0, trainStandalone: async () => 0 }),
    ).rejects.toThrow(InvalidArgumentError);
    await expect(
      evaluateSearchQuality({ supernet, samples: 2, rng: new Rng(1), proxyScore: async () => Number.NaN, trainStandalone: async () => 0 }),
    ).rejects.toThrowErrorMatchingInlineSnapshot(`[InvalidArgumentError: evaluateSearchQuality: proxy score of derived is NaN, expected a finite number]`);
    supernet.dispose();
  });
});
