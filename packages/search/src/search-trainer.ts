import { type JsonValue } from '@voxnas/core';
import { Trainer, type RunLog } from '@voxnas/train/node';
import { Optimizer, gradientStep, type BatchSource, type LossFn, type OptimizerSpec, type Schedule } from '@voxnas/train';
import type { Network } from '@voxnas/ops';
import { buildChild, temperatureAt, type Genotype, type Supernet, type TemperatureSchedule } from '@voxnas/supernet';
import type { Rng } from '@voxnas/core';
import { alphaStats, detectCollapse, parameterFreeOperators, type HealthWarning } from './diagnostics.js';
import { SearchConfigError } from './errors.js';
import { parseSearchExtraState } from './search-state.js';

/**
 * How weights and architecture parameters share the data:
 * - `bilevel` (default; first-order DARTS / the paper's stochastic bi-level optimisation): weights step
 *   on `weightData` (one part of the training cases), α steps on `archData` (the other part).
 * - `joint`: α steps on batches of the *training* cases too (`archData` should draw from the same cases
 *   as `weightData`, with its own seed); each of the two optimisers still sees only its own variables.
 */
export type SearchMode = 'bilevel' | 'joint';

/** Options of {@link SearchTrainer}. */
export interface SearchTrainerOptions {
  readonly supernet: Supernet;
  /** Batches for the weight steps. */
  readonly weightData: BatchSource;
  /** Batches for the architecture steps (see {@link SearchMode}). */
  readonly archData: BatchSource;
  readonly loss: LossFn;
  readonly mode?: SearchMode;
  /** Weight optimiser and learning-rate schedule (over all search steps). */
  readonly weightOptimizer: OptimizerSpec;
  readonly weightSchedule: Schedule;
  /** α optimiser. Default Adam β = (0.5, 0.999), weight decay 1e-3 (DARTS). */
  readonly archOptimizer?: OptimizerSpec;
  /** α learning rate (constant). */
  readonly archLr: number;
  /** τ as a function of the search step. */
  readonly temperature: TemperatureSchedule;
  /** Weight-only steps before α starts to move (DiNTS uses half the search). */
  readonly warmupSteps: number;
  /** RNG streams to checkpoint besides the supernet's sampler stream (data, augment, …). */
  readonly rngs?: Readonly<Record<string, Rng>>;
  readonly clipGradNorm?: number;
}

/** What one search step did. */
export interface SearchStepResult {
  readonly step: number;
  readonly tau: number;
  readonly weightLoss: number;
  /** Loss of the α step (null during warm-up). */
  readonly archLoss: number | null;
  readonly lr: number;
}

/** One entry of the architecture history (logged every `deriveEvery` steps). */
export interface ArchSnapshot {
  readonly step: number;
  readonly tau: number;
  /** softmax(α) per edge label. */
  readonly probabilities: Record<string, number[]>;
  /** Normalised entropy per edge label (1 uniform, 0 decided). */
  readonly entropy: Record<string, number>;
  readonly genotype: Genotype;
  /**
   * Validation score of the network the search hands over — the derived genotype's child with the
   * supernet's weights (see {@link SearchFitOptions.validate}) — when a validator is given.
   */
  readonly score: number | null;
  readonly warnings: readonly HealthWarning[];
}

/** Options of {@link SearchTrainer.fit}. */
export interface SearchFitOptions {
  /** Total search steps (a resumed search continues to it). */
  readonly steps: number;
  /** Derive, log α and check search health every this many steps (and at the end). Default 25. */
  readonly deriveEvery?: number;
  /**
   * Scores the network the search would hand over now (higher is better), e.g. validation Dice: the
   * child network of the derived genotype (`deriveGenotype`, top-2 inputs per node) with the supernet's
   * weights copied in (`buildChild(…, { inheritFrom })`), in eval mode. So the genotype kept as best is
   * chosen by the score of that very network, not of the supernet's argmax path (which keeps `zero`
   * edges the derived genotype drops). voxnas's operators normalise per instance (no running
   * statistics), so inherited weights need no re-estimation.
   */
  readonly validate?: (network: Network) => Promise<number>;
  readonly checkpointDir?: string;
  /** Save `latest` every this many steps (and at every derive and at the end). Default 25. */
  readonly checkpointEvery?: number;
  readonly log?: RunLog;
  /** Called after each step (progress bars). */
  readonly onStep?: (r: SearchStepResult) => void;
  /** Called with each architecture snapshot (e.g. to print warnings). */
  readonly onSnapshot?: (s: ArchSnapshot) => void;
}

