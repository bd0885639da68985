import { appendFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { getCurrentTest } from 'vitest/suite';

/**
 * The independent reference tools voxnas tests compare against, each with the Debian package that
 * provides it. A test whose tool is missing is SKIPPED with a note (and listed in `pnpm test`'s
 * closing summary with the apt line), unless `VOXNAS_REQUIRE_REFERENCES=1` (set by `.ci/run`), which
 * turns every such skip into a failure.
 */
export const REFERENCE_TOOLS = {
  python3: { apt: 'python3', what: 'Python 3 at /usr/bin/python3 (or VOXNAS_PYTHON)' },
  numpy: { apt: 'python3-numpy', what: 'numpy' },
  scipy: { apt: 'python3-scipy', what: 'scipy' },
  nibabel: { apt: 'python3-nibabel', what: 'nibabel' },
  torch: { apt: 'python3-torch', what: 'PyTorch' },
  plastimatch: { apt: 'plastimatch', what: 'plastimatch' },
  'mricron-data': { apt: 'mricron-data', what: 'the MRIcron templates in /usr/share/mricron/templates' },
} as const;

/** A reference tool name (a key of {@link REFERENCE_TOOLS}). */
export type ReferenceTool = keyof typeof REFERENCE_TOOLS;

/** Python modules whose absence means a missing reference tool (anything else is a real error). */
const PYTHON_TOOLS: readonly ReferenceTool[] = ['numpy', 'scipy', 'nibabel', 'torch'];

/** True when `VOXNAS_REQUIRE_REFERENCES` is set: missing references fail instead of skipping. */
export function requireReferences(): boolean {
  return /^(1|true|yes)$/i.test(process.env.VOXNAS_REQUIRE_REFERENCES ?? '');
}

/** Debian's python3, where `python3-nibabel` etc. install. Override with VOXNAS_PYTHON. */
const PYTHON = process.env.VOXNAS_PYTHON ?? '/usr/bin/python3';

const known = new Map<ReferenceTool, boolean>();

/** True when `tool` is installed (cached per process). */
export function referenceAvailable(tool: ReferenceTool): boolean {
  let ok = known.get(tool);
  if (ok !== undefined) return ok;
  if (tool === 'python3') ok = spawnSync(PYTHON, ['-c', 'pass'], { stdio: 'ignore' }).status === 0;
  else if (PYTHON_TOOLS.includes(tool)) ok = spawnSync(PYTHON, ['-c', `import ${tool}`], { stdio: 'ignore' }).status === 0;
  else if (tool === 'plastimatch') ok = spawnSync('plastimatch', ['--version'], { stdio: 'ignore' }).status === 0;
  else ok = existsSync('/usr/share/mricron/templates/aal.nii.gz');
  known.set(tool, ok);
  return ok;
}

/** Appends one line per missing tool to VOXNAS_REFERENCE_SKIPS (set by scripts/test-all.mjs). */
function record(missing: readonly ReferenceTool[], where: string): void {
  const file = process.env.VOXNAS_REFERENCE_SKIPS;
  if (!file) return;
  appendFileSync(file, missing.map((t) => `${REFERENCE_TOOLS[t].apt}\t${where}\n`).join(''));
}

/** The note a skipped test carries: what is missing and how to install it. */
export function missingNote(missing: readonly ReferenceTool[]): string {
  return `reference missing: ${missing.map((t) => REFERENCE_TOOLS[t].what).join(', ')} (apt-get install -y ${missing.map((t) => REFERENCE_TOOLS[t].apt).join(' ')})`;
}

/**
 * For `describe.runIf(haveReferences('nibabel'))(…)` / `it.runIf(…)`: true when every tool is
 * installed, or when VOXNAS_REQUIRE_REFERENCES is set (the tests then run and fail on the missing
 * tool, so CI cannot pass by skipping). When false, the missing tools are recorded for the summary.
 *
 * @example
 * describe.runIf(haveReferences('plastimatch'))('agrees with plastimatch', () => { … });
 */
export function haveReferences(...tools: ReferenceTool[]): boolean {
  const missing = tools.filter((t) => !referenceAvailable(t));
  if (missing.length === 0 || requireReferences()) return true;
  record(missing, `collect ${new Error().stack?.split('\n')[2]?.trim() ?? ''}`);
  return false;
}

/**
 * Inside a running test: skips it (with the install line as its note) when a tool is missing,
 * unless VOXNAS_REQUIRE_REFERENCES is set, when it throws instead. Outside a test (collection,
 * hooks) it throws with the same message — guard those with {@link haveReferences}.
 *
 * @example
 * it('agrees with scipy', () => { skipWithoutReferences('scipy'); … });
 */
export function skipWithoutReferences(...tools: ReferenceTool[]): void {
  const missing = tools.filter((t) => !referenceAvailable(t));
  if (missing.length === 0) return;
  const note = missingNote(missing);
  const test = getCurrentTest();
  const required = requireReferences();
  if (required || !test?.context) {
    throw new Error(`${note}${required ? ' — VOXNAS_REQUIRE_REFERENCES is set, so this fails instead of skipping' : ''}`);
  }
  record(missing, test.name);
  test.context.skip(note);
}

/** The reference tool a failed Python run lacked: python itself, or a module it could not import. */
export function missingPythonTool(error: unknown): ReferenceTool | undefined {
  const e = error as { code?: string; stderr?: string | Buffer; message?: string };
  if (e?.code === 'ENOENT') return 'python3';
  const text = `${String(e?.stderr ?? '')}\n${e?.message ?? ''}`;
  const m = /No module named '([A-Za-z0-9_]+)/.exec(text);
  const mod = m?.[1] as ReferenceTool | undefined;
  return mod && PYTHON_TOOLS.includes(mod) ? mod : undefined;
}
