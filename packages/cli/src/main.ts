import { parseArgs } from 'node:util';
import { VoxnasError } from '@voxnas/core';
import { doctor, formatDoctor } from './commands/doctor.js';
import { formatInfo, info } from './commands/info.js';
import { dryRunSearch, formatDryRun, runSearch } from './commands/search.js';
import { runTrain } from './commands/train.js';
import { compareRuns, formatComparison, formatEvaluation, runEvaluate } from './commands/evaluate.js';
import { runExport } from './commands/export.js';
import { runPredict } from './commands/predict.js';
import { runReport } from './commands/report.js';
import { UsageError } from './errors.js';

/** Where `main` writes; tests pass buffers. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

interface Command {
  summary: string;
  usage: string;
  run(args: string[], io: Io): Promise<number>;
}

const RUN_OPTIONS = {
  config: { type: 'string' },
  set: { type: 'string', multiple: true },
  seed: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const COMMANDS: Record<string, Command> = {
  search: {
    summary: 'search an architecture on a dataset (resumable); writes genotype.json',
    usage:
      'voxnas search (--out <run-dir> [--config <file.yaml|json>] [--set key=value]… [--seed n] | --resume <run-dir>) [--dry-run] [--json]',
    async run(args, io) {
      const { values, positionals } = parse(args, { ...RUN_OPTIONS, 'dry-run': { type: 'boolean' } }, 'search');
      if (positionals.length) throw new UsageError(`voxnas search: unexpected argument '${positionals[0]}'`);
      if (values['dry-run']) {
        const r = await dryRunSearch(values, io.err);
        io.out(values.json ? JSON.stringify(r, null, 2) : formatDryRun(r));
        return r.fits ? 0 : 1;
      }
      const r = await runSearch(values, io.err);
      io.out(
        values.json
          ? JSON.stringify(r, null, 2)
          : `search done: ${r.genotypePath} (best at step ${r.bestStep}, validation Dice ${r.bestScore?.toFixed(4) ?? 'n/a'}, ${r.params} parameters)`,
      );
      return 0;
    },
  },
  train: {
    summary: 'train a U-Net, a random architecture or a genotype (resumable); evaluates it',
    usage:
      'voxnas train (--out <run-dir> [--arch unet|random|<genotype.json>] [--match <genotype.json>] [--config <file>] [--set key=value]… [--seed n] | --resume <run-dir>) [--json]',
    async run(args, io) {
      const { values, positionals } = parse(args, { ...RUN_OPTIONS, arch: { type: 'string' }, match: { type: 'string' } }, 'train');
      if (positionals.length) throw new UsageError(`voxnas train: unexpected argument '${positionals[0]}'`);
      const r = await runTrain(values, io.err);
      io.out(
        values.json
          ? JSON.stringify(r, null, 2)
          : `train done: ${r.runDir} (${r.arch}, ${r.params} parameters, mean Dice ${r.meanDice.toFixed(4)})`,
      );
      return 0;
    },
  },
  evaluate: {
    summary: 'score predictions against references, or compare two runs per class (paired Wilcoxon + bootstrap CI)',
    usage:
      'voxnas evaluate (--pred <dir> --ref <dir> [--out <dir>] [--labels 1,2,3] | --compare <runA> <runB> [--out <dir>]) [--json]',
    async run(args, io) {
      const { values, positionals } = parse(
        args,
        { pred: { type: 'string' }, ref: { type: 'string' }, out: { type: 'string' }, labels: { type: 'string' }, compare: { type: 'boolean' }, json: { type: 'boolean' } },
        'evaluate',
      );
      if (values.compare) {
        if (positionals.length !== 2 || values.pred || values.ref) {
          throw new UsageError(`voxnas evaluate --compare: expected two run directories, got ${positionals.length} and no --pred/--ref`);
        }
        const r = await compareRuns({ runs: [positionals[0]!, positionals[1]!], ...(values.out ? { out: values.out } : {}) });
        io.out(values.json ? JSON.stringify(r, null, 2) : formatComparison(r));
        return 0;
      }
      if (positionals.length) throw new UsageError(`voxnas evaluate: unexpected argument '${positionals[0]}'`);
      const r = await runEvaluate(values);
      io.out(values.json ? JSON.stringify(r, null, 2) : formatEvaluation(r));
      return 0;
    },
  },
  predict: {
    summary: "segment images with a trained run's model; writes label maps on each input's own grid",
    usage: 'voxnas predict --run <train-run | exported-model> --input <file.nii[.gz] | dir> --output <dir> [--mirror] [--json]',
    async run(args, io) {
      const { values, positionals } = parse(
        args,
        { run: { type: 'string' }, input: { type: 'string' }, output: { type: 'string' }, mirror: { type: 'boolean' }, json: { type: 'boolean' } },
        'predict',
      );
      if (positionals.length) throw new UsageError(`voxnas predict: unexpected argument '${positionals[0]}'`);
      const r = await runPredict(values, io.err);
      io.out(values.json ? JSON.stringify(r, null, 2) : r.map((c) => `${c.input} → ${c.output}`).join('\n'));
      return 0;
    },
  },
  export: {
    summary: 'export a trained model: model.json + weights.bin (tfjs), network.json, model-card.json (+ model.onnx with --format onnx)',
    usage: 'voxnas export --run <train-run> --out <dir> [--format tfjs|onnx] [--json]',
    async run(args, io) {
      const { values, positionals } = parse(
        args,
        { run: { type: 'string' }, out: { type: 'string' }, format: { type: 'string' }, json: { type: 'boolean' } },
        'export',
      );
      if (positionals.length) throw new UsageError(`voxnas export: unexpected argument '${positionals[0]}'`);
      const r = await runExport(values);
      io.out(values.json ? JSON.stringify(r, null, 2) : `exported ${r.dir} (${r.parameters} parameters): ${r.files.join(', ')}`);
      return 0;
    },
  },
  report: {
    summary: 'one self-contained HTML report of search/train runs (curves, α heatmaps, genotypes, metrics)',
    usage: 'voxnas report --run <dir> [--run <dir>]… --out <report.html>',
    async run(args, io) {
      const { values, positionals } = parse(args, { run: { type: 'string', multiple: true }, out: { type: 'string' } }, 'report');
      if (positionals.length) throw new UsageError(`voxnas report: unexpected argument '${positionals[0]}'`);
      const r = await runReport({ runs: values.run ?? [], ...(values.out ? { out: values.out } : {}) });
      io.out(`report written: ${r.path} (${r.runs} run(s))`);
      return 0;
    },
  },
  info: {
    summary: 'describe a NIfTI volume or a run directory',
    usage: 'voxnas info <file.nii[.gz] | run-dir> [--json]',
    async run(args, io) {
      const { values, positionals } = parse(args, { json: { type: 'boolean' } }, 'info');
      if (positionals.length !== 1) throw new UsageError(`voxnas info: expected one path, got ${positionals.length}`);
      const r = await info(positionals[0]!);
      io.out(values.json ? JSON.stringify(r, null, 2) : formatInfo(r));
      return 0;
    },
  },
  doctor: {
    summary: 'report backend, native kernels, threads and versions',
    usage: 'voxnas doctor [--json]',
    async run(args, io) {
      const { values } = parse(args, { json: { type: 'boolean' } }, 'doctor');
      const r = await doctor();
      io.out(values.json ? JSON.stringify(r, null, 2) : formatDoctor(r));
      return 0;
    },
  },
};

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse<O extends Options>(args: string[], options: O, command: string) {
  try {
    return parseArgs({ args, options: options as Options & O, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new UsageError(`voxnas ${command}: ${(cause as Error).message}`, { cause });
  }
}

function help(): string {
  const names = Object.keys(COMMANDS).sort();
  return [
    'voxnas — neural architecture search for 3D medical image segmentation',
    '',
    'usage: voxnas <command> [options]',
    '',
    ...names.map((n) => `  ${n.padEnd(10)} ${COMMANDS[n]!.summary}`),
    '',
    "Run 'voxnas <command> --help' for a command's options.",
  ].join('\n');
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code: 0 success,
 * 1 a voxnas error (typed, message printed), 2 wrong usage, 70 an unexpected internal error.
 */
export async function main(argv: string[], io: Io = { out: (t) => console.log(t), err: (t) => console.error(t) }): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    const { packageVersions } = await import('./commands/doctor.js');
    io.out(packageVersions().voxnas ?? 'unknown');
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`voxnas: unknown command '${name}'. Commands: ${Object.keys(COMMANDS).sort().join(', ')}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`usage: ${cmd.usage}\n\n${cmd.summary}`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\nusage: ${cmd.usage}`);
      return 2;
    }
    if (e instanceof VoxnasError) {
      io.err(`voxnas ${name}: ${e.name} [${e.code}]: ${e.message}`);
      return 1;
    }
    if (e instanceof Error && (e as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`voxnas ${name}: ${e.message}`);
      return 1;
    }
    io.err(`voxnas ${name}: internal error: ${(e as Error)?.stack ?? String(e)}`);
    return 70;
  }
}