/** The result of a search. */
export interface SearchResult {
  /** Derived from the final α. */
  readonly finalGenotype: Genotype;
  /**
   * The snapshot genotype with the highest validation score among the snapshots taken after warm-up
   * (the final one without a validator). Warm-up snapshots count only when no later one exists.
   */
  readonly bestGenotype: Genotype;
  readonly bestScore: number | null;
  readonly bestStep: number;
  readonly history: readonly ArchSnapshot[];
}

interface SearchExtra {
  history: ArchSnapshot[];
  best: { genotype: Genotype; score: number | null; step: number } | null;
  archData: JsonValue;
  archSteps: number;
}

/**
 * The architecture search trainer of the paper, on top of `@voxnas/train`'s {@link Trainer}: each step
 * sets τ from the schedule, then (after warm-up) makes one α step (Adam) on an architecture batch, then
 * one weight step on a training batch, each optimiser seeing only its own variables. Every
 * `deriveEvery` steps it derives the genotype, logs α probabilities and per-edge entropy, runs the
 * collapse detector and (optionally) scores the argmax architecture to keep the best genotype.
 *
 * Checkpoints hold everything (weights, α, both optimisers, every RNG stream including the sampler's,
 * both data positions, the step, history and best genotype): a resumed search ends bit-identical to an
 * uninterrupted one on the same backend.
 *
 * @example
 * const search = new SearchTrainer({ supernet, weightData, archData, loss, weightOptimizer: { kind: 'adamw' },
 *   weightSchedule: { kind: 'cosine', lr: 3e-3, totalSteps: 200 }, archLr: 3e-3,
 *   temperature: { kind: 'exponential', from: 5, to: 0.5, steps: 200 }, warmupSteps: 50 });
 * const { finalGenotype } = await search.fit({ steps: 200, checkpointDir: 'run/checkpoints' });
 */
export class SearchTrainer {
  readonly supernet: Supernet;
  readonly trainer: Trainer;
  readonly archOptimizer: Optimizer;
  private readonly options: SearchTrainerOptions;
  private readonly parameterFree: Set<string>;
  private history: ArchSnapshot[] = [];
  private best: SearchExtra['best'] = null;
  private archSteps = 0;

  constructor(options: SearchTrainerOptions) {
    const mode = options.mode ?? 'bilevel';
    if (mode !== 'bilevel' && mode !== 'joint') {
      throw new SearchConfigError(`SearchTrainer: mode is '${String(mode)}', expected 'bilevel' or 'joint'`);
    }
    if (!(Number.isInteger(options.warmupSteps) && options.warmupSteps >= 0)) {
      throw new SearchConfigError(`SearchTrainer: warmupSteps is ${options.warmupSteps}, expected an integer ≥ 0`);
    }
    if (!(options.archLr >= 0 && Number.isFinite(options.archLr))) {
      throw new SearchConfigError(`SearchTrainer: archLr is ${options.archLr}, expected a finite number ≥ 0 (0 freezes α)`);
    }
    if (options.weightData === options.archData) {
      throw new SearchConfigError(
        'SearchTrainer: weightData and archData are the same source; give α its own stream (bilevel: the other half of the cases; joint: the same cases with another seed)',
      );
    }
    temperatureAt(options.temperature, 0);
    this.options = { ...options, mode };
    this.supernet = options.supernet;
    const archParams = this.supernet
      .namedVariables()
      .filter((v) => this.supernet.archVariables().includes(v.variable))
      .map((v) => ({ name: v.path, variable: v.variable }));
    this.archOptimizer = new Optimizer(
      options.archOptimizer ?? { kind: 'adam', beta1: 0.5, beta2: 0.999, weightDecay: 1e-3 },
      archParams,
    );
    this.parameterFree = parameterFreeOperators(this.supernet.space);
    this.trainer = new Trainer({
      network: this.supernet,
      optimizer: options.weightOptimizer,
      schedule: options.weightSchedule,
      loss: options.loss,
      data: options.weightData,
      rngs: { ...(options.rngs ?? {}), sampler: this.supernet.samplerRng },
      ...(options.clipGradNorm !== undefined ? { clipGradNorm: options.clipGradNorm } : {}),
      extraOptimizers: { arch: this.archOptimizer },
      extraState: {
        // ArchSnapshot and Genotype are interfaces (no index signature), so TypeScript cannot see that
        // this state is JSON; parseSearchExtraState validates it when it comes back.
        save: async () =>
          ({
            history: this.history,
            best: this.best,
            archData: this.options.archData.getState(),
            archSteps: this.archSteps,
          }) as unknown as JsonValue,
        load: async (state) => {
          const s = parseSearchExtraState(state);
          this.history = s.history;
          this.best = s.best;
          this.archSteps = s.archSteps;
          await this.options.archData.setState(s.archData);
        },
      },
    });
    const weightSet = new Set(this.trainer.optimizer.variables());
    if (this.supernet.archVariables().some((a) => weightSet.has(a))) {
      throw new SearchConfigError('SearchTrainer: the weight optimiser would update α; the network must list α apart from its weights');
    }
  }

