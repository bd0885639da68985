import type { DatasetPlan } from './plan.js';
import { PlanError } from './plan-error.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isVec = (v: unknown, integer: boolean) =>
  Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0 && (!integer || Number.isInteger(x)));
const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 80) ?? String(v));

/**
 * Validates a parsed `plan.json` at the boundary (a file, a run directory, a model card) and returns
 * it typed: format `voxnas-plan@1`, the target spacing, resampling, cropping, one normalisation per
 * modality with its statistics, patch and batch size, and the fingerprint's dataset description.
 * Every problem found is listed in one {@link PlanError} naming `source` and the field.
 *
 * @example
 * const plan = parsePlan(JSON.parse(await readFile('plan.json', 'utf8')), 'plan.json');
 */
export function parsePlan(json: unknown, source: string): DatasetPlan {
  const problems: string[] = [];
  const bad = (field: string, expected: string, got: unknown) => problems.push(`'${field}' is ${show(got)}, expected ${expected}`);
  if (!isObj(json)) throw new PlanError(`${source}: expected a plan object, got ${show(json)}`);
  if (json.format !== 'voxnas-plan@1') bad('format', "'voxnas-plan@1'", json.format);
  if (!isVec(json.targetSpacingMm, false)) bad('targetSpacingMm', '3 positive numbers (mm)', json.targetSpacingMm);
  if (!isVec(json.patchSize, true)) bad('patchSize', '3 positive integers', json.patchSize);
  if (!(Number.isInteger(json.batchSize) && (json.batchSize as number) >= 1)) bad('batchSize', 'an integer ≥ 1', json.batchSize);
  if (typeof json.cropToNonZero !== 'boolean') bad('cropToNonZero', 'true or false', json.cropToNonZero);
  const r = json.resampling;
  if (!isObj(r)) bad('resampling', 'an object', r);
  else {
    if (r.image !== 'cubic' && r.image !== 'linear') bad('resampling.image', "'cubic' or 'linear'", r.image);
    if (r.label !== 'one-hot-linear') bad('resampling.label', "'one-hot-linear'", r.label);
    if (!(typeof r.anisotropyThreshold === 'number' && r.anisotropyThreshold > 1)) bad('resampling.anisotropyThreshold', 'a number > 1', r.anisotropyThreshold);
    if (r.coarseAxis !== 'nearest' && r.coarseAxis !== 'linear') bad('resampling.coarseAxis', "'nearest' or 'linear'", r.coarseAxis);
  }
  const fp = json.fingerprint;
  const modalities = isObj(fp) && isObj(fp.dataset) && Array.isArray(fp.dataset.modalities) ? (fp.dataset.modalities as unknown[]) : null;
  if (!modalities || !modalities.every((m) => typeof m === 'string')) bad('fingerprint.dataset.modalities', 'a list of channel names', modalities);
  if (!(isObj(fp) && isObj(fp.dataset) && isObj(fp.dataset.labels))) bad('fingerprint.dataset.labels', 'an object value → name', isObj(fp) && isObj(fp.dataset) ? fp.dataset.labels : undefined);
  if (!(isObj(fp) && Array.isArray(fp.cases))) bad('fingerprint.cases', 'a list', isObj(fp) ? fp.cases : undefined);
  const norm = json.normalization;
  if (!Array.isArray(norm)) bad('normalization', 'a list with one scheme per channel', norm);
  else {
    if (modalities && norm.length !== modalities.length) bad('normalization', `${modalities.length} entries (one per channel)`, `${norm.length} entries`);
    norm.forEach((n: unknown, i) => {
      const f = `normalization[${i}]`;
      if (!isObj(n)) return bad(f, 'an object', n);
      if (n.channel !== i) bad(`${f}.channel`, String(i), n.channel);
      if (n.scheme === 'ct') {
        const clip = n.clip;
        if (!(Array.isArray(clip) && clip.length === 2 && clip.every((x) => Number.isFinite(x)) && clip[0] <= clip[1])) bad(`${f}.clip`, '[lo, hi] with lo ≤ hi', clip);
        if (!Number.isFinite(n.mean)) bad(`${f}.mean`, 'a finite number', n.mean);
        if (!(typeof n.sd === 'number' && n.sd > 0 && Number.isFinite(n.sd))) bad(`${f}.sd`, 'a number > 0', n.sd);
      } else if (n.scheme === 'z-score') {
        if (typeof n.useMask !== 'boolean') bad(`${f}.useMask`, 'true or false', n.useMask);
      } else if (n.scheme !== 'none') bad(`${f}.scheme`, "'ct', 'z-score' or 'none'", n.scheme);
    });
  }
  if (!Array.isArray(json.decisions)) bad('decisions', 'a list of lines', json.decisions);
  if (problems.length) {
    throw new PlanError(`${source}: not a valid voxnas plan (${problems.length} problem(s))\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  // A hand-written validator: the fields planning relies on were checked above (any problem throws PlanError).
  return json as unknown as DatasetPlan;
}
