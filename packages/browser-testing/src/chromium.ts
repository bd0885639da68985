/** Where Debian's Chromium lives and the switches it needs for WebGPU on SwiftShader. */
import { existsSync } from 'node:fs';

/** The browser binary: `VOXNAS_CHROMIUM`, else Debian's `/usr/bin/chromium` (`apt-get install -y chromium`). */
export const chromiumPath: string = process.env.VOXNAS_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Switches added to Playwright's defaults. Playwright itself already passes `--headless`,
 * `--no-sandbox` (its `chromiumSandbox` option defaults to false), `--no-first-run`,
 * `--disable-background-networking`, `--disable-component-update` and a fresh temporary
 * `--user-data-dir`; the last three are repeated here so the list also works for a hand-started
 * Chromium.
 * - `--enable-unsafe-webgpu`: the one switch without which `navigator.gpu.requestAdapter()`
 *   returns null in headless Linux Chromium (measured: Debian Chromium 156, no GPU).
 * - `--use-webgpu-adapter=swiftshader`: names the adapter, so a machine that has a GPU still tests
 *   the same software adapter (on GPU-less machines SwiftShader is the only one anyway).
 * - `--disable-sync`: no sync service start-up (no network here).
 * - `--host-resolver-rules`: every host name except localhost resolves to nothing, so no page
 *   request can leave the machine even if a test tries; the harness also aborts and reports them.
 * `--disable-gpu` is not needed and not passed (measured: WebGPU on SwiftShader works with or
 * without it).
 */
export const chromiumArgs: readonly string[] = [
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

/** Throws a readable error when the browser binary is missing (instead of Playwright's download hint). */
export function assertChromium(path: string = chromiumPath): void {
  if (!existsSync(path)) {
    throw new Error(
      `@voxnas/browser-testing: no Chromium at ${path}. Install Debian's package (apt-get install -y chromium) ` +
        'or set VOXNAS_CHROMIUM; browser downloads (npx playwright install) cannot work on these machines.',
    );
  }
}
