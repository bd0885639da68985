/** Page-side wrappers around the harness's Node commands. */
import { commands } from '@vitest/browser/context';
import type { PageEvents, ScreenshotInfo } from '../commands.js';

declare module '@vitest/browser/context' {
  interface BrowserCommands {
    voxnasTakePageEvents: () => Promise<PageEvents>;
    voxnasScreenshot: (name: string) => Promise<ScreenshotInfo>;
    voxnasResetRecord: (file: string) => Promise<void>;
    voxnasRecord: (file: string, row: unknown) => Promise<string>;
    voxnasReadArtifact: (name: string) => Promise<string>;
  }
}

/** Saves a PNG of the test's page as `artifacts/<name>.png` (package-relative); returns path and size. */
export function screenshot(name: string): Promise<ScreenshotInfo> {
  return commands.voxnasScreenshot(name);
}

/** Appends `row` as one JSON line to `artifacts/<file>.jsonl`; returns its path. */
export function record(file: string, row: unknown): Promise<string> {
  return commands.voxnasRecord(file, row);
}

/** Deletes `artifacts/<file>.jsonl`, to start a fresh measurement file. */
export function resetRecord(file: string): Promise<void> {
  return commands.voxnasResetRecord(file);
}

/**
 * Foreign requests and console errors since the last call (the setup file calls this after every
 * test and fails the test on any); clears them.
 */
export function takePageEvents(): Promise<PageEvents> {
  return commands.voxnasTakePageEvents();
}

/** The bytes of `artifacts/<name>` (e.g. `fixtures/phantom-image.nii.gz`, written by the Node side). */
export async function readArtifact(name: string): Promise<Uint8Array> {
  const b64 = await commands.voxnasReadArtifact(name);
  const text = atob(b64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
