// Node-only part of @voxnas/core: atomic file writes (the only I/O of the foundation package).
export { atomicWrite, atomicWriteJson, syncDir, tempName } from './atomic-write.js';
export type { AtomicWriteOptions } from './atomic-write.js';
