// The page: open a NIfTI and a model (file pickers or drag and drop), segment with a progress bar, show
// the overlay in NiiVue, save the label map; train a small network on the phantom case or on the opened
// image with its label map and download it. Every problem becomes a message on the page.
import { NiftiFormatError, decodeNifti, encodeNifti, type Volume } from '@voxnas/volume';
import { VoxnasError } from '@voxnas/core';
import { InputProblem } from './input-problem.js';
import { chooseBackend, createSession, readModelInfo, type ModelInfo } from './model.js';
import { checkChannels, segment } from './segment.js';
import { createViewer, type Viewer } from './viewer.js';
import { openedTrainingCase, phantomTrainingCase, type TrainingCase } from './training-case.js';
import type { PageTraining } from './training.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const message = $<HTMLSpanElement>('message');
const progress = $<HTMLProgressElement>('progress');
const runButton = $<HTMLButtonElement>('run');
const saveButton = $<HTMLButtonElement>('save');

interface State {
  image?: { volume: Volume; bytes: Uint8Array; name: string };
  model?: { info: ModelInfo; bytes: Uint8Array; name: string };
  labels?: { bytes: Uint8Array; name: string };
}
const state: State = {};
/** Timings and choices of the last run, for people (the facts panel) and tests. */
const lastRun: { backend?: string; ms?: number; windows?: number; voxels?: number } = {};
/** The training panel in use, for people (its messages) and tests. */
const app: { lastRun: typeof lastRun; training?: PageTraining } = { lastRun };
(window as unknown as { voxnasApp: unknown }).voxnasApp = app;

let viewer: Viewer | undefined;

function say(text: string, kind: 'info' | 'error' = 'info'): void {
  message.textContent = text;
  message.className = kind;
  if (kind === 'error') document.body.dataset.state = 'error';
}

function problem(e: unknown): string {
  if (e instanceof InputProblem || e instanceof VoxnasError) return e.message;
  return `unexpected problem: ${(e as Error)?.message ?? String(e)}`;
}

/** Runs an event handler; any failure is shown on the page, never left to the console. */
function guarded(fn: () => Promise<void>): () => void {
  return () => {
    fn().catch((e: unknown) => say(problem(e), 'error'));
  };
}

function facts(): void {
  const rows: Array<[string, string]> = [];
  if (state.image) rows.push(['image', `${state.image.name}: ${state.image.volume.shape.join(' × ')} × ${state.image.volume.channels} ch`]);
  if (state.model) {
    const m = state.model.info;
    rows.push(['model', `${state.model.name}: ${m.inputChannels} → ${m.classes} classes, window ${m.patchSize.join('×')}`]);
    rows.push(['orientation / spacing', `${m.orientation ?? '—'} / ${m.spacingMm ? m.spacingMm.join(' × ') + ' mm' : '—'}`]);
  }
  if (lastRun.ms !== undefined) rows.push(['last run', `${lastRun.backend}, ${lastRun.windows} windows, ${(lastRun.ms / 1000).toFixed(2)} s`]);
  $('facts').replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}

function legend(info: ModelInfo): void {
  $('legend').replaceChildren(
    ...Object.entries(info.labels)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([value, name]) => {
        const li = document.createElement('li');
        const sw = document.createElement('span');
        sw.className = 'swatch';
        const [r, g, b] = info.colors[value] ?? [128, 128, 128];
        sw.style.background = `rgb(${r}, ${g}, ${b})`;
        li.append(sw, `${value} ${name}`);
        return li;
      }),
  );
}

function ready(): void {
  runButton.disabled = !(state.image && state.model);
  facts();
}

async function openImage(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let volume: Volume;
  try {
    volume = decodeNifti(bytes, { name: file.name }).volume;
  } catch (e) {
    if (e instanceof NiftiFormatError) throw new InputProblem(`${file.name} is not a NIfTI image: ${e.message}`);
    throw e;
  }
  state.image = { volume, bytes, name: file.name };
  state.labels = undefined;
  saveButton.disabled = true;
  viewer ??= await createViewer($<HTMLCanvasElement>('viewer'));
  await viewer.showImage(bytes, file.name);
  say(`opened ${file.name}`);
  document.body.dataset.state = 'idle';
  ready();
}

async function openModel(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const info = readModelInfo(bytes, file.name);
  state.model = { info, bytes, name: file.name };
  legend(info);
  say(`model ${file.name}: ${Object.values(info.labels).join(', ')}`);
  document.body.dataset.state = 'idle';
  ready();
}

async function openFiles(files: Iterable<File>): Promise<void> {
  for (const f of files) {
    if (/\.onnx$/i.test(f.name)) await openModel(f);
    else await openImage(f);
  }
}

