import { execFileSync, spawnSync } from 'node:child_process';
import { missingPythonTool, skipWithoutReferences } from './references.js';

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
 * skipped with a note naming the Debian package (see `skipWithoutReferences`); with
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
    if (tool) skipWithoutReferences(tool);
    throw error;
  }
  return JSON.parse(out) as T;
}
