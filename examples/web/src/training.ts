// Training in the page (loaded on first use, so the segmentation page does not carry TensorFlow.js):
// TensorFlow.js on WebGPU where the browser offers an adapter (the CPU backend otherwise, or when the
// menu asks for it), the training panel on a case, and the result offered for download as `voxnas
// export` writes a model: network.json, model.json, weights.bin.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
// tfjs-core registers no gradients by itself; the bundler cannot follow @voxnas/train's Node mapping.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { Rng } from '@voxnas/core';
import { initBackend, type BackendChoice } from '@voxnas/ops';
import { caseTensors, type CaseTensors, type StepReport } from '@voxnas/train';
import { UNet } from '@voxnas/unet';
import { TRAINING_STEPS, trainingNetworkSpec, type TrainingCase } from './training-case.js';
import { mountTrainingPanel, type TrainingPanel } from './training-panel.js';

/** What the page (and a test) can ask of the training in progress. */
export interface PageTraining {
  /** The tfjs backend training runs on (`webgpu`, or `cpu` after a fallback or when asked). */
  readonly backend: string;
  /** The backend's description (adapter, or why WebGPU was not used). */
  readonly note: string;
  readonly panel: TrainingPanel;
  /** Reports of the last Train. */
  reports(): readonly StepReport[];
  /** Logits of the trained network on the case, NDHWC `[1, z, y, x, classes]` flattened (eval mode). */
  predict(): Promise<number[]>;
  dispose(): void;
}

let chosen: { backend: 'webgpu' | 'cpu'; choice: Promise<BackendChoice> } | undefined;

/** Selects the tfjs backend once per asked name (a different one switches). */
function backendFor(asked: 'webgpu' | 'cpu'): Promise<BackendChoice> {
  if (chosen?.backend !== asked) chosen = { backend: asked, choice: initBackend({ backend: asked, logger: (line) => console.info(line) }) };
  return chosen.choice;
}

function link(id: string, name: string, bytes: Uint8Array | string, type: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.id = id;
  a.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  a.download = name;
  a.textContent = name;
  return a;
}

/**
 * Mounts the training panel for `trainingCase` into `root` (any earlier one is disposed by the
 * caller); Export puts the three files of an exported voxnas model into `downloads` as links.
 */
export async function startTraining(options: {
  root: HTMLElement;
  downloads: HTMLElement;
  trainingCase: TrainingCase;
  backend: 'webgpu' | 'cpu';
}): Promise<PageTraining> {
  const choice = await backendFor(options.backend);
  const { trainingCase, downloads } = options;
  const spec = trainingNetworkSpec(trainingCase.image.channels, trainingCase.classes);
  const data: CaseTensors = caseTensors(trainingCase.image, trainingCase.label);
  let reports: StepReport[] = [];
  for (const a of downloads.querySelectorAll('a')) URL.revokeObjectURL(a.href);
  downloads.replaceChildren();
  const panel = mountTrainingPanel(options.root, {
    data,
    steps: TRAINING_STEPS,
    createNetwork: () => new UNet({ ...spec.options, rng: new Rng('web training') }),
    onTrained: (r) => {
      reports = r;
    },
    onExport: ({ file, data: bytes }) => {
      for (const a of downloads.querySelectorAll('a')) URL.revokeObjectURL(a.href);
      downloads.replaceChildren(
        'Exported (voxnas export layout): ',
        link('download-network', 'network.json', JSON.stringify(spec), 'application/json'),
        ' ',
        link('download-model', 'model.json', JSON.stringify(file), 'application/json'),
        ' ',
        link('download-weights', 'weights.bin', bytes, 'application/octet-stream'),
      );
    },
  });
  return {
    backend: choice.backend,
    note: choice.backend === 'webgpu' ? `WebGPU (${choice.provider})` : `${choice.backend}${choice.notes.length > 0 ? ` — ${choice.notes.join('; ')}` : ''}`,
    panel,
    reports: () => reports,
    predict: async () => {
      const net = panel.network();
      if (net === undefined) return [];
      net.eval();
      const y = net.apply(data.x);
      try {
        return Array.from(await y.data());
      } finally {
        y.dispose();
        net.train();
      }
    },
    dispose: () => {
      panel.dispose();
      tf.dispose([data.x, data.y]);
    },
  };
}