async function run(): Promise<void> {
  const { image, model } = state;
  if (!image || !model) return;
  document.body.dataset.state = 'running';
  runButton.disabled = true;
  progress.value = 0;
  try {
    const asked = (new URLSearchParams(location.search).get('backend') ?? $<HTMLSelectElement>('backend').value) as 'auto' | 'webgpu' | 'wasm';
    checkChannels(image.volume, model.info); // before loading the runtime
    const { backend, note } = await chooseBackend(asked);
    say(`loading the model on ${note}…`);
    const { session, predict } = await createSession(model.bytes, backend);
    const started = performance.now();
    let windows = 0;
    try {
      const labels = await segment({
        image: image.volume,
        model: model.info,
        predict,
        onProgress: (done, total) => {
          progress.value = done / total;
          windows = total;
          say(`segmenting on ${note}: window ${done} of ${total}`);
        },
      });
      Object.assign(lastRun, { backend, ms: performance.now() - started, windows, voxels: labels.data.length });
      const bytes = encodeNifti(labels, { gzip: true });
      state.labels = { bytes, name: `${image.name.replace(/\.nii(\.gz)?$/i, '')}_labels.nii.gz` };
      await viewer!.showLabels(bytes, model.info.labels, model.info.colors);
      saveButton.disabled = false;
      say(`done in ${(lastRun.ms! / 1000).toFixed(2)} s on ${note} (${windows} windows)`);
      document.body.dataset.state = 'done';
    } finally {
      await session.release();
    }
  } finally {
    runButton.disabled = false;
    facts();
  }
}

function sayTraining(text: string, kind: 'info' | 'error' = 'info'): void {
  const m = $<HTMLSpanElement>('train-message');
  m.textContent = text;
  m.className = kind;
}

/** Mounts the training panel on a case (TensorFlow.js is loaded on the first call). */
async function train(trainingCase: TrainingCase): Promise<void> {
  const asked = new URLSearchParams(location.search).get('train') ?? $<HTMLSelectElement>('train-backend').value;
  const backend = asked === 'cpu' ? 'cpu' : 'webgpu';
  sayTraining(`loading TensorFlow.js (${backend})…`);
  const { startTraining } = await import('./training.js');
  app.training?.dispose();
  app.training = undefined;
  app.training = await startTraining({ root: $('training-panel'), downloads: $('training-downloads'), trainingCase, backend });
  const { image, classes, name, cropped } = trainingCase;
  sayTraining(
    `${name}: ${image.shape.join(' × ')} voxels${cropped ? ' (centre)' : ''}, ${image.channels} channel(s), ${classes} classes — on ${app.training.note}. Press Train.`,
  );
}

async function trainOnOpened(file: File): Promise<void> {
  if (!state.image) throw new InputProblem('open the image first, then its label map');
  const bytes = new Uint8Array(await file.arrayBuffer());
  let label: Volume;
  try {
    label = decodeNifti(bytes, { name: file.name }).volume;
  } catch (e) {
    if (e instanceof NiftiFormatError) throw new InputProblem(`${file.name} is not a NIfTI label map: ${e.message}`);
    throw e;
  }
  await train(openedTrainingCase(state.image.name, state.image.volume, label));
}

/** Like {@link guarded}, for the training controls: failures go to the training message. */
function guardedTraining(fn: () => Promise<void>): () => void {
  return () => {
    fn().catch((e: unknown) => sayTraining(problem(e), 'error'));
  };
}

function save(): void {
  if (!state.labels) return;
  const url = URL.createObjectURL(new Blob([state.labels.bytes as BlobPart], { type: 'application/gzip' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = state.labels.name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

$<HTMLInputElement>('image-file').addEventListener('change', (ev) => {
  const f = (ev.target as HTMLInputElement).files?.[0];
  if (f) guarded(() => openImage(f))();
});
$<HTMLInputElement>('model-file').addEventListener('change', (ev) => {
  const f = (ev.target as HTMLInputElement).files?.[0];
  if (f) guarded(() => openModel(f))();
});
runButton.addEventListener('click', guarded(run));
$('train-phantom').addEventListener('click', guardedTraining(() => train(phantomTrainingCase())));
$<HTMLInputElement>('label-file').addEventListener('change', (ev) => {
  const f = (ev.target as HTMLInputElement).files?.[0];
  if (f) guardedTraining(() => trainOnOpened(f))();
});
saveButton.addEventListener('click', save);
for (const target of [document.body]) {
  target.addEventListener('dragover', (ev) => {
    ev.preventDefault();
    $('drop').classList.add('over');
  });
  target.addEventListener('dragleave', () => $('drop').classList.remove('over'));
  target.addEventListener('drop', (ev) => {
    ev.preventDefault();
    $('drop').classList.remove('over');
    const files = Array.from(ev.dataTransfer?.files ?? []);
    guarded(() => openFiles(files))();
  });
}
