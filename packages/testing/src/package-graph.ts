import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The allowed package edges of the monorepo (docs/architecture.md "Package graph"): which workspace
 * packages a package's runtime source (src/, tests excluded) may import. Foundation at the bottom; every
 * edge points down. Tests, benches and fixtures may also import what the package lists in
 * devDependencies.
 */
export const ALLOWED_EDGES: Readonly<Record<string, readonly string[]>> = {
  '@voxnas/core': [],
  '@voxnas/volume': ['@voxnas/core'],
  '@voxnas/metrics': ['@voxnas/core', '@voxnas/volume'],
  '@voxnas/datasets': ['@voxnas/core', '@voxnas/volume'],
  '@voxnas/kernels': ['@voxnas/core'],
  '@voxnas/kernels-linux-x64': [],
  '@voxnas/webgpu-kernels': ['@voxnas/core'],
  '@voxnas/onnx': ['@voxnas/core', '@voxnas/ops'],
  '@voxnas/ops': ['@voxnas/core', '@voxnas/kernels', '@voxnas/webgpu-kernels'],
  '@voxnas/supernet': ['@voxnas/core', '@voxnas/ops'],
  '@voxnas/unet': ['@voxnas/core', '@voxnas/ops'],
  '@voxnas/train': ['@voxnas/core', '@voxnas/volume', '@voxnas/metrics', '@voxnas/ops'],
  '@voxnas/search': ['@voxnas/core', '@voxnas/volume', '@voxnas/metrics', '@voxnas/ops', '@voxnas/supernet', '@voxnas/train'],
  voxnas: [
    '@voxnas/core',
    '@voxnas/volume',
    '@voxnas/metrics',
    '@voxnas/datasets',
    '@voxnas/kernels',
    '@voxnas/onnx',
    '@voxnas/ops',
    '@voxnas/supernet',
    '@voxnas/unet',
    '@voxnas/train',
    '@voxnas/search',
  ],
};

/** One problem found by {@link checkPackageGraph}. */
export interface GraphViolation {
  /** The importing file, relative to the repository root. */
  readonly file: string;
  readonly specifier: string;
  readonly problem: string;
}

interface Workspace {
  readonly dir: string;
  readonly name: string;
  readonly exports: readonly string[];
  readonly runtime: ReadonlySet<string>;
  readonly dev: ReadonlySet<string>;
}

const SOURCE = /\.(ts|mts|cts|tsx|mjs|js)$/;
const IMPORT = /(?:^|[^\w$.])(?:import|export)\s*(?:type\s+)?(?:[\w$*{}\s,]+from\s*)?['"]([^'"]+)['"]|(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g;

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'build' || entry === 'artifacts') continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (SOURCE.test(entry) && !entry.endsWith('.d.ts') && !/\.config\.[cm]?[jt]s$/.test(entry)) out.push(p);
  }
  return out;
}

/** Import specifiers of a source file (static imports and re-exports, string-literal dynamic imports and requires). */
export function importSpecifiers(text: string): string[] {
  // Comments and template literals (code in strings, e.g. child-process scripts) are not imports.
  const stripped = text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
    .replace(/`(?:\\[\s\S]|[^`\\])*`/g, '``');
  const out: string[] = [];
  for (const m of stripped.matchAll(IMPORT)) out.push((m[1] ?? m[2])!);
  return out;
}

function readWorkspace(dir: string): Workspace | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
    name: string;
    exports?: Record<string, unknown> | string;
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const keys = (o?: Record<string, string>) => Object.keys(o ?? {});
  const runtime = new Set([...keys(pkg.dependencies), ...keys(pkg.optionalDependencies), ...keys(pkg.peerDependencies)]);
  return {
    dir,
    name: pkg.name,
    exports: typeof pkg.exports === 'object' && pkg.exports !== null ? Object.keys(pkg.exports) : ['.'],
    runtime,
    dev: new Set([...runtime, ...keys(pkg.devDependencies)]),
  };
}

/**
 * Checks the workspace packages under `<root>/packages` against {@link ALLOWED_EDGES}: every
 * `@voxnas/*` import of runtime source must be an allowed edge and declared in the package's
 * dependencies; test, bench and fixture files may also use devDependencies; an import of another package
 * must name an entry it exports (no deep imports such as `@voxnas/ops/src/x`); a relative import must stay
 * inside its package; and the allowed edges themselves must have no cycle. Returns every violation.
 *
 * @example
 * expect(checkPackageGraph('/path/to/repo')).toEqual([]);
 */
export function checkPackageGraph(root: string, allowed: Readonly<Record<string, readonly string[]>> = ALLOWED_EDGES): GraphViolation[] {
  const packagesDir = join(root, 'packages');
  const workspaces = readdirSync(packagesDir)
    .map((d) => readWorkspace(join(packagesDir, d)))
    .filter((w): w is Workspace => w !== undefined);
  const byName = new Map(workspaces.map((w) => [w.name, w]));
  const violations: GraphViolation[] = [];
  const cycle = findCycle(allowed);
  if (cycle) violations.push({ file: 'ALLOWED_EDGES', specifier: cycle.join(' → '), problem: 'the allowed edges have a cycle' });
  for (const w of workspaces) {
    const edges = allowed[w.name];
    for (const file of [...files(join(w.dir, 'src')), ...files(join(w.dir, 'test')), ...files(join(w.dir, 'bench'))]) {
      const rel = relative(root, file);
      const isTest =
        /\.(test|test-d|fixture|test-util)\.[cm]?[jt]s$/.test(file) ||
        !file.startsWith(join(w.dir, 'src') + sep) ||
        /(test-support|test-helpers|test-fixtures|[/\\]fixtures)\.[cm]?[jt]s$/.test(file);
      for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (!target.startsWith(w.dir + sep)) violations.push({ file: rel, specifier: spec, problem: `relative import leaves ${w.name}` });
          continue;
        }
        const m = /^(@voxnas\/[^/]+|voxnas)(\/.*)?$/.exec(spec);
        if (!m) continue;
        const [, target, sub] = m as unknown as [string, string, string | undefined];
        const dep = byName.get(target);
        if (dep === undefined) {
          violations.push({ file: rel, specifier: spec, problem: `no workspace package ${target}` });
          continue;
        }
        if (!dep.exports.includes(`.${sub ?? ''}`)) {
          violations.push({ file: rel, specifier: spec, problem: `deep import: ${target} exports ${dep.exports.filter((e) => e !== './package.json').join(', ')}` });
        }
        if (target === w.name) continue; // a package's own entries (node/testing entries import their main one)
        if (!isTest && edges !== undefined && !edges.includes(target)) {
          violations.push({ file: rel, specifier: spec, problem: `${w.name} may not import ${target} (allowed: ${edges.join(', ') || 'none'})` });
        }
        if (!(isTest ? w.dev : w.runtime).has(target)) {
          violations.push({ file: rel, specifier: spec, problem: `${target} is not declared in ${w.name}'s package.json ${isTest ? 'dependencies or devDependencies' : 'dependencies'}` });
        }
      }
    }
  }
  return violations;
}

function findCycle(edges: Readonly<Record<string, readonly string[]>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...path.slice(path.indexOf(n)), n];
    state.set(n, 'open');
    path.push(n);
    for (const m of edges[n] ?? []) {
      const c = visit(m);
      if (c) return c;
    }
    path.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of Object.keys(edges)) {
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}
