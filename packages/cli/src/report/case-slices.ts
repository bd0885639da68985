// The report's view of the data: for the best, median and worst validation case of a train run (mean
// foreground Dice), one slice of the image, the reference and the prediction overlaid, as PNG images.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { mapLabelsToGrid } from '@voxnas/train';
import type { Volume } from '@voxnas/volume';
import { readNifti } from '@voxnas/volume/node';
import { LABEL_COLORS } from '../commands/export.js';
import { encodePng } from './png.js';
import { escapeHtml as e } from './svg.js';

/** One chosen case and its rendered slice. */
export interface CaseSlice {
  readonly role: 'best' | 'median' | 'worst';
  readonly caseId: string;
  readonly dice: number;
  /** Axial slice index (z) shown: the one with the most reference foreground. */
  readonly z: number;
  /** PNG images: the image, with the reference, with the prediction. */
  readonly png: { readonly image: Uint8Array; readonly reference: Uint8Array; readonly prediction: Uint8Array };
}

/** Mean foreground Dice per case (NaN classes skipped), from a run's metrics.json cases. */
function meanDice(c: { result: { classes: ReadonlyArray<{ metrics: Record<string, number | null | undefined> }> } }): number {
  const ds = c.result.classes.map((k) => k.metrics.dice).filter((d): d is number => typeof d === 'number' && Number.isFinite(d));
  return ds.length === 0 ? Number.NaN : ds.reduce((a, b) => a + b, 0) / ds.length;
}

/** Best, median and worst case ids by mean Dice (fewer when the run has fewer cases). */
export function pickCases(cases: ReadonlyArray<{ caseId: string; dice: number }>): Array<{ role: CaseSlice['role']; caseId: string; dice: number }> {
  const sorted = cases.filter((c) => Number.isFinite(c.dice)).sort((a, b) => b.dice - a.dice || a.caseId.localeCompare(b.caseId));
  if (sorted.length === 0) return [];
  const picks = [
    { role: 'best' as const, ...sorted[0]! },
    { role: 'median' as const, ...sorted[Math.floor((sorted.length - 1) / 2)]! },
    { role: 'worst' as const, ...sorted[sorted.length - 1]! },
  ];
  return picks.filter((p, i) => picks.findIndex((q) => q.caseId === p.caseId) === i);
}

const SCALE = 4;

/** Window [2nd, 98th] percentile of channel 0 → grey 0–255. */
function greyLevels(image: Volume, z: number): { lo: number; hi: number } {
  const [nx, ny] = image.shape;
  const values = Float64Array.from(image.data.subarray(nx * ny * z, nx * ny * (z + 1)) as ArrayLike<number>).sort();
  return { lo: values[Math.floor(0.02 * (values.length - 1))]!, hi: values[Math.floor(0.98 * (values.length - 1))]! };
}

/**
 * Renders axial slice `z` (x to the right, y up) scaled ×4: the image in grey, and with `labels`
 * blended on top (alpha 0.5) in the report's label colours. Returns RGB PNG bytes.
 */
export function renderSlice(image: Volume, z: number, labels?: Volume): Uint8Array {
  const [nx, ny] = image.shape;
  const { lo, hi } = greyLevels(image, z);
  const w = nx * SCALE;
  const h = ny * SCALE;
  const rgb = new Uint8Array(3 * w * h);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const v = x + nx * (y + ny * z);
      const g = hi > lo ? Math.round((255 * Math.min(Math.max(Number(image.data[v]) - lo, 0), hi - lo)) / (hi - lo)) : 0;
      let px: [number, number, number] = [g, g, g];
      const label = labels === undefined ? 0 : Number(labels.data[v]);
      if (label > 0) {
        const c = LABEL_COLORS[(label - 1) % LABEL_COLORS.length]!;
        px = [Math.round(0.5 * g + 0.5 * c[0]), Math.round(0.5 * g + 0.5 * c[1]), Math.round(0.5 * g + 0.5 * c[2])];
      }
      for (let dy = 0; dy < SCALE; dy++) {
        const row = (ny - 1 - y) * SCALE + dy; // y up
        for (let dx = 0; dx < SCALE; dx++) rgb.set(px, 3 * (row * w + x * SCALE + dx));
      }
    }
  }
  return encodePng(rgb, w, h);
}

