import type * as tf from '@tensorflow/tfjs-core';
import type { Rng, JsonValue } from '@voxnas/core';
import {
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointableNetwork,
  type CheckpointState,
} from './checkpoint.js';
import { describeIssues, trainerExtraState } from './checkpoint-files.js';
import { CheckpointError, TrainConfigError, gradientStep, Optimizer, type OptimizerSpec, learningRateAt, validateSchedule, type Schedule } from '@voxnas/train';
import type { BatchSource, LossFn } from '@voxnas/train';
import type { RunLog } from './run-log.js';

/**
 * What the trainer needs from a network — every `@voxnas/ops` `Network` (module, U-Net, supernet,
 * child network) has it: a forward pass on NDHWC tensors, named variables, train/eval mode, and
 * save/load of weights.
 */
export interface TrainableNetwork extends CheckpointableNetwork {
  apply(x: tf.Tensor5D): tf.Tensor5D;
  namedVariables(): ReadonlyArray<{ readonly path: string; readonly variable: tf.Variable; readonly trainable: boolean }>;
  train(mode?: boolean): unknown;
  /**
   * The variables the weight optimiser updates (the `Network` contract). When present it decides;
   * otherwise every `namedVariables()` entry marked trainable is updated. A supernet lists its
   * architecture parameters in `namedVariables()` (so they are checkpointed) but not here.
   */
  trainableVariables?(): tf.Variable[];
}

/** Extra JSON state to checkpoint and restore (a search trainer keeps α and sampler state here). */
export interface ExtraState {
  save(): JsonValue | Promise<JsonValue>;
  load(state: JsonValue): void | Promise<void>;
}

/** Options of {@link Trainer}. */
export interface TrainerOptions {
  readonly network: TrainableNetwork;
  readonly optimizer: OptimizerSpec;
  readonly schedule: Schedule;
  readonly loss: LossFn;
  readonly data: BatchSource;
  /** Every RNG stream whose state a checkpoint must hold (data, augment, …), by name. */
  readonly rngs?: Readonly<Record<string, Rng>>;
  /** Clip the global gradient norm (nnU-Net uses 12). Default: off. */
  readonly clipGradNorm?: number;
  readonly extraState?: ExtraState;
  /** Further optimisers to checkpoint with the weight optimiser (key `weights` is reserved). */
  readonly extraOptimizers?: Readonly<Record<string, Optimizer>>;
}

/** What {@link Trainer.step} measured. */
export interface StepResult {
  /** 0-based index of the update just made. */
  readonly step: number;
  readonly loss: number;
  readonly lr: number;
  readonly gradNorm: number;
}

/** The trainer's JSON state (also saved in every checkpoint). */
export interface TrainerState {
  /** Updates made so far. */
  readonly step: number;
  /** Best validation score so far (higher is better), or null. */
  readonly bestScore: number | null;
  readonly bestStep: number | null;
}

/** Options of {@link Trainer.fit}. */
export interface FitOptions {
  /** Train until this many updates have been made in total (a resumed run continues to it). */
  readonly steps: number;
  /** Where checkpoints go (a run's `checkpoints/`). Without it nothing is saved. */
  readonly checkpointDir?: string;
  /** Save `latest` every this many steps, and always at the end. Default 50. */
  readonly checkpointEvery?: number;
  /** Validate every this many steps (and at the end). Default: only at the end. */
  readonly validateEvery?: number;
  /** Returns a score, higher is better (e.g. mean Dice); a new best also saves the `best` pointer. */
  readonly validate?: (trainer: Trainer) => Promise<number>;
  /** Receives one record per step and per validation: a {@link RunLog}, or anything with its `append`. */
  readonly log?: Pick<RunLog, 'append'>;
}

