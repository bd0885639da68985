/**
 * The browser training demo: pick a NIfTI image + label (or the phantom fixture that
 * `scripts/make-fixtures.ts` writes), train a small U-Net with the training panel, download the
 * weights. Run with `pnpm --filter @voxnas/browser-testing demo` and open the printed URL.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { Rng } from '@voxnas/core';
import { initBackend } from '@voxnas/ops';
import { UNet } from '@voxnas/unet';
import { mountTrainingPanel, type TrainingPanel } from '../src/demo/training-panel.js';
import { caseFromNifti, type CaseTensors } from '../src/voxnas/training.js';

const $ = (id: string) => document.getElementById(id)!;

const choice = await initBackend({ backend: 'webgpu', logger: (line) => console.info(line) });
$('backend').textContent = choice.backend === 'webgpu' ? `WebGPU (${choice.provider})` : `${choice.backend} — ${choice.notes[0] ?? ''}`;

let panel: TrainingPanel | undefined;
let data: CaseTensors | undefined;

function download(name: string, bytes: Uint8Array | string): string {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart]));
  return `<a href="${url}" download="${name}">${name}</a>`;
}

function start(image: Uint8Array, label: Uint8Array): void {
  panel?.dispose();
  if (data) tf.dispose([data.x, data.y]);
  data = caseFromNifti(image, label);
  const classes = Math.max(2, Math.round(Math.max(...Array.from(data.y.dataSync()))) + 1);
  panel = mountTrainingPanel($('panel'), {
    data,
    steps: 20,
    createNetwork: () => new UNet({ levels: 2, baseChannels: 4, inputChannels: data!.x.shape[4], classes, rng: new Rng('browser demo') }),
    onExport: ({ file, data: bytes }) => {
      $('downloads').innerHTML = `${download('model.json', JSON.stringify(file))} ${download('weights.bin', bytes)}`;
    },
  });
}

async function bytesOf(input: HTMLInputElement): Promise<Uint8Array | undefined> {
  const f = input.files?.[0];
  return f ? new Uint8Array(await f.arrayBuffer()) : undefined;
}

for (const id of ['image', 'label']) {
  $(id).addEventListener('change', async () => {
    const [image, label] = await Promise.all([bytesOf($('image') as HTMLInputElement), bytesOf($('label') as HTMLInputElement)]);
    if (image && label) start(image, label);
  });
}
$('phantom').addEventListener('click', async () => {
  const get = async (name: string) => new Uint8Array(await (await fetch(`/${name}`)).arrayBuffer());
  start(await get('phantom-image.nii.gz'), await get('phantom-label.nii.gz'));
});
