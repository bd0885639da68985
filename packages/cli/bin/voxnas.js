#!/usr/bin/env node
// The `voxnas` bin. A committed shim, so package managers can link the bin before the package is
// built (a workspace install on a fresh clone); the command itself is the built dist/bin.js.
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  console.error('voxnas: dist/bin.js is not built yet: run `pnpm build` (or `pnpm voxnas …` from the repository root, which runs from source)');
  process.exit(1);
}
await import(built.href);