/** The axial slice with the most foreground voxels of `labels` (the middle one when there are none). */
export function busiestSlice(labels: Volume): number {
  const [nx, ny, nz] = labels.shape;
  let best = Math.floor(nz / 2);
  let most = 0;
  for (let z = 0; z < nz; z++) {
    let n = 0;
    for (let i = nx * ny * z; i < nx * ny * (z + 1); i++) if (Number(labels.data[i]) > 0) n++;
    if (n > most) [best, most] = [z, n];
  }
  return best;
}

/**
 * The best, median and worst validation cases of a train run with their slices. Needs the run's
 * metrics.json cases, `preprocessed/dataset.json` (image and reference of each case) and
 * `predictions/<case>.nii.gz`; cases whose files are missing are left out.
 */
export async function caseSlices(run: {
  readonly dir: string;
  readonly metrics: { readonly cases: ReadonlyArray<{ caseId: string; result: { classes: ReadonlyArray<{ metrics: Record<string, number | null | undefined> }> } }> } | null;
}): Promise<CaseSlice[]> {
  if (run.metrics === null) return [];
  const dsFile = join(run.dir, 'preprocessed', 'dataset.json');
  if (!existsSync(dsFile)) return [];
  const ds = JSON.parse(await readFile(dsFile, 'utf8')) as { training?: Array<{ image: string; label: string }> };
  const files = new Map((ds.training ?? []).map((t) => [basename(t.image).replace(/\.nii(\.gz)?$/i, ''), t]));
  const out: CaseSlice[] = [];
  for (const pick of pickCases(run.metrics.cases.map((c) => ({ caseId: c.caseId, dice: meanDice(c) })))) {
    const entry = files.get(pick.caseId);
    const predPath = join(run.dir, 'predictions', `${pick.caseId}.nii.gz`);
    if (entry === undefined || !existsSync(predPath)) continue;
    const image = await readNifti(join(run.dir, 'preprocessed', entry.image));
    const reference = mapLabelsToGrid(await readNifti(join(run.dir, 'preprocessed', entry.label)), image);
    const prediction = mapLabelsToGrid(await readNifti(predPath), image);
    const z = busiestSlice(reference);
    out.push({
      ...pick,
      z,
      png: { image: renderSlice(image, z), reference: renderSlice(image, z, reference), prediction: renderSlice(image, z, prediction) },
    });
  }
  return out;
}

const dataUri = (png: Uint8Array) => `data:image/png;base64,${Buffer.from(png).toString('base64')}`;

/** The report section of a run's case slices (empty when there are none). */
export function caseSlicesSection(slices: readonly CaseSlice[], labelNames: readonly string[] = []): string {
  if (slices.length === 0) return '';
  const legend = labelNames
    .map((name, i) => {
      const [r, g, b] = LABEL_COLORS[i % LABEL_COLORS.length]!;
      return `<span class="swatch" style="background:rgb(${r},${g},${b})"></span>${e(name)}`;
    })
    .join(' ');
  const rows = slices
    .map(
      (s) => `<figure class="case"><figcaption><b>${s.role}</b> ${e(s.caseId)} — mean Dice ${s.dice.toFixed(3)}, axial slice z = ${s.z}</figcaption>
<img alt="${e(s.caseId)} image" src="${dataUri(s.png.image)}"><img alt="${e(s.caseId)} reference" src="${dataUri(s.png.reference)}"><img alt="${e(s.caseId)} prediction" src="${dataUri(s.png.prediction)}"></figure>`,
    )
    .join('\n');
  return `<h3>Cases: image · reference · prediction</h3><p class="legend">${legend}</p>${rows}`;
}
