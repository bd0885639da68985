export { expectNoLeaks } from './leaks.js';
export { expectClose, maxAbsDiff, maxRelDiff } from './tolerance.js';
export { withTempDir } from './temp-dir.js';
export { runPythonReference, pythonHas, SYSTEM_PYTHON } from './python.js';
export {
  REFERENCE_TOOLS,
  haveReferences,
  skipWithoutReferences,
  referenceAvailable,
  requireReferences,
  missingNote,
  missingPythonTool,
} from './references.js';
export type { ReferenceTool } from './references.js';
export { medianMs } from './bench.js';
