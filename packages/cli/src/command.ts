import { parseArgs } from 'node:util';
import { closestMatch } from '@voxnas/core';
import { schemaAt } from './config-json-schema.js';
import { UsageError } from './errors.js';
import type { ProgressSettings, ProgressStream } from './progress.js';

/** Where the CLI writes; tests pass buffers. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** The stream progress goes to (a terminal gets a redrawn bar). Default: lines through `err`. */
  readonly progress?: ProgressStream;
}

/**
 * One flag of a command, as its help lists it. A flag that sets a config field names it in `config`:
 * its help text and default then come from the config schema.
 */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  /** May be given several times (values collected in order). */
  readonly multiple?: boolean;
  /** One-letter alias (`-h`). */
  readonly short?: string;
  /** The value's placeholder in help (`<run-dir>`); string flags only. */
  readonly value?: string;
  /** What the flag does. Required unless `config` is given. */
  readonly description?: string;
  /** Dotted path of the config field the flag sets (e.g. `seed`, `inference.mirror`). */
  readonly config?: string;
  /** The default, as help shows it (config-backed flags take the schema's default). */
  readonly default?: string;
  /** A deprecated spelling of another flag: its value goes there, with one warning line. */
  readonly aliasOf?: string;
}

/** A command's flags by long name (without `--`). */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

type FlagValue<S extends FlagSpec> = S['type'] extends 'boolean' ? boolean : S['multiple'] extends true ? string[] : string;

/** Parsed flags of a table: each present flag's value. */
export type ParsedFlags<T extends FlagTable> = { -readonly [K in keyof T]?: FlagValue<T[K]> };

/** Flags every command takes. */
export const COMMON_FLAGS = {
  quiet: { type: 'boolean', description: 'print only errors and the final line (no progress, no notes)' },
  verbose: { type: 'boolean', description: 'also print the resolved config, the data split and the causes of an error' },
  help: { type: 'boolean', short: 'h', description: "this help ('voxnas help config' lists the config fields)" },
} as const satisfies FlagTable;

/** What a command's `run` gets. */
export interface CommandContext<T extends FlagTable> {
  readonly flags: ParsedFlags<T & typeof COMMON_FLAGS>;
  readonly positionals: readonly string[];
  readonly io: Io;
  /** Notes for the user (stderr); silent with `--quiet`. */
  readonly log: (line: string) => void;
  /** How to report progress (`--quiet`, the terminal or not, the interval). */
  readonly progress: ProgressSettings;
  readonly verbose: boolean;
}

/**
 * A `voxnas` command: its name, one-line summary, usage, flag table and what it does. A new command
 * is one file exporting one of these plus one line in `main.ts`'s list.
 */
export interface Command<T extends FlagTable = FlagTable> {
  readonly name: string;
  readonly summary: string;
  /** The arguments part of the usage line (after `voxnas <name>`). */
  readonly usage: string;
  readonly flags: T;
  /** Positional arguments, for help; without this, a positional argument is a usage error. */
  readonly positionals?: { readonly value: string; readonly description: string };
  /** More help text, printed after the flags. */
  readonly details?: string;
  /** Runs the command; returns the exit code. */
  run(ctx: CommandContext<T>): Promise<number>;
}

/**
 * Declares a command (typed flags from its table).
 *
 * @example
 * export const helloCommand = defineCommand({
 *   name: 'hello', summary: 'say hello', usage: '[--name <who>]',
 *   flags: { name: { type: 'string', value: '<who>', description: 'whom to greet', default: 'world' } },
 *   async run({ flags, io }) { io.out(`hello ${flags.name ?? 'world'}`); return 0; },
 * });
 */
export function defineCommand<const T extends FlagTable>(command: Command<T>): Command<T> {
  return command;
}

