import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { atomicWrite } from '@voxnas/core/node';
import { DERIVE_OPERATORS, deriveGenotype, parseGenotype, stringifyGenotype, ZERO_OPERATOR, type DeriveOperators, type Genotype } from '@voxnas/supernet';
import { z } from 'zod';
import { defineCommand } from '../command.js';
import { ConfigError, UsageError } from '../errors.js';
import { spaceFromConfig } from '../pipeline/network.js';
import { resolveRunConfig } from '../pipeline/run.js';
import { SEARCH_SUMMARY_FILE, readJsonFile } from '../run-files.js';
import { readLogRecords } from './report.js';

/** Flags of `voxnas derive`. */
export interface DeriveFlags {
  /** The finished search run. */
  run?: string;
  /** The genotype file to write. */
  out?: string;
  /** Which architecture snapshot: `final` (default), `best` (the one the search kept) or a step number. */
  from?: string;
  /** `edge` (default) or `cell`: see {@link DERIVE_OPERATORS}. */
  operators?: string;
  /** Incoming edges kept per node (default 2), or `all` (each edge's argmax, `zero` included). */
  'top-k'?: string;
}

/** What `voxnas derive` reports besides the file it writes. */
export interface DeriveSummary {
  readonly out: string;
  /** The search step whose α was derived. */
  readonly step: number;
  readonly operators: DeriveOperators;
  readonly topK: number | null;
  /** Non-`zero` operators per cell type: name → edges. */
  readonly operatorCounts: Record<string, Record<string, number>>;
  readonly genotype: Genotype;
}

const ARCH_RECORD = z.looseObject({
  type: z.literal('arch'),
  step: z.int().min(0),
  probabilities: z.record(z.string(), z.array(z.number().min(0).max(1))),
});

/**
 * The architecture snapshots of a search run's `log.jsonl`, one per step (a resumed run may log a step
 * twice; the later record wins), in step order.
 */
async function archSnapshots(dir: string, where: string): Promise<Map<number, Record<string, number[]>>> {
  if (!existsSync(join(dir, 'log.jsonl'))) throw new ConfigError(`${where}: no log.jsonl there`);
  const out = new Map<number, Record<string, number[]>>();
  for (const record of await readLogRecords(dir, where)) {
    const r = ARCH_RECORD.safeParse(record);
    if (r.success) out.set(r.data.step, r.data.probabilities);
  }
  return new Map([...out.entries()].sort((a, b) => a[0] - b[0]));
}

/**
 * `voxnas derive`: derives a genotype again from a finished search run's architecture probabilities (the
 * `arch` snapshots of its `log.jsonl`), with another rule than the search's: per edge (DARTS, what the
 * search writes) or one operator per cell type, from the final α, the snapshot the search kept, or any
 * logged step. Writes the genotype to `--out` (atomically) for `voxnas train --arch`.
 *
 * @throws UsageError for a missing or malformed flag; ConfigError when the run is not a finished search
 *   or has no snapshot at the asked step.
 */
