export { expectNoLeaks } from './leaks.js';
export { expectClose, maxAbsDiff, maxRelDiff } from './tolerance.js';
export { withTempDir } from './temp-dir.js';
export { runPythonReference, pythonHas, SYSTEM_PYTHON } from './python.js';
export { medianMs } from './bench.js';