function flagName(name: string, spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${name}` : `--${name}`;
}

/** Parsed command line of one command. */
export interface ParsedCommandLine<T extends FlagTable> {
  readonly flags: ParsedFlags<T & typeof COMMON_FLAGS>;
  readonly positionals: string[];
  /** One line per deprecated flag used. */
  readonly deprecations: string[];
}

/**
 * Parses `args` against a command's flags (plus {@link COMMON_FLAGS}). Unknown flags (with a
 * did-you-mean hint), a missing value, a value given to a switch and unexpected positional arguments
 * raise {@link UsageError}.
 *
 * @example
 * parseCommandLine(trainCommand, ['--out', 'runs/a', '--json']).flags; // { out: 'runs/a', json: true }
 */
export function parseCommandLine<T extends FlagTable>(command: Command<T>, args: readonly string[]): ParsedCommandLine<T> {
  const table: FlagTable = { ...command.flags, ...COMMON_FLAGS };
  const where = `voxnas ${command.name}`;
  const options = Object.fromEntries(
    Object.entries(table).map(([name, s]) => [name, { type: s.type, ...(s.multiple ? { multiple: true } : {}), ...(s.short ? { short: s.short } : {}) }]),
  );
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const flags: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  const deprecations: string[] = [];
  const known = Object.keys(table);
  for (const token of tokens) {
    if (token.kind === 'positional') {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    const spec = table[token.name];
    if (!spec) {
      const near = closestMatch(token.name, known);
      throw new UsageError(
        `${where}: Unknown option '${token.rawName}'` +
          (near !== undefined ? ` (did you mean '--${near}'?)` : `; its flags are ${known.map((k) => `--${k}`).join(', ')}`),
      );
    }
    const shown = `--${token.name}`;
    let value: string | boolean;
    if (spec.type === 'boolean') {
      if (token.inlineValue) throw new UsageError(`${where}: option '${shown}' is a switch and takes no value, got '${token.rawName}=${token.value}'`);
      value = true;
    } else {
      const v = token.value;
      if (v === undefined || (!token.inlineValue && v.startsWith('--') && known.includes(v.slice(2).split('=')[0]!))) {
        throw new UsageError(`${where}: option '${shown}' needs a value: ${shown} ${spec.value ?? '<value>'}`);
      }
      value = v;
    }
    let name = token.name;
    if (spec.aliasOf) {
      deprecations.push(`${where}: --${name} is deprecated; use --${spec.aliasOf}`);
      name = spec.aliasOf;
    }
    if (spec.multiple) flags[name] = [...((flags[name] as string[] | undefined) ?? []), value as string];
    else {
      if (spec.aliasOf && flags[name] !== undefined && flags[name] !== value) {
        throw new UsageError(`${where}: --${token.name} and --${spec.aliasOf} give different values; use --${spec.aliasOf} only`);
      }
      flags[name] = value;
    }
  }
  if (positionals.length > 0 && !command.positionals) throw new UsageError(`${where}: unexpected argument '${positionals[0]}'`);
  return { flags: flags as ParsedFlags<T & typeof COMMON_FLAGS>, positionals, deprecations };
}

function fmtDefault(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The help text of one flag: its meaning and default (config-backed flags: from the config schema). */
export function flagHelp(spec: FlagSpec): { description: string; default: string | undefined } {
  if (spec.config) {
    const field = schemaAt(spec.config.split('.'));
    const description = spec.description ?? field?.description ?? '';
    const def = spec.default ?? (field?.default !== undefined ? fmtDefault(field.default) : undefined);
    return { description: `${description} (config field ${spec.config})`, default: def };
  }
  return { description: spec.description ?? '', default: spec.default };
}

/**
 * `voxnas <command> --help`: usage, summary, then every flag with its meaning and default.
 *
 * @example
 * console.log(formatCommandHelp(trainCommand));
 */
export function formatCommandHelp(command: Command): string {
  const table: FlagTable = { ...command.flags, ...COMMON_FLAGS };
  const rows = Object.entries(table).map(([name, spec]) => {
    const left = `${flagName(name, spec)}${spec.type === 'string' ? ` ${spec.value ?? '<value>'}` : ''}`;
    const h = flagHelp(spec);
    const right = spec.aliasOf
      ? `deprecated spelling of --${spec.aliasOf}`
      : `${h.description}${spec.multiple ? ' (repeatable)' : ''}${h.default !== undefined ? ` (default: ${h.default})` : ''}`;
    return [left, right] as const;
  });
  const width = Math.min(30, Math.max(...rows.map(([l]) => l.length)));
  const lines = rows.map(([l, r]) => (l.length > width ? `  ${l}\n  ${' '.repeat(width)}  ${r}` : `  ${l.padEnd(width)}  ${r}`));
  return [
    `usage: voxnas ${command.name} ${command.usage}`,
    '',
    command.summary,
    ...(command.positionals ? ['', 'arguments:', `  ${command.positionals.value}  ${command.positionals.description}`] : []),
    '',
    'flags:',
    ...lines,
    ...(command.details ? ['', command.details] : []),
  ].join('\n');
}
