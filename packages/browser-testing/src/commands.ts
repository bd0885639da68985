/**
 * Server-side (Node) browser commands, called from the page through `commands` of
 * `@vitest/browser/context`. They watch the Playwright BrowserContext for requests to other hosts
 * and for console errors, take screenshots into `artifacts/`, and append measurements to
 * `artifacts/*.jsonl`.
 */
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { BrowserCommand } from 'vitest/node';
import type { BrowserContext, Page, Request, ConsoleMessage } from 'playwright';

/** What the page did since the last `voxnasTakePageEvents` call. */
export interface PageEvents {
  /** URLs of requests to hosts other than localhost / 127.0.0.1 / [::1] (all were aborted). */
  foreignRequests: string[];
  /** Console messages of type `error`, WebGPU validation warnings (prefixed `webgpu: `), uncaught page errors. */
  consoleErrors: string[];
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for URLs that stay on this machine (or never touch the network: data:, blob:, about:). */
export function isLocalUrl(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:' || u.protocol === 'wss:') {
    return LOCAL_HOSTS.has(u.hostname);
  }
  return ['data:', 'blob:', 'about:', 'chrome-error:'].includes(u.protocol);
}

/**
 * Chromium reports WebGPU validation errors (a shader that fails to compile, an invalid pipeline or
 * command buffer, a lost device) as console *warnings*, and the results then silently stay zero: the
 * guard treats them as errors.
 */
export function isWebGpuError(text: string): boolean {
  return /Error while parsing WGSL|\[Invalid [A-Za-z]+|is invalid due to a previous error|GPUValidationError|Device was lost|WebGPU: too many warnings|Tint WGSL reader failure/i.test(
    text,
  );
}

interface Watch {
  events: PageEvents;
}

const watches = new WeakMap<BrowserContext, Watch>();

function watchPage(page: Page, w: Watch): void {
  page.on('console', (m: ConsoleMessage) => {
    if (process.env.VOXNAS_DEBUG_CONSOLE)
      process.stderr.write(`[console ${m.type()}] ${m.text().slice(0, 300)}\n`);
    if (m.type() === 'error') w.events.consoleErrors.push(m.text());
    else if (isWebGpuError(m.text())) w.events.consoleErrors.push(`webgpu: ${m.text()}`);
  });
  page.on('pageerror', (e: Error) => w.events.consoleErrors.push(`uncaught: ${e.message}`));
}

async function ensureWatch(context: BrowserContext): Promise<Watch> {
  let w = watches.get(context);
  if (w) return w;
  const watch: Watch = { events: { foreignRequests: [], consoleErrors: [] } };
  watches.set(context, watch);
  w = watch;
  context.on('request', (r: Request) => {
    if (!isLocalUrl(r.url())) watch.events.foreignRequests.push(r.url());
  });
  // Abort anything non-local before it reaches the network stack (the resolver rules are a second guard).
  await context.route(
    (url: URL) => !isLocalUrl(url.href),
    (route) => route.abort('blockedbyclient'),
  );
  for (const p of context.pages()) watchPage(p, watch);
  context.on('page', (p: Page) => watchPage(p, watch));
  return w;
}

interface PlaywrightCommandContext {
  context: BrowserContext;
  page: Page;
  frame(): Promise<{ evaluate(fn: () => number): Promise<number> }>;
  iframe: { locator(selector: string): { screenshot(o: { path: string }): Promise<Buffer> } };
  project: { config: { root: string } };
}

function pw(ctx: unknown): PlaywrightCommandContext {
  const c = ctx as Partial<PlaywrightCommandContext>;
  if (!c.context || !c.iframe) throw new Error('@voxnas/browser-testing needs the playwright provider');
  return c as PlaywrightCommandContext;
}

/** Starts watching (idempotent) and returns the events collected since the previous call, clearing them. */
export const voxnasTakePageEvents: BrowserCommand<[]> = async (ctx): Promise<PageEvents> => {
  const c = pw(ctx);
  const w = await ensureWatch(c.context);
  // Console and network events reach Playwright asynchronously; a round trip through the test frame
  // and the top page delivers everything the page emitted before this command was called.
  await (await c.frame()).evaluate(() => 0);
  await c.page.evaluate(() => 0);
  const out = w.events;
  w.events = { foreignRequests: [], consoleErrors: [] };
  return out;
};

function artifactsDir(ctx: PlaywrightCommandContext): string {
  return process.env.VOXNAS_ARTIFACTS ?? resolve(ctx.project.config.root, 'artifacts');
}

function safeName(name: string): string {
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(name) || name.includes('..')) {
    throw new Error(`artifact name must be a relative path of [A-Za-z0-9_.-] parts: ${JSON.stringify(name)}`);
  }
  return name;
}

/** A PNG the harness saved. */
export interface ScreenshotInfo {
  path: string;
  bytes: number;
  width: number;
  height: number;
}

/** Saves a PNG of the test iframe's body as `artifacts/<name>.png`. */
export const voxnasScreenshot: BrowserCommand<[name: string]> = async (
  ctx,
  name,
): Promise<ScreenshotInfo> => {
  const c = pw(ctx);
  const path = join(artifactsDir(c), `${safeName(name)}.png`);
  mkdirSync(dirname(path), { recursive: true });
  const png = await c.iframe.locator('body').screenshot({ path });
  const isPng =
    png.length > 24 && png.readUInt32BE(0) === 0x89504e47 && png.toString('ascii', 12, 16) === 'IHDR';
  if (!isPng) throw new Error(`screenshot ${path} is not a PNG`);
  return { path, bytes: png.length, width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
};

/** Appends one JSON line to `artifacts/<file>.jsonl`; returns the absolute path. */
export const voxnasRecord: BrowserCommand<[file: string, row: unknown]> = async (
  ctx,
  file,
  row,
): Promise<string> => {
  const c = pw(ctx);
  const path = join(artifactsDir(c), `${safeName(file)}.jsonl`);
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, `${JSON.stringify(row)}\n`);
  return path;
};

/** Deletes `artifacts/<file>.jsonl` (start of a measurement run). */
export const voxnasResetRecord: BrowserCommand<[file: string]> = async (ctx, file): Promise<void> => {
  rmSync(join(artifactsDir(pw(ctx)), `${safeName(file)}.jsonl`), { force: true });
};

/** Reads `artifacts/<name>` (a fixture written on the Node side) and returns it base64-encoded. */
export const voxnasReadArtifact: BrowserCommand<[name: string]> = async (ctx, name): Promise<string> => {
  const path = join(artifactsDir(pw(ctx)), safeName(name));
  return readFileSync(path).toString('base64');
};

/** All commands the preset registers. */
export const voxnasCommands = { voxnasTakePageEvents, voxnasScreenshot, voxnasRecord, voxnasResetRecord, voxnasReadArtifact };
