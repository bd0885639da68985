#!/usr/bin/env node
// Which Chromium switches give navigator.gpu.requestAdapter() an adapter here? Launches Debian's
// Chromium through Playwright once per switch set (a fresh profile each time), opens a page served
// on 127.0.0.1 and prints the adapter (or why there is none). Usage: node scripts/probe-flags.mjs
/* global navigator */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright';

const executablePath = process.env.VOXNAS_CHROMIUM ?? '/usr/bin/chromium';
const sets = {
  'playwright defaults only': [],
  '--use-webgpu-adapter=swiftshader': ['--use-webgpu-adapter=swiftshader'],
  '--enable-unsafe-webgpu': ['--enable-unsafe-webgpu'],
  '--enable-unsafe-webgpu --use-webgpu-adapter=swiftshader': [
    '--enable-unsafe-webgpu',
    '--use-webgpu-adapter=swiftshader',
  ],
  '... --disable-gpu': ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--disable-gpu'],
};

const server = http.createServer((_req, res) => {
  res.setHeader('content-type', 'text/html');
  res.end('<!doctype html><title>probe</title>');
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

for (const [name, args] of Object.entries(sets)) {
  const dir = mkdtempSync(join(tmpdir(), 'voxnas-chromium-'));
  const t0 = Date.now();
  const context = await chromium.launchPersistentContext(dir, { executablePath, headless: true, args });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url);
    const result = await page.evaluate(async () => {
      if (!navigator.gpu) return 'no navigator.gpu';
      const a = await navigator.gpu.requestAdapter();
      if (!a) return 'requestAdapter() returned null';
      const l = a.limits;
      return `${a.info.vendor}/${a.info.architecture} fallback=${a.info.isFallbackAdapter} maxBufferSize=${l.maxBufferSize} maxStorageBufferBindingSize=${l.maxStorageBufferBindingSize} maxComputeWorkgroupStorageSize=${l.maxComputeWorkgroupStorageSize}`;
    });
    console.log(`${name}: ${result} (${Date.now() - t0} ms)`);
  } finally {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
server.close();