  /** Search steps made so far. */
  get stepsDone(): number {
    return this.trainer.stepsDone;
  }

  /** The logged architecture history so far. */
  get snapshots(): readonly ArchSnapshot[] {
    return this.history;
  }

  /**
   * One search step: τ, then (after warm-up) an α step (the supernet in its `arch` phase: paths from its
   * `sampler`), then a weight step (`weights` phase: paths from its `weightSampler`).
   */
  async step(): Promise<SearchStepResult> {
    const step = this.trainer.stepsDone;
    const tau = temperatureAt(this.options.temperature, step);
    this.supernet.setTemperature(tau);
    let archLoss: number | null = null;
    if (step >= this.options.warmupSteps) {
      const batch = await this.options.archData.next();
      await this.readAlphas();
      try {
        this.supernet.train(true);
        this.supernet.setPhase('arch');
        const r = await gradientStep({
          loss: () => this.options.loss(this.supernet.apply(batch.image), batch),
          optimizer: this.archOptimizer,
          lr: this.options.archLr,
        });
        archLoss = r.loss;
        this.archSteps += 1;
      } finally {
        this.supernet.setPhase('weights');
        batch.image.dispose();
        batch.label.dispose();
      }
    }
    await this.readAlphas(); // the α step just replaced them
    const r = await this.trainer.step();
    return { step, tau, weightLoss: r.loss, archLoss, lr: r.lr };
  }

  /**
   * Reads α asynchronously so the samplers' synchronous reads find them cached: on the WebGPU backend a
   * synchronous read of GPU data is not possible in Node (docs/gpu.md); on the CPU backend this is free.
   */
  private async readAlphas(): Promise<void> {
    await Promise.all(this.supernet.archVariables().map((a) => a.data()));
  }

  /**
   * Derives the genotype and records α statistics, health warnings and (optionally) the validation score
   * of the derived child with inherited weights. `totalSteps` (the search length) lets the health check
   * judge how late in the search the snapshot is.
   */
  async snapshot(validate?: (network: Network) => Promise<number>, totalSteps?: number): Promise<ArchSnapshot> {
    const step = Math.max(0, this.trainer.stepsDone - 1);
    await this.readAlphas();
    const stats = alphaStats(this.supernet.space, this.supernet.alphaValues());
    const probabilities: Record<string, number[]> = {};
    const entropy: Record<string, number> = {};
    for (const s of stats) {
      probabilities[s.label] = [...s.probs];
      entropy[s.label] = s.entropy;
    }
    const genotype = this.supernet.deriveGenotype({ meta: { searchStep: step } });
    const score = validate ? await this.scoreDerived(genotype, validate) : null;
    // Health is judged on the architecture phase only: during warm-up α does not move by design.
    const light = this.history
      .filter((h) => h.step >= this.options.warmupSteps)
      .map((h) => ({ step: h.step, stats: statsFrom(this.supernet, h) }));
    const warnings =
      step >= this.options.warmupSteps
        ? detectCollapse([...light, { step, stats }], this.parameterFree, {
            ...(totalSteps !== undefined ? { totalSteps, warmupSteps: this.options.warmupSteps } : {}),
          })
        : [];
    const snap: ArchSnapshot = {
      step,
      tau: this.supernet.tau,
      probabilities,
      entropy,
      genotype,
      score,
      warnings,
    };
    this.history.push(snap);
    // Without a validator the latest genotype is the best one; with one, the highest score wins. A
    // snapshot taken before the first α step (warm-up) derives from the random initial α, not from the
    // search, so it is kept only until a snapshot after warm-up exists.
    const searched = (s: number) => s >= this.options.warmupSteps;
    const better =
      this.best === null ||
      (searched(step) && !searched(this.best.step)) ||
      (searched(step) === searched(this.best.step) && (score === null || this.best.score === null || score > this.best.score));
    if (better) this.best = { genotype, score, step };
    return snap;
  }

