import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, relative } from 'node:path';
import { readNifti, readNiftiBytes } from '@voxnas/volume/node';
import { createVolume, spacingMm, type Volume } from '@voxnas/volume';
import { datasetError, type DatasetProblem } from './dataset-error.js';
import {
  describeFolders,
  describeMsd,
  describeNnunet,
  detectLayout,
  type CaseFiles,
  type DatasetDescription,
} from './layouts.js';

/** A loaded case: the image (channels = modalities, float32 or the file dtype) and its label. */
export interface LoadedCase {
  readonly id: string;
  readonly image: Volume;
  readonly label: Volume | null;
  /** The files read, with their size and SHA-256 (only when `loadCase(id, { digest: true })`). */
  readonly files?: readonly CaseFileDigest[];
}

/** One file of a case as read: absolute path, size in bytes and `sha256` hex digest of its bytes. */
export interface CaseFileDigest {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** One interface over MSD, nnU-Net v2 and folder datasets. */
export interface Dataset extends DatasetDescription {
  /** Training case ids in order. */
  readonly caseIds: readonly string[];
  /**
   * Reads a case (training or test) by id: each of its files is read from disk once and decoded
   * (`digest: true` also hashes the bytes read, so a data fingerprint needs no second read).
   */
  loadCase(id: string, options?: { digest?: boolean }): Promise<LoadedCase>;
}

/** Options of `openDataset`. */
export interface OpenDatasetOptions {
  /** Force a layout instead of detecting it. */
  layout?: DatasetDescription['layout'];
  /** 'full' (default) reads every case; 'files' only checks that files exist; false skips checks. */
  validate?: 'full' | 'files' | false;
  /** Label names for folder datasets (value → name); otherwise `class_<v>` from the values found. */
  labels?: ReadonlyMap<number, string>;
}

/** Grid tolerance (mm) when comparing image and label affines. */
const AFFINE_TOL = 1e-3;

async function readFileOnce(
  path: string,
  kind: 'image' | 'label',
  digest: boolean,
): Promise<{ volume: Volume; file: CaseFileDigest | null }> {
  const bytes = await readNiftiBytes(path);
  const file = digest ? { path, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') } : null;
  return { volume: await readNifti(bytes, { name: basename(path), kind }), file };
}

async function readCase(d: DatasetDescription, c: CaseFiles, digest = false): Promise<LoadedCase> {
  const read = await Promise.all(c.images.map((f) => readFileOnce(f, 'image', digest)));
  const parts = read.map((r) => r.volume);
  let image = parts[0]!;
  if (parts.length > 1) {
    const n = image.shape[0] * image.shape[1] * image.shape[2];
    const data = new Float32Array(n * parts.length);
    parts.forEach((p, k) => {
      if (!sameGrid(p, image) || p.channels !== 1) {
        const sp = (v: Volume) => spacingMm(v).map((x) => +x.toFixed(4)).join('×');
        throw datasetError(`loadCase(${c.id})`, [
          {
            caseId: c.id,
            problem: `channel ${k} (${relative(d.root, c.images[k]!)}) is on grid [${p.shape.join(', ')}]×${p.channels} at ${sp(p)} mm, expected [${image.shape.join(', ')}]×1 at ${sp(image)} mm with the same affine as channel 0`,
          },
        ]);
      }
      for (let i = 0; i < n; i++) data[k * n + i] = p.data[i]!;
    });
    image = createVolume({ data, shape: image.shape, channels: parts.length, affine: image.affine });
  }
  const lab = c.label ? await readFileOnce(c.label, 'label', digest) : null;
  const label = lab ? lab.volume : null;
  const files = [...read, ...(lab ? [lab] : [])].flatMap((r) => (r.file ? [r.file] : []));
  return { id: c.id, image, label, ...(digest ? { files } : {}) };
}

function sameGrid(a: Volume, b: Volume): boolean {
  if (!a.shape.every((n, i) => n === b.shape[i])) return false;
  for (let i = 0; i < 16; i++) if (Math.abs(a.affine[i]! - b.affine[i]!) > AFFINE_TOL) return false;
  return true;
}

/** Checks one loaded case against the description; returns its problems. */
export function checkCase(
  d: Pick<DatasetDescription, 'modalities' | 'labels'>,
  c: LoadedCase,
): DatasetProblem[] {
  const out: DatasetProblem[] = [];
  const p = (problem: string) => out.push({ caseId: c.id, problem });
  if (c.image.channels !== d.modalities.length)
    p(
      `image has ${c.image.channels} channel(s), expected ${d.modalities.length} (${d.modalities.join(', ')})`,
    );
  const img = c.image.data;
  for (let i = 0; i < img.length; i++) {
    if (!Number.isFinite(img[i]!)) {
      p(`image has a non-finite value (${img[i]}) at index ${i}`);
      break;
    }
  }
  if (c.label) {
    if (c.label.channels !== 1) p(`label has ${c.label.channels} channels, expected 1`);
    if (!c.label.shape.every((n, i) => n === c.image.shape[i])) {
      p(`label shape [${c.label.shape.join(', ')}] differs from image shape [${c.image.shape.join(', ')}]`);
    } else if (!sameGrid(c.image, c.label)) {
      let d = 0;
      for (let i = 0; i < 16; i++) d = Math.max(d, Math.abs(c.image.affine[i]! - c.label.affine[i]!));
      p(
        `label affine differs from the image affine by up to ${+d.toPrecision(4)} (tolerance ${AFFINE_TOL} mm): not on the same grid`,
      );
    }
    if (d.labels.size > 0) {
      const bad = new Set<number>();
      const lab = c.label.data;
      for (let i = 0; i < lab.length; i++) if (!d.labels.has(lab[i]!)) bad.add(lab[i]!);
      if (bad.size)
        p(
          `label values [${[...bad].sort((a, b) => a - b).join(', ')}] are not declared (declared: ${[...d.labels.keys()].join(', ')})`,
        );
    }
  }
  return out;
}

/**
 * Opens a dataset in any supported layout behind one interface, and validates it up front so bad data
 * fails now, not hours into a run: missing files, unreadable/corrupt NIfTI, image/label grids that
 * differ, channel counts that disagree with the modalities, non-finite intensities, labels outside the
 * declared set. All problems are reported together in one `DatasetError`, each named by case id.
 *
 * @example
 * const ds = await openDataset('/data/Task04_Hippocampus');
 * ds.layout;                   // 'msd'
 * const c = await ds.loadCase(ds.caseIds[0]);
 */
export async function openDataset(root: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  const layout = options.layout ?? (await detectLayout(root));
  let desc =
    layout === 'msd'
      ? await describeMsd(root)
      : layout === 'nnunet'
        ? await describeNnunet(root)
        : await describeFolders(root, options.labels);
  const all = [...desc.training, ...desc.test];
  const byId = new Map(all.map((c) => [c.id, c]));
  const where = `openDataset(${root}) [${layout}]`;
  const dup = all.map((c) => c.id).filter((id, i, a) => a.indexOf(id) !== i);
  if (dup.length)
    throw datasetError(
      where,
      dup.map((id) => ({ caseId: id, problem: 'duplicate case id' })),
    );
  const validate = options.validate ?? 'full';
  if (validate) {
    const problems: DatasetProblem[] = [];
    for (const c of all) {
      for (const f of [...c.images, ...(c.label ? [c.label] : [])]) {
        try {
          await stat(f);
        } catch {
          problems.push({ caseId: c.id, problem: `missing file ${relative(root, f)}` });
        }
      }
    }
    if (problems.length) throw datasetError(where, problems);
    if (validate === 'full') {
      const found = new Set<number>();
      for (const c of all) {
        let loaded: LoadedCase;
        try {
          loaded = await readCase(desc, c);
        } catch (e) {
          problems.push({ caseId: c.id, problem: `unreadable: ${(e as Error).message.split('\n')[0]}` });
          continue;
        }
        problems.push(...checkCase(desc, loaded));
        if (layout === 'folders' && !options.labels && loaded.label)
          for (const v of loaded.label.data) found.add(v);
      }
      if (problems.length) throw datasetError(where, problems);
      if (layout === 'folders' && !options.labels) {
        desc = {
          ...desc,
          labels: new Map(
            [...found].sort((a, b) => a - b).map((v) => [v, v === 0 ? 'background' : `class_${v}`]),
          ),
        };
      }
    }
  }
  const d = desc;
  return {
    ...d,
    caseIds: d.training.map((c) => c.id),
    async loadCase(id, options = {}) {
      const c = byId.get(id);
      if (!c)
        throw datasetError(`loadCase(${id})`, [
          {
            caseId: id,
            problem: `unknown case id; known: ${[...byId.keys()].slice(0, 10).join(', ')}${byId.size > 10 ? ', …' : ''}`,
          },
        ]);
      return readCase(d, c, options.digest ?? false);
    },
  };
}
