// Timing for the note (not a test): one training step of the web app's network on its phantom case,
// in the page through the training panel (TensorFlow.js WebGPU on Chromium's SwiftShader adapter, and
// the page's cpu backend), against the same loop (`trainSteps`), network, seed and case in Node on the
// cpu backend (pure JS, and with @voxnas/kernels where built). Prints one JSON line per measurement.
//   node --import tsx --conditions=@voxnas/source examples/web/scripts/measure-training.ts
import * as tf from '@tensorflow/tfjs-core';
import { loadavg } from 'node:os';
import { Rng } from '@voxnas/core';
import { initBackend } from '@voxnas/ops';
import { caseTensors, trainSteps, type StepReport } from '@voxnas/train';
import { UNet } from '@voxnas/unet';
import { launchApp, openPage } from '../test/served-app.js';
import { TRAINING_STEPS, phantomTrainingCase, trainingNetworkSpec } from '../src/training-case.js';

const out = (row: Record<string, unknown>) => console.log(JSON.stringify({ ...row, load: loadavg().map((l) => +l.toFixed(2)) }));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** First step (shader compilation, first allocations) apart; the median of the others. */
const summary = (reports: readonly StepReport[]) => ({
  firstStepMs: Math.round(reports[0]!.ms),
  stepMs: Math.round(median(reports.slice(1).map((r) => r.ms))),
  firstLoss: +reports[0]!.loss.toFixed(5),
  lastLoss: +reports.at(-1)!.loss.toFixed(5),
});

const trainingCase = phantomTrainingCase();
const spec = trainingNetworkSpec(trainingCase.image.channels, trainingCase.classes);
out({ what: 'case', shape: trainingCase.image.shape, classes: trainingCase.classes, network: spec, steps: TRAINING_STEPS });
const results: Record<string, number> = {};

// Node: the same loop, network, seed and case.
for (const backend of ['cpu', 'auto'] as const) {
  const choice = await initBackend({ backend, logger: () => {} });
  const data = caseTensors(trainingCase.image, trainingCase.label);
  const net = new UNet({ ...spec.options, rng: new Rng('web training') });
  const s = summary(await trainSteps({ net, data, steps: TRAINING_STEPS }));
  net.dispose();
  tf.dispose([data.x, data.y]);
  const name = choice.native ? 'node cpu + @voxnas/kernels' : 'node cpu (pure JS)';
  if (backend === 'auto' && !choice.native) continue; // no native kernels here: same as the row above
  results[name] = s.stepMs;
  out({ what: name, summary: choice.summary, ...s });
}

// The page: the app's own panel (Use the phantom case → Train), on webgpu and on the page's cpu backend.
const { url, browser, close } = await launchApp();
try {
  for (const backend of ['webgpu', 'cpu'] as const) {
    const { page, errors } = await openPage(browser, `${url}?train=${backend}`);
    await page.click('#train-phantom');
    await page.waitForFunction(() => document.querySelector('#training-panel')?.getAttribute('data-state') === 'ready');
    await page.click('#training-panel button:has-text("Train")');
    await page.waitForFunction(() => ['trained', 'error'].includes(document.querySelector('#training-panel')?.getAttribute('data-state') ?? ''), undefined, {
      timeout: 1_200_000,
      polling: 1000,
    });
    const t = await page.evaluate(() => {
      const tr = (window as unknown as { voxnasApp: { training: { backend: string; note: string; reports(): StepReport[] } } }).voxnasApp.training;
      return { backend: tr.backend, note: tr.note, reports: [...tr.reports()] };
    });
    if (t.reports.length !== TRAINING_STEPS) throw new Error(`page (${backend}): ${t.reports.length} steps; errors: ${errors.join('; ')}`);
    const s = summary(t.reports);
    const name = `page ${t.backend}`;
    results[name] = s.stepMs;
    out({ what: name, note: t.note, ...s });
    await page.close();
  }
} finally {
  await close();
}

const js = results['node cpu (pure JS)']!;
const ratios = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, +(v / js).toFixed(2)]));
out({ what: 'step time ÷ node cpu (pure JS) step time', ratios });