  /**
   * The validation score of `genotype`'s child network with the supernet's current weights (what
   * {@link SearchFitOptions.validate} receives). The child is disposed afterwards; the supernet is untouched.
   */
  async scoreDerived(genotype: Genotype, validate: (network: Network) => Promise<number>): Promise<number> {
    const child = buildChild(this.supernet.space, genotype, { rng: this.supernet.samplerRng.fork('score-child'), inheritFrom: this.supernet });
    try {
      child.eval();
      return await validate(child);
    } finally {
      child.dispose();
    }
  }

  /** Runs the search to `steps` total steps (resume with `loadCheckpoint` first). */
  async fit(options: SearchFitOptions): Promise<SearchResult> {
    const deriveEvery = options.deriveEvery ?? 25;
    const every = options.checkpointEvery ?? 25;
    for (const [name, v] of [
      ['steps', options.steps],
      ['deriveEvery', deriveEvery],
      ['checkpointEvery', every],
    ] as const) {
      if (!(Number.isInteger(v) && v >= (name === 'steps' ? 0 : 1))) {
        throw new SearchConfigError(`SearchTrainer.fit: ${name} is ${v}, expected a positive integer`);
      }
    }
    const { log } = options;
    while (this.trainer.stepsDone < options.steps) {
      const started = performance.now();
      const r = await this.step();
      const stepMs = Math.round((performance.now() - started) * 10) / 10;
      options.onStep?.(r);
      await log?.append({
        type: 'search-step',
        step: r.step,
        stepMs,
        tau: r.tau,
        weightLoss: r.weightLoss,
        archLoss: r.archLoss,
        lr: r.lr,
        active: Object.fromEntries(Object.entries(this.supernet.lastActive).map(([label, paths]) => [label, [...paths]])),
      });
      const done = this.trainer.stepsDone;
      const last = done === options.steps;
      let snapped = false;
      if (done % deriveEvery === 0 || last) {
        const snap = await this.snapshot(options.validate, options.steps);
        snapped = true;
        options.onSnapshot?.(snap);
        // ArchSnapshot is an interface of JSON fields; interfaces have no index signature.
        await log?.append({ type: 'arch', ...(snap as unknown as Record<string, JsonValue>) });
      }
      if (options.checkpointDir && (done % every === 0 || last || snapped)) {
        await this.saveCheckpoint(options.checkpointDir);
      }
    }
    if (this.history.length === 0 || this.history[this.history.length - 1]!.step !== this.trainer.stepsDone - 1) {
      await this.snapshot(options.validate, options.steps);
    }
    const finalGenotype = this.history[this.history.length - 1]!.genotype;
    const best = this.best ?? { genotype: finalGenotype, score: null, step: this.trainer.stepsDone - 1 };
    return {
      finalGenotype,
      bestGenotype: best.genotype,
      bestScore: best.score,
      bestStep: best.step,
      history: this.history,
    };
  }

  /** Saves the whole search state (see the class doc) into `dir`. */
  saveCheckpoint(dir: string): Promise<string> {
    return this.trainer.saveCheckpoint(dir, { pointers: ['latest'], keep: 2 });
  }

  /** Restores a checkpoint saved by {@link saveCheckpoint}. */
  async loadCheckpoint(dir: string): Promise<void> {
    await this.trainer.loadCheckpoint(dir);
    this.supernet.setTemperature(temperatureAt(this.options.temperature, this.trainer.stepsDone));
  }

  /** Disposes both optimisers' state (not the supernet). */
  dispose(): void {
    this.trainer.dispose();
    this.archOptimizer.dispose();
  }
}

function statsFrom(supernet: Supernet, snap: ArchSnapshot) {
  return supernet.space.edges.map((e) => ({
    label: e.label,
    candidates: e.candidates,
    probs: snap.probabilities[e.label] ?? [],
    entropy: snap.entropy[e.label] ?? 0,
    argmax: '',
  }));
}