export async function runDerive(flags: DeriveFlags): Promise<DeriveSummary> {
  if (!flags.run) throw new UsageError('voxnas derive: --run <search-run> is required');
  if (!flags.out) throw new UsageError('voxnas derive: --out <genotype.json> is required');
  const operators = (flags.operators ?? 'edge') as DeriveOperators;
  if (!DERIVE_OPERATORS.includes(operators)) {
    throw new UsageError(`voxnas derive: --operators is '${flags.operators}', expected one of ${DERIVE_OPERATORS.join(', ')}`);
  }
  const rawK = flags['top-k'] ?? '2';
  const topK = rawK === 'all' ? null : Number(rawK);
  if (topK !== null && !(Number.isInteger(topK) && topK >= 1)) {
    throw new UsageError(`voxnas derive: --top-k is '${rawK}', expected a positive integer or 'all'`);
  }
  const from = flags.from ?? 'final';
  if (from !== 'final' && from !== 'best' && !/^\d+$/.test(from)) {
    throw new UsageError(`voxnas derive: --from is '${from}', expected final, best or a search step`);
  }
  const dir = resolve(flags.run);
  const where = `voxnas derive --run ${flags.run}`;
  const summaryPath = join(dir, 'search.json');
  if (!existsSync(summaryPath)) throw new ConfigError(`${where}: no search.json there (not a finished search run)`);
  const summary = await readJsonFile(summaryPath, SEARCH_SUMMARY_FILE, where);
  const searched = parseGenotype(await readFile(join(dir, 'genotype.json'), 'utf8'), { source: join(dir, 'genotype.json') });
  const { cfg } = await resolveRunConfig({ resume: dir }, 'derive');
  const space = spaceFromConfig(cfg, searched.macro.inputChannels, searched.macro.classes);
  const snapshots = await archSnapshots(dir, where);
  if (snapshots.size === 0) throw new ConfigError(`${where}: log.jsonl has no architecture snapshot`);
  if (from === 'best' && summary.bestStep === undefined) throw new ConfigError(`${where}: search.json has no bestStep (--from best)`);
  const step = from === 'final' ? Math.max(...snapshots.keys()) : from === 'best' ? summary.bestStep! : Number(from);
  const probabilities = snapshots.get(step);
  if (!probabilities) {
    throw new ConfigError(`${where}: no architecture snapshot at step ${step} (--from ${from}); logged steps: ${[...snapshots.keys()].join(', ')}`);
  }
  // log p as logits: softmax(log p) = p (a zero probability becomes a very small one)
  const alphas = Object.fromEntries(Object.entries(probabilities).map(([label, p]) => [label, p.map((v) => Math.log(Math.max(v, 1e-30)))]));
  const genotype = deriveGenotype(space, alphas, { topK, operators, meta: { searchStep: step, searchRun: dir } });
  const operatorCounts: Record<string, Record<string, number>> = {};
  for (const edge of space.edges) {
    const op = genotype.choices[edge.label]!;
    if (op === ZERO_OPERATOR) continue;
    const counts = (operatorCounts[edge.cell] ??= {});
    counts[op] = (counts[op] ?? 0) + 1;
  }
  const out = resolve(flags.out);
  await atomicWrite(out, stringifyGenotype(genotype));
  return { out, step, operators, topK, operatorCounts, genotype };
}

/** `voxnas derive`: see {@link runDerive}. */
export const deriveCommand = defineCommand({
  name: 'derive',
  summary: "derive a genotype again from a search run's α: per edge or one operator per cell type, from any snapshot",
  usage: '--run <search-run> --out <genotype.json> [--from final|best|<step>] [--operators edge|cell] [--top-k 2|all] [--json]',
  flags: {
    run: { type: 'string', value: '<search-run>', description: 'a finished voxnas search run directory' },
    out: { type: 'string', value: '<file>', description: 'the genotype file to write (for voxnas train --arch)' },
    from: {
      type: 'string',
      value: '<snapshot>',
      description: "whose α: `final` (the last snapshot), `best` (the snapshot the search kept as genotype.json) or a logged search step",
      default: 'final',
    },
    operators: {
      type: 'string',
      value: '<rule>',
      description: "`edge`: each kept edge its most probable operator (DARTS, as voxnas search); `cell`: one operator per cell type, the one with the most probability summed over the type's edges",
      default: 'edge',
    },
    'top-k': { type: 'string', value: '<n>', description: "incoming edges kept per node, or `all` (each edge's argmax, zero included)", default: '2' },
    json: { type: 'boolean', description: 'print the result as JSON' },
  },
  async run({ flags, io }) {
    const r = await runDerive(flags);
    if (flags.json) {
      io.out(JSON.stringify(r, null, 2));
      return 0;
    }
    const counts = Object.entries(r.operatorCounts).map(([cell, ops]) => `  ${cell}: ${Object.entries(ops).map(([op, n]) => `${op} ×${n}`).join(', ')}`);
    io.out([`voxnas derive: ${r.out} (step ${r.step}, operators per ${r.operators}, top-k ${r.topK ?? 'all'})`, ...counts].join('\n'));
    return 0;
  },
});
