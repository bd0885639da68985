import { defineCommand } from '../command.js';
import { runExport } from './export.js';

/** `voxnas export` (what it writes is in export.ts). */
export const exportCommand = defineCommand({
  name: 'export',
  summary: 'export a trained model: model.json + weights.bin (tfjs), network.json, model-card.json (+ model.onnx with --format onnx)',
  usage: '--run <train-run> --out <dir> [--format tfjs|onnx] [--json]',
  flags: {
    run: { type: 'string', value: '<train-run>', description: 'a finished train run directory' },
    out: { type: 'string', value: '<dir>', description: 'the model directory to write (must not exist or be empty); appears whole or not at all' },
    format: { type: 'string', value: 'tfjs|onnx', default: 'tfjs', description: "'onnx' also writes model.onnx (ONNX Runtime, browsers; the model card in its metadata_props)" },
    json: { type: 'boolean', description: 'print the result (files, parameters, model card) as JSON' },
  },
  async run({ flags, io }) {
    const r = await runExport(flags);
    io.out(flags.json ? JSON.stringify(r, null, 2) : `exported ${r.dir} (${r.parameters} parameters): ${r.files.join(', ')}`);
    return 0;
  },
});