/**
 * Trains any {@link TrainableNetwork} with a step-level API: `step()` makes one update;
 * `saveCheckpoint`/`loadCheckpoint` capture and restore *everything* (weights, optimiser slots and
 * step counts, every RNG stream, the data position, the step, best score, extra JSON), so a run
 * resumed from its last checkpoint ends bit-identical to an uninterrupted one on the same backend.
 * `fit` is a convenience loop over them.
 *
 * @example
 * const trainer = new Trainer({
 *   network: net, optimizer: { kind: 'sgd', momentum: 0.99, nesterov: true },
 *   schedule: { kind: 'poly', lr: 0.01, totalSteps: 1000 },
 *   loss: (out, b) => diceCeLoss(out, b.label), data: source, rngs: { data: dataRng },
 * });
 * if (await hasCheckpoint(dir)) await trainer.loadCheckpoint(dir);
 * await trainer.fit({ steps: 1000, checkpointDir: dir, validate: async () => meanDice() });
 */
export class Trainer {
  readonly network: TrainableNetwork;
  readonly optimizer: Optimizer;
  readonly schedule: Schedule;
  private readonly options: TrainerOptions;
  private stepCount = 0;
  private bestScore: number | null = null;
  private bestStep: number | null = null;

  constructor(options: TrainerOptions) {
    validateSchedule(options.schedule);
    if (options.extraOptimizers && 'weights' in options.extraOptimizers) {
      throw new TrainConfigError(`Trainer: extraOptimizers may not use the reserved name "weights"`);
    }
    this.options = options;
    this.network = options.network;
    this.schedule = options.schedule;
    const selected = options.network.trainableVariables ? new Set(options.network.trainableVariables()) : null;
    const params = options.network
      .namedVariables()
      .filter((v) => (selected ? selected.has(v.variable) : v.trainable))
      .map((v) => ({ name: v.path, variable: v.variable }));
    if (params.length === 0) throw new TrainConfigError(`Trainer: the network has no trainable variables`);
    this.optimizer = new Optimizer(options.optimizer, params);
  }

  /** Updates made so far (= the schedule step of the next update). */
  get stepsDone(): number {
    return this.stepCount;
  }

  /** The JSON state: step and best validation score. */
  state(): TrainerState {
    return { step: this.stepCount, bestScore: this.bestScore, bestStep: this.bestStep };
  }

  /** The learning rate the next update will use. */
  learningRate(): number {
    return learningRateAt(this.schedule, this.stepCount);
  }

  /**
   * One update: takes the next batch, runs the network in training mode, differentiates the loss,
   * applies the optimiser at the schedule's rate, and disposes every tensor it made.
   */
  async step(): Promise<StepResult> {
    const lr = this.learningRate();
    const batch = await this.options.data.next();
    try {
      this.network.train(true);
      const r = await gradientStep({
        loss: () => this.options.loss(this.network.apply(batch.image), batch),
        optimizer: this.optimizer,
        lr,
        ...(this.options.clipGradNorm !== undefined ? { clipGradNorm: this.options.clipGradNorm } : {}),
      });
      const step = this.stepCount;
      this.stepCount += 1;
      return { step, loss: r.loss, lr, gradNorm: r.gradNorm };
    } finally {
      batch.image.dispose();
      batch.label.dispose();
    }
  }

  /**
   * Records a validation score (higher is better); returns true when it is a new best.
   * `fit` calls it; call it yourself when you drive `step()`.
   */
  recordScore(score: number): boolean {
    if (!Number.isFinite(score)) throw new TrainConfigError(`Trainer.recordScore: score is ${score}, expected a finite number`);
    if (this.bestScore === null || score > this.bestScore) {
      this.bestScore = score;
      this.bestStep = this.stepCount;
      return true;
    }
    return false;
  }

