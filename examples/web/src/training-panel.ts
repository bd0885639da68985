/**
 * The training panel: trains a small voxnas network on one case on the page's tfjs backend (WebGPU
 * where the browser has it), with a progress bar and the loss curve, and exports the result as voxnas
 * saves weights in Node (`model.json` + `weights.bin`). Framework-free DOM. Its state is on the root
 * as `data-state`: `ready`, `training`, `trained` or `error` (the message is in the status line).
 */
import { VoxnasError } from '@voxnas/core';
import type { Network, WeightsFile } from '@voxnas/ops';
import { exportWeights, trainSteps, type CaseTensors, type StepReport } from '@voxnas/train';

/** Options of {@link mountTrainingPanel}. */
export interface TrainingPanelOptions {
  /** The case to train on (image `[1, z, y, x, c]`, labels `[1, z, y, x]`). */
  readonly data: CaseTensors;
  /** Builds the network to train (called on every Train click). */
  readonly createNetwork: () => Network;
  /** Steps per run. Default 20. */
  readonly steps?: number;
  /** Learning rate. Default 0.01. */
  readonly lr?: number;
  /** Receives the step reports when a Train (button or {@link TrainingPanel.train}) has finished. */
  readonly onTrained?: (reports: StepReport[]) => void;
  /** Receives the exported files (e.g. to offer them as downloads). */
  readonly onExport?: (files: { readonly file: WeightsFile; readonly data: Uint8Array }) => void;
}

/** The mounted panel: its elements and a programmatic Train (what the button does). */
export interface TrainingPanel {
  readonly root: HTMLElement;
  readonly progress: HTMLProgressElement;
  readonly curve: SVGSVGElement;
  readonly status: HTMLElement;
  /** Trains a new network for `steps` steps; resolves with the step reports. */
  train(): Promise<StepReport[]>;
  /** The last trained network (undefined before the first Train). */
  network(): Network | undefined;
  /** Exports the last trained network (`model.json` + `weights.bin`). */
  exportModel(): Promise<{ file: WeightsFile; data: Uint8Array }>;
  /** Disposes the last network and empties `root`. */
  dispose(): void;
}

const SVG = 'http://www.w3.org/2000/svg';

/** Polyline points of a loss curve in a `width × height` box (y from the run's min to max loss). */
export function curvePoints(losses: readonly number[], steps: number, width: number, height: number): string {
  if (losses.length === 0) return '';
  const lo = Math.min(...losses);
  const hi = Math.max(...losses);
  const span = hi - lo || 1;
  return losses
    .map((l, i) => `${((i / Math.max(steps - 1, 1)) * width).toFixed(1)},${(height - ((l - lo) / span) * height).toFixed(1)}`)
    .join(' ');
}

/**
 * Mounts the panel into `root`: a Train button, a progress bar, the loss curve and an Export button.
 *
 * @example
 * const panel = mountTrainingPanel(document.getElementById('train')!, {
 *   data, createNetwork: () => new UNet({ levels: 2, baseChannels: 4, classes: 4, rng: new Rng(1) }),
 *   onExport: ({ file, data }) => download(file, data),
 * });
 */
export function mountTrainingPanel(root: HTMLElement, options: TrainingPanelOptions): TrainingPanel {
  const steps = options.steps ?? 20;
  root.replaceChildren();
  root.classList.add('voxnas-training');
  root.dataset.state = 'ready';
  const trainButton = Object.assign(document.createElement('button'), { textContent: 'Train', type: 'button' });
  const exportButton = Object.assign(document.createElement('button'), { textContent: 'Export', type: 'button', disabled: true });
  const progress = Object.assign(document.createElement('progress'), { max: steps, value: 0 });
  const status = Object.assign(document.createElement('span'), { textContent: 'ready' });
  const curve = document.createElementNS(SVG, 'svg');
  curve.setAttribute('width', '320');
  curve.setAttribute('height', '120');
  curve.setAttribute('viewBox', '0 0 320 120');
  curve.style.border = '1px solid #999';
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', '#1565c0');
  line.setAttribute('stroke-width', '2');
  curve.append(line);
  const row = document.createElement('div');
  row.append(trainButton, progress, status, exportButton);
  root.append(row, curve);

  let net: Network | undefined;
  const losses: number[] = [];

  const train = async (): Promise<StepReport[]> => {
    trainButton.disabled = true;
    exportButton.disabled = true;
    net?.dispose();
    net = options.createNetwork();
    losses.length = 0;
    progress.value = 0;
    root.dataset.state = 'training';
    try {
      const reports = await trainSteps({
        net,
        data: options.data,
        steps,
        lr: options.lr ?? 0.01,
        onStep: async (r) => {
          losses.push(r.loss);
          progress.value = r.step + 1;
          status.textContent = `step ${r.step + 1}/${steps} · loss ${r.loss.toFixed(4)} · ${Math.round(r.ms)} ms`;
          line.setAttribute('points', curvePoints(losses, steps, 320, 120));
          // Let the page paint between steps.
          await new Promise((resolve) => requestAnimationFrame(() => resolve(undefined)));
        },
      });
      root.dataset.state = 'trained';
      options.onTrained?.(reports);
      return reports;
    } catch (e) {
      net.dispose();
      net = undefined;
      root.dataset.state = 'error';
      throw e;
    } finally {
      trainButton.disabled = false;
      exportButton.disabled = net === undefined;
    }
  };

  const exportModel = async () => {
    if (net === undefined) throw new VoxnasError('E_NOTHING_TRAINED', 'training panel: exportModel() before any training (press Train first)');
    const files = await exportWeights(net);
    options.onExport?.(files);
    return files;
  };

  // A failure of a click shows in the status line (and data-state), not as an unhandled rejection.
  const shown = (run: () => Promise<unknown>) => () => {
    run().catch((e: unknown) => {
      root.dataset.state = 'error';
      status.textContent = `failed: ${(e as Error)?.message ?? String(e)}`;
    });
  };
  trainButton.addEventListener('click', shown(train));
  exportButton.addEventListener('click', shown(exportModel));
  return {
    root,
    progress,
    curve,
    status,
    train,
    network: () => net,
    exportModel,
    dispose: () => {
      net?.dispose();
      net = undefined;
      root.replaceChildren();
    },
  };
}
