import { z } from 'zod';
import type { JsonValue } from '@voxnas/core';

/** Any JSON value (checkpoint `data` and `extra` are opaque JSON owned by their writers). */
export const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

const rngState = z.object({
  words: z.array(z.number().int().min(0).max(2 ** 32 - 1)).length(4),
  spareNormal: z.number().nullable(),
});

/** `state.json` of a checkpoint directory. */
export const checkpointStateFile = z.object({
  format: z.literal('voxnas-checkpoint@1'),
  step: z.number().int().min(0),
  rng: z.record(z.string(), rngState),
  data: jsonValue,
  extra: jsonValue,
  optimizers: z.array(z.string()).default([]),
});

const manifestEntry = z.object({ name: z.string(), shape: z.array(z.number().int().min(0)), dtype: z.literal('float32') });

/** `optimizer-<name>.json` of a checkpoint directory (the slots' bytes are in the `.bin` it names). */
export const optimizerStateFile = z.object({
  format: z.literal('voxnas-optimizer@1'),
  spec: z.object({ kind: z.string() }).passthrough(),
  step: z.number().int().min(0),
  paramSteps: z.record(z.string(), z.number().int().min(0)),
  weightsManifest: z.array(z.object({ paths: z.array(z.string()).length(1), weights: z.array(manifestEntry) })).length(1),
});

/** `<path>: <message>` for every problem zod found, for error messages. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/** The trainer's own part of a checkpoint's `extra`, and the user's extra state (opaque JSON). */
export const trainerExtraState = z.object({
  trainer: z.object({ bestScore: z.number().nullable(), bestStep: z.number().int().nullable() }),
  user: jsonValue,
});
