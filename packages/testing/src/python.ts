import { execFileSync, spawnSync } from 'node:child_process';

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
 */
export function runPythonReference<T = unknown>(script: string, input: unknown = null): T {
  const out = execFileSync(SYSTEM_PYTHON, ['-c', script], {
    input: JSON.stringify(input),
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  return JSON.parse(out) as T;
}
