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
  /** Absolute paths of the source files package.json and tsup.config.ts name as entries (exports, bin, main). */
  readonly entries: ReadonlySet<string>;
  /** A private package (`@voxnas/testing`, browser-testing) is test infrastructure: all of its src/ serves tests. */
  readonly private: boolean;
  readonly runtime: ReadonlySet<string>;
  readonly dev: ReadonlySet<string>;
}

const SOURCE = /\.(ts|mts|cts|tsx|mjs|js)$/;
/** Test files by name: vitest tests, type tests and benches. Everything under `test/` or `bench/` is test code too. */
const TEST_FILE = /\.(test|test-d|bench)\.[cm]?[jt]sx?$/;
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
    bin?: Record<string, string> | string;
    main?: string;
    private?: boolean;
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const keys = (o?: Record<string, string>) => Object.keys(o ?? {});
  const entries = new Set<string>();
  const addEntry = (v: unknown): void => {
    if (typeof v === 'string') {
      if (SOURCE.test(v)) entries.add(resolve(dir, v));
    } else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) addEntry(x);
  };
  addEntry(pkg.exports);
  addEntry(pkg.bin);
  addEntry(pkg.main);
  const tsup = join(dir, 'tsup.config.ts');
  if (existsSync(tsup)) for (const m of readFileSync(tsup, 'utf8').matchAll(/['"](src\/[^'"]+\.[cm]?[jt]sx?)['"]/g)) entries.add(resolve(dir, m[1]!));
  const runtime = new Set([...keys(pkg.dependencies), ...keys(pkg.optionalDependencies), ...keys(pkg.peerDependencies)]);
  return {
    dir,
    name: pkg.name,
    exports: typeof pkg.exports === 'object' && pkg.exports !== null ? Object.keys(pkg.exports) : ['.'],
    entries,
    private: pkg.private === true,
    runtime,
    dev: new Set([...runtime, ...keys(pkg.devDependencies)]),
  };
}

/** The source file a relative specifier names (`./x.js` → `x.ts`, `./dir` → `dir/index.ts`), if it exists. */
function resolveRelative(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  const stem = base.replace(/\.[cm]?jsx?$/, '');
  const candidates = [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${stem}.cts`, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/**
 * Checks the workspace packages under `<root>/packages` against {@link ALLOWED_EDGES}: every
 * `@voxnas/*` import of runtime source must be an allowed edge and declared in the package's
 * dependencies; test and bench files (`*.test.ts`, `*.bench.ts`, anything under `test/` or `bench/`)
 * may also use devDependencies; an import of another package must name an entry it exports (no deep
 * imports such as `@voxnas/ops/src/x` or `../../ops/src/x`); a relative import must stay inside its
 * package; a module under `src/` must not be imported by tests alone (a test helper belongs in the
 * package's `test/`); and the allowed edges themselves must have no cycle. Returns every violation.
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
  const owner = (file: string) => workspaces.find((w) => file.startsWith(w.dir + sep));
  const violations: GraphViolation[] = [];
  const cycle = findCycle(allowed);
  if (cycle) violations.push({ file: 'ALLOWED_EDGES', specifier: cycle.join(' → '), problem: 'the allowed edges have a cycle' });
  /** For each source module under some package's src/, the files (anywhere in the packages) that import it. */
  const importers = new Map<string, Set<string>>();
  const isTestFile = (w: Workspace, file: string) => TEST_FILE.test(file) || !file.startsWith(join(w.dir, 'src') + sep);
  for (const w of workspaces) {
    const edges = allowed[w.name];
    const scanned = [...files(join(w.dir, 'src')), ...files(join(w.dir, 'test')), ...files(join(w.dir, 'bench'))];
    for (const file of [...scanned, ...files(join(w.dir, 'scripts'))]) {
      const rel = relative(root, file);
      const isTest = isTestFile(w, file);
      const checked = scanned.includes(file);
      for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('.')) {
          const target = resolveRelative(file, spec) ?? resolve(dirname(file), spec);
          const into = owner(target);
          if (into !== undefined && target.startsWith(join(into.dir, 'src') + sep)) {
            if (!importers.has(target)) importers.set(target, new Set());
            importers.get(target)!.add(file);
          }
          if (!checked || target.startsWith(w.dir + sep)) continue;
          violations.push({
            file: rel,
            specifier: spec,
            problem:
              into === undefined
                ? `relative import leaves ${w.name}`
                : `deep import of ${relative(root, target)}: import an entry ${into.name} exports (${into.exports.filter((e) => e !== './package.json').join(', ')}) instead`,
          });
          continue;
        }
        if (!checked) continue;
        const m = /^(@voxnas\/[^/]+|voxnas)(\/.*)?$/.exec(spec);
        if (!m) continue;
        const target = m[1]!;
        const sub = m[2];
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
  violations.push(...testOnlyModules(root, workspaces, importers, owner, isTestFile));
  return violations;
}

/**
 * Modules under a package's src/ (not tests themselves, not entries) that only tests import, directly
 * or through other such modules: test helpers living among shipped source (private packages are test
 * infrastructure and exempt). The greatest set closed under
 * "every importer is a test file or in the set", so helpers that import each other are found together.
 */
function testOnlyModules(
  root: string,
  workspaces: readonly Workspace[],
  importers: ReadonlyMap<string, ReadonlySet<string>>,
  owner: (file: string) => Workspace | undefined,
  isTestFile: (w: Workspace, file: string) => boolean,
): GraphViolation[] {
  const isTest = (file: string) => {
    const w = owner(file);
    return w !== undefined && isTestFile(w, file);
  };
  const entries = new Set(workspaces.flatMap((w) => [...w.entries]));
  const suspects = new Set([...importers.keys()].filter((f) => !isTest(f) && !entries.has(f) && !owner(f)!.private));
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of suspects) {
      if ([...importers.get(f)!].some((by) => !isTest(by) && !suspects.has(by))) {
        suspects.delete(f);
        changed = true;
      }
    }
  }
  return [...suspects].sort().map((f) => {
    const w = owner(f)!;
    const by = [...importers.get(f)!].map((i) => relative(root, i)).sort();
    return {
      file: relative(root, f),
      specifier: by.join(', '),
      problem: `test helper in src/: only tests import it; move it to ${relative(root, join(w.dir, 'test'))}/`,
    };
  });
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
