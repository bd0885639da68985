import { configFields } from './config-json-schema.js';
import type { Command } from './command.js';

function fmtDefault(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * `voxnas help config`: every config field with what it must be, its default and its meaning, from
 * the config schema.
 *
 * @example
 * console.log(formatConfigHelp());
 */
export function formatConfigHelp(): string {
  const fields = configFields();
  const width = Math.max(...fields.map((f) => f.path.length));
  const lines = fields.map((f) => `  ${f.path.padEnd(width)}  ${f.description}\n  ${' '.repeat(width)}  ${f.type}; default ${fmtDefault(f.default)}`);
  return [
    'voxnas config fields (a .yaml, .yml or .json file for --config; --set key.path=value overrides one)',
    '',
    ...lines,
    '',
    'Every field is optional. The JSON Schema of the file is voxnas/voxnas.schema.json (editor completion:',
    "'# yaml-language-server: $schema=./node_modules/voxnas/voxnas.schema.json' as the first line of voxnas.yaml).",
  ].join('\n');
}

/**
 * `voxnas --help`: the commands with their summaries.
 *
 * @example
 * console.log(formatHelp(COMMANDS));
 */
export function formatHelp(commands: readonly Command[]): string {
  const names = commands.map((c) => c.name);
  const width = Math.max(10, ...names.map((n) => n.length));
  return [
    'voxnas — neural architecture search for 3D medical image segmentation',
    '',
    'usage: voxnas <command> [options]',
    '',
    ...[...commands].sort((a, b) => a.name.localeCompare(b.name)).map((c) => `  ${c.name.padEnd(width)} ${c.summary}`),
    '',
    "Run 'voxnas <command> --help' for a command's flags, 'voxnas help config' for the config fields.",
  ].join('\n');
}
