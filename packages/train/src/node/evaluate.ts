import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  aggregateCases,
  aggregateToCsv,
  casesToCsv,
  evaluateSegmentation,
  toJson,
  type AggregateResult,
  type CaseResult,
  type EvaluateOptions,
} from '@voxnas/metrics';
import type { Volume } from '@voxnas/volume';
import { TrainConfigError, predictCase, predictCaseWithProbabilities, type PredictCaseOptions } from '@voxnas/train';
import { atomicWrite } from '@voxnas/core/node';
import type { PredictFn } from '@voxnas/train';
import type { TrainableNetwork } from './trainer.js';

/** One case to evaluate: a label-map prediction and its reference, on the same grid. */
export interface EvaluationCase {
  readonly caseId: string;
  readonly prediction: Volume;
  readonly reference: Volume;
}

/** What {@link evaluateCases} returns (and writes). */
export interface EvaluationReport {
  readonly cases: CaseResult[];
  readonly summary: AggregateResult;
}

/**
 * Evaluates predictions against references with `@voxnas/metrics` (`evaluateSegmentation` per case,
 * `aggregateCases` over cases) and, given `outDir`, writes `metrics.json` (`{ cases, summary }`,
 * NaN as null), `metrics.csv` (one row per case and class) and `summary.csv` — each atomically.
 *
 * @example
 * const report = await evaluateCases([{ caseId: 'case1', prediction, reference }], { outDir: 'runs/a', labels: [1, 2] });
 * report.summary.foregroundMean.dice;
 */
export async function evaluateCases(
  cases: readonly EvaluationCase[],
  options: EvaluateOptions & { outDir?: string } = {},
): Promise<EvaluationReport> {
  if (cases.length === 0) throw new TrainConfigError('evaluateCases: expected at least one case, got 0');
  const { outDir, ...evalOptions } = options;
  const results: CaseResult[] = cases.map((c) => ({
    caseId: c.caseId,
    result: evaluateSegmentation(c.prediction, c.reference, evalOptions),
  }));
  const summary = aggregateCases(results);
  if (outDir !== undefined) {
    await mkdir(outDir, { recursive: true });
    await atomicWrite(join(outDir, 'metrics.json'), `${toJson({ cases: results, summary })}\n`);
    await atomicWrite(join(outDir, 'metrics.csv'), casesToCsv(results));
    await atomicWrite(join(outDir, 'summary.csv'), aggregateToCsv(summary));
  }
  return { cases: results, summary };
}

/** A labelled case for validation: an image (network input grid or original, see `preprocess`) and its labels. */
export interface ValidationCase {
  readonly caseId: string;
  readonly image: Volume;
  readonly label: Volume;
}

/** Options of {@link segmentationValidator}. */
export interface SegmentationValidatorOptions extends PredictCaseOptions {
  readonly cases: readonly ValidationCase[];
  /** Labels scored (default: every non-zero label present). */
  readonly labels?: readonly number[];
  /**
   * `dice` (default): Dice of the argmax labels. `soft-dice`: Dice of the class probabilities against the
   * reference, 2·Σp·y / (Σp + Σy) per class — continuous, so it still ranks networks whose argmax is all
   * background (an undertrained supernet's children, for instance).
   */
  readonly score?: 'dice' | 'soft-dice';
}

/**
 * A `validate` callback for `Trainer.fit`: sliding-window prediction of every case with the network
 * in eval mode (then back to train mode), scored as the mean over cases and labels of Dice
 * (surface metrics skipped for speed). Both-empty labels count as NaN and are left out.
 *
 * @example
 * await trainer.fit({ steps: 1000, validateEvery: 100,
 *   validate: segmentationValidator({ cases: valCases, windowSize: [32, 32, 16], labels: [1, 2] }) });
 */
export function segmentationValidator(
  options: SegmentationValidatorOptions,
): (trainer: { readonly network: Pick<TrainableNetwork, 'apply' | 'train'> }) => Promise<number> {
  const { cases, labels, score = 'dice', ...predictOptions } = options;
  if (cases.length === 0) throw new TrainConfigError('segmentationValidator: expected at least one case, got 0');
  if (score !== 'dice' && score !== 'soft-dice') {
    throw new TrainConfigError(`segmentationValidator: score is '${String(score)}', expected 'dice' or 'soft-dice'`);
  }
  return async (trainer) => predictAndScore(trainer.network, cases, predictOptions, labels, score);
}

async function predictAndScore(
  network: Pick<TrainableNetwork, 'apply' | 'train'>,
  cases: readonly ValidationCase[],
  predictOptions: PredictCaseOptions,
  labels: readonly number[] | undefined,
  score: 'dice' | 'soft-dice',
): Promise<number> {
  network.train(false);
  try {
    const predict: PredictFn = (x) => network.apply(x);
    let sum = 0;
    let n = 0;
    for (const c of cases) {
      if (score === 'soft-dice') {
        const { probabilities } = await predictCaseWithProbabilities(c.image, predict, predictOptions);
        for (const d of softDice(probabilities.data, probabilities.channels, c.label.data, labels)) {
          sum += d;
          n += 1;
        }
        continue;
      }
      const prediction = await predictCase(c.image, predict, predictOptions);
      const result = evaluateSegmentation(prediction, c.label, {
        skipSurface: true,
        empty: { bothEmpty: 'nan', oneEmpty: 'worst' },
        ...(labels ? { labels } : {}),
      });
      for (const k of result.classes) {
        if (!Number.isNaN(k.metrics.dice)) {
          sum += k.metrics.dice;
          n += 1;
        }
      }
    }
    return n === 0 ? 0 : sum / n;
  } finally {
    network.train(true);
  }
}

/** Soft Dice per scored class present in the reference (classes absent from it are left out, as for Dice). */
function softDice(probs: ArrayLike<number>, classes: number, reference: ArrayLike<number>, labels: readonly number[] | undefined): number[] {
  const n = reference.length;
  const scored = labels ?? Array.from({ length: classes - 1 }, (_, i) => i + 1);
  const out: number[] = [];
  for (const k of scored) {
    let inter = 0;
    let p = 0;
    let y = 0;
    for (let i = 0; i < n; i++) {
      const q = probs[k * n + i]!;
      p += q;
      if (reference[i] === k) {
        inter += q;
        y += 1;
      }
    }
    if (y > 0) out.push((2 * inter) / (p + y));
  }
  return out;
}
