import { closestMatch, VoxnasError } from '@voxnas/core';
import { formatCommandHelp, parseCommandLine, type Command, type Io } from './command.js';
import { UsageError } from './errors.js';
import { formatConfigHelp, formatHelp } from './help.js';
import { progressIntervalSeconds, type ProgressSettings } from './progress.js';
import { deriveCommand } from './commands/derive.js';
import { doctorCommand } from './commands/doctor-command.js';
import { evaluateCommand } from './commands/evaluate.js';
import { experimentCommand } from './commands/experiment.js';
import { exportCommand } from './commands/export-command.js';
import { infoCommand } from './commands/info.js';
import { planCommand } from './commands/plan.js';
import { predictCommand } from './commands/predict.js';
import { reportCommand } from './commands/report.js';
import { searchCommand } from './commands/search.js';
import { searchQualityCommand } from './commands/search-quality.js';
import { trainCommand } from './commands/train.js';

export type { Io } from './command.js';

/** Every command of the CLI: a new command is one file exporting a `defineCommand(…)` and one line here. */
export const COMMANDS: readonly Command[] = [
  planCommand,
  searchCommand,
  searchQualityCommand,
  deriveCommand,
  trainCommand,
  evaluateCommand,
  predictCommand,
  exportCommand,
  reportCommand,
  infoCommand,
  doctorCommand,
  experimentCommand,
];

const DEFAULT_IO: Io = { out: (t) => console.log(t), err: (t) => console.error(t), progress: process.stderr };

function progressOf(flags: { quiet?: boolean; 'progress-interval'?: string }, io: Io, command: string): ProgressSettings {
  let intervalSeconds = progressIntervalSeconds();
  const raw = flags['progress-interval'];
  if (raw !== undefined) {
    intervalSeconds = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(intervalSeconds) || intervalSeconds < 0) {
      throw new UsageError(`voxnas ${command}: --progress-interval is '${raw}', expected a number of seconds ≥ 0`);
    }
  }
  return {
    quiet: flags.quiet ?? false,
    intervalSeconds,
    stream: io.progress ?? { isTTY: false, write: (s: string) => io.err(s.replace(/\n$/, '')) },
  };
}

function causes(e: unknown): string[] {
  const out: string[] = [];
  for (let c = (e as { cause?: unknown })?.cause; c !== undefined && out.length < 5; c = (c as { cause?: unknown })?.cause) {
    out.push(`  caused by: ${c instanceof Error ? `${c.name}: ${c.message}` : String(c)}`);
  }
  return out;
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns the exit code: 0 success,
 * 1 a voxnas error (typed, message printed), 2 wrong usage, 70 an unexpected internal error.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: string[], io: Io = DEFAULT_IO): Promise<number> {
  const [name, ...rest] = argv;
  const byName = new Map(COMMANDS.map((c) => [c.name, c]));
  if (!name || name === '--help' || name === '-h') {
    io.out(formatHelp(COMMANDS));
    return name ? 0 : 2;
  }
  if (name === 'help') {
    const topic = rest[0];
    if (topic === undefined) io.out(formatHelp(COMMANDS));
    else if (topic === 'config') io.out(formatConfigHelp());
    else if (byName.has(topic)) io.out(formatCommandHelp(byName.get(topic)!));
    else {
      const near = closestMatch(topic, [...byName.keys(), 'config']);
      io.err(`voxnas help: no help on '${topic}'${near ? ` (did you mean '${near}'?)` : ''}; topics: config, ${[...byName.keys()].sort().join(', ')}`);
      return 2;
    }
    return 0;
  }
  if (name === '--version') {
    const { packageVersions } = await import('./commands/doctor.js');
    io.out(packageVersions().voxnas ?? 'unknown');
    return 0;
  }
  const cmd = byName.get(name);
  if (!cmd) {
    const known = [...byName.keys()].sort();
    const near = closestMatch(name.replace(/^-+/, ''), name.startsWith('-') ? ['help', 'version'] : [...known, 'help']);
    const hint = near === undefined ? '' : name.startsWith('-') ? ` (did you mean '--${near}'?)` : ` (did you mean '${near}'?)`;
    io.err(`voxnas: unknown ${name.startsWith('-') ? 'option' : 'command'} '${name}'${hint}. Commands: ${known.join(', ')}`);
    return 2;
  }
  let verbose = rest.includes('--verbose');
  try {
    const { flags, positionals, deprecations } = parseCommandLine(cmd, rest);
    if (flags.help) {
      io.out(formatCommandHelp(cmd));
      return 0;
    }
    if (flags.quiet && flags.verbose) throw new UsageError(`voxnas ${cmd.name}: --quiet and --verbose contradict each other; give one`);
    verbose = flags.verbose ?? false;
    const log = flags.quiet ? () => {} : (line: string) => io.err(line);
    for (const d of deprecations) log(d);
    const progress = progressOf(flags as { quiet?: boolean; 'progress-interval'?: string }, io, cmd.name);
    return await cmd.run({ flags, positionals, io, log, progress, verbose });
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${e.message}\nusage: voxnas ${cmd.name} ${cmd.usage}\nRun 'voxnas ${cmd.name} --help' for every flag.`);
      return 2;
    }
    if (e instanceof VoxnasError) {
      io.err([`voxnas ${name}: ${e.name} [${e.code}]: ${e.message}`, ...(verbose ? causes(e) : [])].join('\n'));
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
