import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkPackageGraph, importSpecifiers } from './package-graph.js';
import { withTempDir } from './temp-dir.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('package graph', () => {
  it('this repository: one-way edges, declared dependencies, no deep imports, no test helpers in src/', () => {
    expect(checkPackageGraph(root)).toEqual([]);
  });

  it('finds imports, re-exports, dynamic imports and requires, not comments', () => {
    const text = `import a from '@voxnas/core';\nimport type { B } from "./b.js";\nexport { c } from '@voxnas/ops';\n// import x from 'nope';\nconst d = await import('@voxnas/train/node');\nconst e = require('node:fs');\n/* import y from 'nope2' */`;
    expect(importSpecifiers(text)).toEqual(['@voxnas/core', './b.js', '@voxnas/ops', '@voxnas/train/node', 'node:fs']);
  });

  it('reports an upward edge, an undeclared dependency, deep imports (by name and by path) and a cycle', async () => {
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
        'packages/volume/src/index.ts: ../../core/src/index.js: deep import of packages/core/src/index.ts: import an entry @voxnas/core exports (., ./node) instead',
      ]);
      const strict = checkPackageGraph(dir, { '@voxnas/core': [], '@voxnas/volume': ['@voxnas/core'] }).map((v) => v.problem);
      expect(strict).toContain('@voxnas/core may not import @voxnas/volume (allowed: none)');
    });
  });

  it('reports a module under src/ that only tests and benches import, naming the file and its importers', async () => {
    await withTempDir(async (dir) => {
      const write = (path: string, text: string) => {
        mkdirSync(join(dir, path, '..'), { recursive: true });
        writeFileSync(join(dir, path), text);
      };
      const exportsMap = { '.': './src/index.ts', './testing': './src/testing/index.ts' };
      write('packages/core/package.json', JSON.stringify({ name: '@voxnas/core', exports: exportsMap }));
      write('packages/core/src/index.ts', "export { add } from './add.js';\n");
      write('packages/core/src/add.ts', "import { shared } from './internal/shared.js';\nexport const add = shared;\n");
      // shared: imported by shipped source and by a test, so it is shipped code.
      write('packages/core/src/internal/shared.ts', 'export const shared = 1;\n');
      // fixtures: only tests (and contract, itself only used by tests) import it: both are planted helpers.
      write('packages/core/src/internal/fixtures.ts', 'export const fixture = 2;\n');
      write('packages/core/src/internal/contract.ts', "import { fixture } from './fixtures.js';\nexport const contract = fixture;\n");
      // the testing entry is named in package.json: imported only by a test, it is still an entry.
      write('packages/core/src/testing/index.ts', "export const suite = 3;\n");
      write('packages/core/src/add.test.ts', "import { shared } from './internal/shared.js';\nimport { fixture } from './internal/fixtures.js';\nimport { contract } from './internal/contract.js';\nimport { suite } from './testing/index.js';\n");
      write('packages/core/bench/add.bench.ts', "import { fixture } from '../src/internal/fixtures.js';\n");
      // a test/ helper importing src is fine, and so is a test that imports it.
      write('packages/core/test/helper.ts', "import { add } from '../src/add.js';\nexport const h = add;\n");
      write('packages/core/src/index.test.ts', "import { h } from '../test/helper.js';\n");
      const problems = checkPackageGraph(dir, { '@voxnas/core': [] }).map((v) => `${v.file}: ${v.specifier}: ${v.problem}`);
      expect(problems).toEqual([
        'packages/core/src/internal/contract.ts: packages/core/src/add.test.ts: test helper in src/: only tests import it; move it to packages/core/test/',
        'packages/core/src/internal/fixtures.ts: packages/core/bench/add.bench.ts, packages/core/src/add.test.ts, packages/core/src/internal/contract.ts: test helper in src/: only tests import it; move it to packages/core/test/',
      ]);
      // Moved to test/, the helpers are no longer reported.
      rmSync(join(dir, 'packages/core/src/internal/fixtures.ts'));
      rmSync(join(dir, 'packages/core/src/internal/contract.ts'));
      write('packages/core/test/fixtures.ts', 'export const fixture = 2;\n');
      write('packages/core/test/contract.ts', "import { fixture } from './fixtures.js';\nexport const contract = fixture;\n");
      write('packages/core/src/add.test.ts', "import { shared } from './internal/shared.js';\nimport { fixture } from '../test/fixtures.js';\nimport { contract } from '../test/contract.js';\nimport { suite } from './testing/index.js';\n");
      write('packages/core/bench/add.bench.ts', "import { fixture } from '../test/fixtures.js';\n");
      expect(checkPackageGraph(dir, { '@voxnas/core': [] })).toEqual([]);
    });
  });
});
