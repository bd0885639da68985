/**
 * @voxnas/browser-testing (Node side): the Vitest browser-mode preset for voxnas's real-browser
 * tests. Page-side helpers are in `@voxnas/browser-testing/page`.
 */
export { browserProject, browserSetupFile, PAGE_IMPORTS, type BrowserProjectOptions } from './config.js';
export { chromiumPath, chromiumArgs, assertChromium } from './chromium.js';
export { BROWSER_BACKENDS, parseBackend, type BrowserBackend } from './backends.js';
export {
  isLocalUrl,
  isWebGpuError,
  voxnasCommands,
  type PageEvents,
  type ScreenshotInfo,
} from './commands.js';
