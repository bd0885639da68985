/**
 * `--set` arguments for the smallest runs the CLI tests make: a 2-level, 4-channel, 2-node space on
 * 4 phantom cases of 16³ patches (batch 1, 2 folds, no window overlap), plus each test's own step
 * settings (`search.steps=3`, …).
 *
 * @example
 * await runCli(['search', '--out', dir, ...tinySettings('search.steps=3', 'search.warmupSteps=1')]);
 */
export function tinySettings(...extra: string[]): string[] {
  return [
    'search.levels=2',
    'search.baseChannels=4',
    'search.nodes=2',
    'data.patchSize=[16,16,16]',
    'data.batchSize=1',
    'data.phantomCases=4',
    'data.folds=2',
    ...extra,
    'inference.overlap=0',
  ].flatMap((s) => ['--set', s]);
}
