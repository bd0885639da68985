/**
 * Loaded first in every browser test file: selects the run's tfjs backend and fails any test during
 * which the page requested a non-local URL or logged a console error.
 */
import { afterEach, beforeAll } from 'vitest';
import { useBackend } from './backend.js';
import { takePageEvents } from './harness.js';

// Starts the watch before the first test and drops what the page did while loading.
await takePageEvents();

beforeAll(async () => {
  await useBackend();
});

afterEach(async () => {
  const { foreignRequests, consoleErrors } = await takePageEvents();
  const problems = [
    ...foreignRequests.map((u) => `request to a non-local host (aborted): ${u}`),
    ...consoleErrors.map((m) => `console error: ${m}`),
  ];
  if (problems.length > 0) throw new Error(`page guard:\n  ${problems.join('\n  ')}`);
});
