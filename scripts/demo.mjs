#!/usr/bin/env node
// `pnpm demo`: the quick start's main job — a small architecture search on the built-in synthetic
// phantom dataset, then retraining of the searched network, a matched 3D U-Net and a random
// architecture, printed as one comparison table. Runs go to runs/demo (re-running resumes;
// `pnpm demo --fresh` starts over). The full protocol is examples/benchmark.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// The native oneDNN kernels make the demo ~20× faster: build them (or say how to get them) first.
spawnSync(process.execPath, [join(root, 'scripts', 'setup-native.mjs')], { stdio: 'inherit' });
const r = spawnSync(process.execPath, [join(root, 'examples', 'benchmark', 'run.mjs'), join(root, 'examples', 'benchmark', 'demo.yaml'), join(root, 'runs', 'demo'), ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
