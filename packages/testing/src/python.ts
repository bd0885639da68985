import { execFileSync, spawnSync } from 'node:child_process';
import { getCurrentTest } from 'vitest/suite';
import { missingPythonTool, requireReferences, skipWithoutReferences, type ReferenceTool } from './references.js';

/**
 * Debian's python3 (where `python3-nibabel`, `python3-scipy`, `python3-torch` install).
 * Override with VOXNAS_PYTHON.
 */
export const SYSTEM_PYTHON = process.env.VOXNAS_PYTHON ?? '/usr/bin/python3';

/** True when SYSTEM_PYTHON can import every module named. */
export function pythonHas(...modules: string[]): boolean {
  const r = spawnSync(SYSTEM_PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ') || 'pass'], {
    stdio: 'ignore',
  });
  return r.status === 0;
}

/**
 * Runs a Python reference script (source text) with SYSTEM_PYTHON, passing `input` as JSON on stdin,
 * and returns the JSON it prints on stdout. Reference tests call this so the expected values come
 * from an independent implementation (nibabel, scipy, PyTorch) computed at test time.
 *
 * When Python or one of numpy / scipy / nibabel / torch is not installed, the running test is
 * skipped with a note naming the Debian package (see `skipWithoutReferences`); called from a hook,
 * it returns a stand-in whose first use in a test skips that test. With
 * `VOXNAS_REQUIRE_REFERENCES=1` (CI) it fails instead. Any other Python error is thrown as is.
 */
export function runPythonReference<T = unknown>(script: string, input: unknown = null): T {
  let out: string;
  try {
    out = execFileSync(SYSTEM_PYTHON, ['-c', script], {
      input: JSON.stringify(input),
      maxBuffer: 1 << 30,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    const tool = missingPythonTool(error);
    if (!tool) throw error;
    // In a test: skip it (or fail under VOXNAS_REQUIRE_REFERENCES).
    if (getCurrentTest() || requireReferences()) skipWithoutReferences(tool);
    // In a hook (`beforeAll(() => { refs = runPythonReference(…) })`): the result is used by the
    // tests, so hand back a stand-in whose first use inside a test skips that test.
    return missingReference<T>(tool);
  }
  return JSON.parse(out) as T;
}

/**
 * A stand-in result for a reference that could not be computed. Used inside a test, it skips that
 * test. Used outside one — the body of a `describe.runIf(haveReferences(…))` that is skipped still
 * runs at collection — it behaves as an empty array, so `it.each(refs.map(…))` collects nothing.
 */
function missingReference<T>(tool: ReferenceTool): T {
  const empty: unknown[] = [];
  return new Proxy(empty, {
    get(target, prop, receiver) {
      if (getCurrentTest()) {
        skipWithoutReferences(tool);
        throw new Error('unreachable: skipWithoutReferences returned for a missing tool');
      }
      return Reflect.get(target, prop, receiver);
    },
  }) as T;
}
