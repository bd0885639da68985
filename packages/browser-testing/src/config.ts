/// <reference types="@vitest/browser/providers/playwright" />
/**
 * The Vitest browser-mode preset: a project that runs `*.browser.test.ts` files in Debian's
 * headless Chromium through Playwright, with WebGPU on SwiftShader, a chosen tfjs backend, the
 * request/console guard and the screenshot/record commands.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProjectInlineConfiguration } from 'vitest/config';
import { parseBackend, type BrowserBackend } from './backends.js';
import { assertChromium, chromiumArgs, chromiumPath } from './chromium.js';
import { voxnasCommands } from './commands.js';

const here = dirname(fileURLToPath(import.meta.url));
const selfName = '@voxnas/browser-testing';

/** Every bare import of the page-side helpers (Vite must pre-bundle all of them up front). */
export const PAGE_IMPORTS: readonly string[] = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-core/dist/register_all_gradients',
  '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-webgpu',
];

/** Optimizer entries: plain inside this package, `@voxnas/browser-testing > …` from a consumer. */
function pageDependencies(root: string): string[] {
  let name: string | undefined;
  try {
    name = (JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { name?: string }).name;
  } catch {
    name = undefined;
  }
  return PAGE_IMPORTS.map((id) => (name === selfName ? id : `${selfName} > ${id}`));
}

/** The page-side setup file every browser project loads first (backend, page-event guard). */
export const browserSetupFile: string = resolve(here, 'page/setup.ts');

export interface BrowserProjectOptions {
  /** The consuming package's directory (default: the working directory, as under `pnpm test`). */
  root?: string;
  /** Project name shown in reports (default `browser`). */
  name?: string;
  /** tfjs backend the setup file selects; default: `VOXNAS_BROWSER_BACKEND`, else `webgpu`. */
  backend?: BrowserBackend;
  /** Test globs (default `src/**\/*.browser.test.ts`, `test/**\/*.browser.test.ts`). */
  include?: string[];
  /** Extra setup files, run after the harness's own. */
  setupFiles?: string[];
  /** Vitest global setup files (Node side), e.g. to build fixtures the page reads with `readArtifact`. */
  globalSetup?: string[];
  /** Per-test timeout in ms (default 120 000; SwiftShader compiles shaders slowly). */
  testTimeout?: number;
  /** Extra Chromium switches. */
  extraArgs?: string[];
  /**
   * More dependencies to pre-bundle (Vite's `optimizeDeps.include` syntax, e.g.
   * `'@voxnas/volume > fflate'`): every bare import the tested code reaches that is not in
   * {@link PAGE_IMPORTS}, else Vite discovers it mid-run and reloads the page.
   */
  extraDeps?: string[];
}

/**
 * A Vitest project (for `test.projects`) running in headless Chromium. Reporters and `outputFile`
 * stay at the root config, so the JSON report covers node and browser projects together.
 */
export function browserProject(options: BrowserProjectOptions = {}): TestProjectInlineConfiguration {
  assertChromium();
  const backend = options.backend ?? parseBackend(process.env.VOXNAS_BROWSER_BACKEND);
  return {
    // Vite replaces its default conditions when any are given: keep the browser ones.
    resolve: { conditions: ['@voxnas/source', 'module', 'browser', 'development|production'] },
    // Pre-bundle tfjs at start, so Vite never reloads the page mid-run to add a dependency.
    optimizeDeps: { include: [...pageDependencies(options.root ?? process.cwd()), ...(options.extraDeps ?? [])] },
    test: {
      name: options.name ?? 'browser',
      include: options.include ?? ['src/**/*.browser.test.ts', 'test/**/*.browser.test.ts'],
      testTimeout: options.testTimeout ?? 120_000,
      hookTimeout: options.testTimeout ?? 120_000,
      setupFiles: [browserSetupFile, ...(options.setupFiles ?? [])],
      ...(options.globalSetup ? { globalSetup: options.globalSetup } : {}),
      provide: { voxnasBackend: backend },
      browser: {
        enabled: true,
        // One test file at a time: one WebGPU device, two shared cores, and page events attributable to a test.
        fileParallelism: false,
        provider: 'playwright',
        headless: true,
        screenshotFailures: true,
        screenshotDirectory: 'artifacts/failures',
        commands: voxnasCommands,
        instances: [
          {
            browser: 'chromium',
            launch: { executablePath: chromiumPath, args: [...chromiumArgs, ...(options.extraArgs ?? [])] },
          },
        ],
      },
    },
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The tfjs backend the browser setup file selected for this run. */
    voxnasBackend: BrowserBackend;
  }
}
