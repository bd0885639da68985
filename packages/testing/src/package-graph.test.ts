import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkPackageGraph, importSpecifiers } from './package-graph.js';
import { withTempDir } from './temp-dir.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('package graph', () => {
  it('this repository: one-way edges, declared dependencies, no deep imports', () => {
    expect(checkPackageGraph(root)).toEqual([]);
  });

  it('finds imports, re-exports, dynamic imports and requires, not comments', () => {
    const text = `import a from '@voxnas/core';\nimport type { B } from "./b.js";\nexport { c } from '@voxnas/ops';\n// import x from 'nope';\nconst d = await import('@voxnas/train/node');\nconst e = require('node:fs');\n/* import y from 'nope2' */`;
    expect(importSpecifiers(text)).toEqual(['@voxnas/core', './b.js', '@voxnas/ops', '@voxnas/train/node', 'node:fs']);
  });

  it('reports an upward edge, an undeclared dependency, a deep import, an escaping relative import and a cycle', async () => {
    await withTempDir(async (dir) => {
      const pkg = (name: string, json: Record<string, unknown>, files: Record<string, string>) => {
        const d = join(dir, 'packages', name.replace('@voxnas/', ''));
        mkdirSync(join(d, 'src'), { recursive: true });
        writeFileSync(join(d, 'package.json'), JSON.stringify({ name, exports: { '.': './src/index.ts', './node': './src/node.ts' }, ...json }));
        for (const [f, t] of Object.entries(files)) writeFileSync(join(d, 'src', f), t);
      };
      pkg('@voxnas/core', { dependencies: { '@voxnas/volume': 'workspace:*' } }, { 'index.ts': "import { x } from '@voxnas/volume';\n" });
      pkg('@voxnas/volume', {}, { 'index.ts': "import { Rng } from '@voxnas/core';\nimport { y } from '@voxnas/core/src/rng.js';\nimport '../../core/src/index.js';\n" });
      const edges = { '@voxnas/core': ['@voxnas/volume'], '@voxnas/volume': ['@voxnas/core'] };
      const problems = checkPackageGraph(dir, edges).map((v) => `${v.file}: ${v.specifier}: ${v.problem}`);
      expect(problems).toEqual([
        'ALLOWED_EDGES: @voxnas/core → @voxnas/volume → @voxnas/core: the allowed edges have a cycle',
        "packages/volume/src/index.ts: @voxnas/core: @voxnas/core is not declared in @voxnas/volume's package.json dependencies",
        'packages/volume/src/index.ts: @voxnas/core/src/rng.js: deep import: @voxnas/core exports ., ./node',
        "packages/volume/src/index.ts: @voxnas/core/src/rng.js: @voxnas/core is not declared in @voxnas/volume's package.json dependencies",
        'packages/volume/src/index.ts: ../../core/src/index.js: relative import leaves @voxnas/volume',
      ]);
      const strict = checkPackageGraph(dir, { '@voxnas/core': [], '@voxnas/volume': ['@voxnas/core'] }).map((v) => v.problem);
      expect(strict).toContain('@voxnas/core may not import @voxnas/volume (allowed: none)');
    });
  });
});