  /** Saves a checkpoint of the whole training state into `dir` (see `saveCheckpoint`). */
  async saveCheckpoint(dir: string, options: { pointers?: readonly string[]; keep?: number } = {}): Promise<string> {
    const rng: Record<string, { words: number[]; spareNormal: number | null }> = {};
    for (const [name, r] of Object.entries(this.options.rngs ?? {})) rng[name] = r.getState();
    const state: CheckpointState = {
      step: this.stepCount,
      rng,
      data: this.options.data.getState(),
      extra: {
        trainer: { bestScore: this.bestScore, bestStep: this.bestStep },
        user: this.options.extraState ? await this.options.extraState.save() : null,
      },
    };
    return saveCheckpoint(dir, {
      network: this.network,
      optimizers: { weights: this.optimizer, ...this.options.extraOptimizers },
      state,
      ...(options.pointers ? { pointers: options.pointers } : {}),
      ...(options.keep !== undefined ? { keep: options.keep } : {}),
    });
  }

  /**
   * Restores a checkpoint saved by `saveCheckpoint` (pointer `latest` by default): weights,
   * optimiser state, RNG streams, data position, step, best score and extra state.
   */
  async loadCheckpoint(dir: string, options: { name?: string } = {}): Promise<TrainerState> {
    const state = await loadCheckpoint(dir, {
      network: this.network,
      optimizers: { weights: this.optimizer, ...this.options.extraOptimizers },
      ...(options.name ? { name: options.name } : {}),
    });
    const rngs = this.options.rngs ?? {};
    const missing = Object.keys(rngs).filter((k) => !(k in state.rng));
    if (missing.length > 0) throw new CheckpointError(`Trainer.loadCheckpoint(${dir}): no state for RNG stream(s) ${missing.join(', ')}`);
    for (const [name, r] of Object.entries(rngs)) r.setState(state.rng[name]!);
    await this.options.data.setState(state.data);
    const parsed = trainerExtraState.safeParse(state.extra);
    if (!parsed.success) {
      throw new CheckpointError(`Trainer.loadCheckpoint(${dir}): state.json extra is not a trainer state: ${describeIssues(parsed.error)}`);
    }
    const extra = parsed.data;
    this.bestScore = extra.trainer.bestScore;
    this.bestStep = extra.trainer.bestStep;
    if (this.options.extraState) await this.options.extraState.load(extra.user);
    this.stepCount = state.step;
    return this.state();
  }

  /**
   * Trains until `steps` updates have been made, validating and checkpointing on the way.
   * Resume by calling `loadCheckpoint` first; `fit` continues from `trainer.stepsDone`.
   */
  async fit(options: FitOptions): Promise<TrainerState> {
    const { steps, checkpointDir, validate, log } = options;
    const every = options.checkpointEvery ?? 50;
    if (!(Number.isInteger(steps) && steps >= 0)) throw new TrainConfigError(`Trainer.fit: steps is ${steps}, expected an integer ≥ 0`);
    if (!(Number.isInteger(every) && every > 0)) {
      throw new TrainConfigError(`Trainer.fit: checkpointEvery is ${every}, expected an integer > 0`);
    }
    while (this.stepCount < steps) {
      const started = performance.now();
      const r = await this.step();
      const stepMs = Math.round((performance.now() - started) * 10) / 10;
      await log?.append({ type: 'step', step: r.step, loss: r.loss, lr: r.lr, gradNorm: r.gradNorm, stepMs });
      const done = this.stepCount;
      const last = done === steps;
      const pointers: string[] = [];
      if (validate && ((options.validateEvery !== undefined && done % options.validateEvery === 0) || last)) {
        const score = await validate(this);
        const isBest = this.recordScore(score);
        await log?.append({ type: 'validation', step: done - 1, score, best: isBest });
        if (isBest) pointers.push('best');
      }
      if (checkpointDir && (done % every === 0 || last || pointers.length > 0)) {
        await this.saveCheckpoint(checkpointDir, { pointers: ['latest', ...pointers] });
      }
    }
    return this.state();
  }

  /** Disposes the optimiser state (not the network). */
  dispose(): void {
    this.optimizer.dispose();
  }
}
