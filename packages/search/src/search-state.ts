import { z } from 'zod';
import type { JsonValue } from '@voxnas/core';
import { validateGenotype, type Genotype } from '@voxnas/supernet';
import type { HealthWarning } from './diagnostics.js';
import { SearchConfigError } from './errors.js';

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);
const genotype = z.unknown().transform((g, ctx): Genotype => {
  try {
    return validateGenotype(g, { source: 'checkpoint' });
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
const warning = z.object({
  code: z.enum(['parameter-free-dominance', 'entropy-flat', 'entropy-collapsed', 'alpha-near-uniform']),
  step: z.number().int(),
  message: z.string(),
}) satisfies z.ZodType<HealthWarning>;
const snapshot = z.object({
  step: z.number().int().min(0),
  tau: z.number(),
  probabilities: z.record(z.string(), z.array(z.number())),
  entropy: z.record(z.string(), z.number()),
  genotype,
  score: z.number().nullable(),
  warnings: z.array(warning),
});

/** The search trainer's part of a checkpoint (`extra` of `state.json`). */
export const searchExtraState = z.object({
  history: z.array(snapshot),
  best: z.object({ genotype, score: z.number().nullable(), step: z.number().int() }).nullable(),
  archData: jsonValue,
  archSteps: z.number().int().min(0),
});

/** Parses the search state read back from a checkpoint, or throws SearchConfigError naming the fields. */
export function parseSearchExtraState(state: JsonValue): z.infer<typeof searchExtraState> {
  const r = searchExtraState.safeParse(state);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new SearchConfigError(`SearchTrainer.loadCheckpoint: the checkpoint's search state is not valid: ${issues}`);
  }
  return r.data;
}
