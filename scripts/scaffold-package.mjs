#!/usr/bin/env node
// Creates the standard files of a new package under packages/<dir> (docs/conventions.md "Package layout").
// Usage: node scripts/scaffold-package.mjs <dir> <npm-name> "<one-sentence purpose>"
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [dir, name, purpose] = process.argv.slice(2);
if (!dir || !name || !purpose) {
  console.error('usage: scaffold-package.mjs <dir> <npm-name> "<purpose>"');
  process.exit(2);
}
const root = join('packages', dir);
if (existsSync(join(root, 'package.json'))) {
  console.error(`${root}/package.json exists; not overwriting`);
  process.exit(2);
}
mkdirSync(join(root, 'src'), { recursive: true });
const pkg = {
  name,
  version: '0.0.0',
  description: purpose,
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  exports: {
    '.': {
      '@voxnas/source': './src/index.ts',
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    },
    './package.json': './package.json',
  },
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.cts',
  files: ['dist', 'README.md', 'CHANGELOG.md'],
  engines: { node: '>=20' },
  scripts: {
    build: 'tsup',
    test: 'vitest run',
    typecheck: 'tsc -p tsconfig.json',
    'check:package': 'publint && attw --pack . --profile node16',
  },
  devDependencies: { '@voxnas/testing': 'workspace:*' },
};
const w = (f, s) => writeFileSync(join(root, f), s);
w('package.json', JSON.stringify(pkg, null, 2) + '\n');
w('tsconfig.json', JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src'] }, null, 2) + '\n');
w('tsup.config.ts', "import { voxnasTsup } from '../../tsup.base';\n\nexport default voxnasTsup();\n");
w('vitest.config.ts', "export { default } from '../../vitest.config';\n");
w('README.md', `# ${name}\n\n${purpose}\n`);
console.log(`scaffolded ${root}`);
