import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Rng } from '@voxnas/core';
import { generatePhantomDataset } from '@voxnas/datasets';
import { createSearchSpace, sampleRandomGenotype, stringifyGenotype } from '@voxnas/supernet';
import { readJobStatus } from './job-files.js';

// The acceptance of `voxnas experiment`, the real way: real `voxnas` processes, real job processes,
// and a real one-node Slurm cluster (scripts/slurm/cluster.sh, started and stopped here). One tiny
// experiment — the phantom, 2 folds × 2 arms (searched, matched U-Net) × 2 seeds, 2 search and 4
// training steps on 8³ patches, a search-quality study after each search — runs locally, is killed with SIGKILL mid-way and finished by a second run, and runs
// under Slurm with one training requeued while it runs; every per-case metrics file must be byte-for-
// byte the same each time.

const root = resolve(__dirname, '..', '..', '..', '..');
const bin = join(root, 'packages', 'cli', 'src', 'bin.ts');
const NODE_ARGS = ['--import', 'tsx', '--conditions=@voxnas/source', bin];
const cluster = join(root, 'scripts', 'slurm', 'cluster.sh');
const SLURM_DIR = '/tmp/voxnas-slurm-experiment-test';

const SPEC = {
  name: 'executor acceptance',
  seed: 3,
  seeds: [0, 1],
  folds: 2,
  config: {
    data: { patchSize: [8, 8, 8], batchSize: 1 },
    search: { levels: 2, baseChannels: 2, nodes: 1, warmupSteps: 1, deriveEvery: 2, checkpointEvery: 1 },
    train: { warmupSteps: 1, validateEvery: 100, checkpointEvery: 1 },
    inference: { overlap: 0 },
  },
  budget: { searchSteps: 2, trainSteps: 4 },
  tasks: [{ name: 'phantom', dataset: 'phantom', phantom: { cases: 4, shape: [12, 12, 8], modalities: 1 } }],
  search: { repeat: 'once' },
  arms: [
    { kind: 'searched', name: 'searched' },
    { kind: 'unet', name: 'unet', size: 'matched' },
  ],
  searchQuality: { samples: 2 },
  report: { resamples: 200 },
  resources: Object.fromEntries(['search', 'search-quality', 'train', 'evaluate', 'aggregate'].map((s) => [s, { mem: '1G', time: '0:20:00' }])),
};

interface Run {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; out: string; err: string }>;
}

/** Starts `voxnas …` (Node + tsx, no shell), killed if it runs longer than `timeoutS`. */
function voxnas(args: string[], o: { timeoutS: number; env?: NodeJS.ProcessEnv }): Run {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: root, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutS * 1000);
  const done = new Promise<{ code: number | null; out: string; err: string }>((ok) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      ok({ code, out, err });
    }),
  );
  return { child, done };
}

function evalDirs(exp: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = join(d, e.name);
      if (e.name === 'eval') out.push(p);
      else walk(p);
    }
  };
  walk(join(exp, 'jobs'));
  return out.map((p) => p.slice(exp.length + 1)).sort();
}

/** Every per-case metrics file of an experiment: eval dir → metrics.json + metrics.csv bytes. */
function perCaseMetrics(exp: string): Map<string, string> {
  return new Map(evalDirs(exp).map((d) => [d, readFileSync(join(exp, d, 'metrics.json'), 'utf8') + readFileSync(join(exp, d, 'metrics.csv'), 'utf8')]));
}

function latestStep(runDir: string): number {
  const pointer = join(runDir, 'checkpoints', 'latest');
  if (!existsSync(pointer)) return -1;
  const m = /step-(\d+)/.exec(readFileSync(pointer, 'utf8'));
  return m ? Number(m[1]) : -1;
}

function stateOf(dir: string): string | null {
  const f = join(dir, 'job-status.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { state: string }).state : null;
}

function trainDirs(exp: string): string[] {
  return evalDirs(exp).map((d) => join(exp, d, '..', 'train'));
}

async function until<T>(what: string, timeoutS: number, poll: () => T | null | undefined | false): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = poll();
    if (v) return v;
    if (Date.now() - t0 > timeoutS * 1000) throw new Error(`timed out after ${timeoutS} s waiting for ${what}`);
    await new Promise((w) => setTimeout(w, 100));
  }
}

const slurmInstalled =
  process.getuid?.() === 0 && ['sbatch', 'squeue', 'scontrol', 'slurmctld', 'slurmd', 'munged'].every((c) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', c], { env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } }).status === 0);
const requireSlurm = process.env.VOXNAS_REQUIRE_SLURM === '1';

describe.sequential('voxnas experiment: local and Slurm executors', () => {
  let tmp = '';
  let spec = '';
  let expA = '';
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'voxnas-exp-'));
    spec = join(tmp, 'study.yaml');
    await writeFile(spec, stringify(SPEC));
    expA = join(tmp, 'a');
  });
  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('local: a 2-fold × 2-arm × 2-seed experiment runs to the final table', async () => {
    const r = await voxnas(['experiment', 'run', spec, '--out', expA], { timeoutS: 900 }).done;
    expect(r.code, r.err.slice(-3000)).toBe(0);
    expect(r.out).toContain('voxnas experiment (local): 21 job(s) done, 0 failed, 0 skipped');
    expect(perCaseMetrics(expA).size).toBe(8);
    const md = readFileSync(join(expA, 'report', 'report.md'), 'utf8');
    expect(md).toMatch(/\| searched \| [0-9.]+ ± [0-9.]+ \|/);
    expect(md).toMatch(/\| unet \| [0-9.]+ ± [0-9.]+ \|/);
    expect(md).toContain('| phantom | searched | unet | mean |');
    for (const f of ['report.html', 'report.json', 'report.csv', 'comparisons.csv', 'per-case.csv']) expect(existsSync(join(expA, 'report', f))).toBe(true);
    // One search-quality job per search (2 folds, one search seed), run with the stage's threads; the
    // report's section carries each study's numbers.
    // (After 4 training steps every stand-alone score may tie: τ is then NaN, null in JSON, n/a in the table.)
    const quality = [0, 1].map((f) => JSON.parse(readFileSync(join(expA, 'jobs', 'phantom', `fold-${f}`, 'search-quality', 'seed-0', 'search-quality.json'), 'utf8')) as { count: number; standaloneSteps: number; kendall: { value: number | null } });
    expect(quality.map((q) => [q.count, q.standaloneSteps])).toEqual([[3, 4], [3, 4]]);
    expect(md).toContain('## Search quality');
    for (const [f, q] of quality.entries()) expect(md).toContain(`| phantom | ${f} | 0 | ${q.kendall.value === null ? 'n/a' : q.kendall.value.toFixed(3)} [`);
    const json = JSON.parse(readFileSync(join(expA, 'report', 'report.json'), 'utf8')) as { searchQuality: Array<{ fold: number; kendall: { value: number | null } }> };
    expect(json.searchQuality.map((q) => [q.fold, q.kendall.value])).toEqual(quality.map((q, f) => [f, q.kendall.value]));
    const csvRows = readFileSync(join(expA, 'report', 'search-quality.csv'), 'utf8').trim().split('\n');
    expect(csvRows[0]!.split(',').slice(0, 6)).toEqual(['task', 'fold', 'seed', 'architectures', 'standalone_steps', 'kendall_tau']);
    expect(csvRows.slice(1).map((l) => l.split(',').slice(0, 6))).toEqual(quality.map((q, f) => ['phantom', String(f), '0', '3', '4', q.kendall.value === null ? '' : String(q.kendall.value)]));
    expect(readFileSync(join(expA, 'jobs', 'phantom', 'fold-0', 'search-quality', 'seed-0', 'job.log'), 'utf8')).toMatch(/@voxnas\/kernels native \(1 threads|voxnas backend: cpu \(/);
    // A second run finds everything done and redoes nothing.
    const again = await voxnas(['experiment', 'run', spec, '--out', expA], { timeoutS: 300 }).done;
    expect(again.code).toBe(0);
    expect(again.out).toContain('0 job(s) done (+21 done earlier), 0 failed');
  }, 1_200_000);

  it('local: killed with SIGKILL mid-way and run again, it ends with byte-identical per-case metrics', async () => {
    const expB = join(tmp, 'b');
    const first = voxnas(['experiment', 'run', spec, '--out', expB], { timeoutS: 900 });
    // Kill the runner while a training runs, after its first checkpoint.
    await until('a running training with a checkpoint', 900, () => existsSync(join(expB, 'jobs')) && trainDirs(expB).some((d) => latestStep(d) >= 1 && stateOf(d) === 'running'));
    first.child.kill('SIGKILL');
    await first.done;
    expect(existsSync(join(expB, 'report', 'report.md'))).toBe(false);
    const second = await voxnas(['experiment', 'run', spec, '--out', expB], { timeoutS: 900 }).done;
    expect(second.code, second.err.slice(-3000)).toBe(0);
    const a = perCaseMetrics(expA);
    const b = perCaseMetrics(expB);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [k, v] of a) expect(b.get(k), k).toBe(v);
    // at least one job ran twice: interrupted by the kill, then resumed
    const statuses = await Promise.all(trainDirs(expB).map((d) => readJobStatus(d)));
    expect(statuses.some((s) => s!.attempts.length >= 2 && s!.attempts[0]!.outcome === 'interrupted')).toBe(true);
  }, 1_800_000);

  describe.skipIf(!slurmInstalled && !requireSlurm)('on a one-node Slurm cluster (scripts/slurm/cluster.sh)', () => {
    let env: NodeJS.ProcessEnv = {};
    beforeAll(() => {
      const start = spawnSync('bash', [cluster, 'start'], { env: { ...process.env, VOXNAS_SLURM_DIR: SLURM_DIR }, encoding: 'utf8', timeout: 120_000 });
      if (start.status !== 0) throw new Error(`cluster.sh start exited ${start.status}: ${start.stderr}${start.stdout}`);
      env = { SLURM_CONF: join(SLURM_DIR, 'etc', 'slurm.conf') };
    }, 180_000);
    afterAll(() => {
      spawnSync('bash', [cluster, 'stop'], { env: { ...process.env, VOXNAS_SLURM_DIR: SLURM_DIR }, timeout: 120_000 });
    }, 180_000);

    it('the same experiment under the slurm executor, one training requeued while it runs, ends byte-identical', async () => {
      const expC = join(tmp, 'c');
      const run = voxnas(['experiment', 'run', spec, '--out', expC, '--executor', 'slurm', '--poll', '1', '--timeout', '1500'], { timeoutS: 1600, env });
      // Requeue a running training that has saved a checkpoint.
      const requeued = await until('a running Slurm training with a checkpoint', 1500, () => {
        if (!existsSync(join(expC, 'jobs'))) return null;
        for (const d of trainDirs(expC)) {
          const step = latestStep(d);
          if (step < 1 || !existsSync(join(d, 'job-status.json'))) continue;
          const s = JSON.parse(readFileSync(join(d, 'job-status.json'), 'utf8')) as { state: string; attempts: Array<{ slurm: { arrayJobId: string; arrayTaskId: string } | null }> };
          const slurm = s.attempts.at(-1)?.slurm;
          if (s.state === 'running' && slurm) return { dir: d, id: `${slurm.arrayJobId}_${slurm.arrayTaskId}`, step };
        }
        return null;
      });
      execFileSync('scontrol', ['requeue', requeued.id], { env: { ...process.env, ...env }, timeout: 30_000 });
      const r = await run.done;
      expect(r.code, r.err.slice(-3000)).toBe(0);
      expect(r.out).toContain('voxnas experiment (slurm): 21 job(s) done, 0 failed, 0 skipped');
      const a = perCaseMetrics(expA);
      const c = perCaseMetrics(expC);
      expect([...c.keys()]).toEqual([...a.keys()]);
      for (const [k, v] of a) expect(c.get(k), k).toBe(v);
      // The requeued training ran twice and its second attempt resumed from its checkpoint.
      const status = (await readJobStatus(requeued.dir))!;
      expect(status.attempts.length).toBeGreaterThanOrEqual(2);
      expect(status.attempts.at(-1)!.slurm!.restartCount).toBeGreaterThanOrEqual(1);
      const summary = JSON.parse(readFileSync(join(requeued.dir, 'train.json'), 'utf8')) as { resumedFrom: number | null };
      expect(summary.resumedFrom).toBeGreaterThanOrEqual(1);
      expect(readFileSync(join(requeued.dir, 'job.log'), 'utf8')).toContain('SIGTERM received');
      expect(existsSync(join(expC, 'report', 'report.md'))).toBe(true);
    }, 1_800_000);

    it('names, paths and config values with quotes and shell metacharacters reach the jobs intact; a failed job is reported with its log and the rest runs', async () => {
      const evil = `it's "a" $(touch PWNED) \`touch PWNED\` ; echo x | cat & *`;
      const data = join(tmp, `data $(touch PWNED) 'q' "dq"`);
      await generatePhantomDataset({ dir: data, cases: 4, shape: [12, 12, 8], modalities: 1, seed: 1 });
      // A genotype that cannot run on an 8³ patch (6 levels): its trainings fail, nothing else does.
      const bad = join(tmp, `bad $(touch PWNED).json`);
      await writeFile(bad, stringifyGenotype(sampleRandomGenotype(createSearchSpace({ levels: 6, baseChannels: 2, nodes: 1, inputChannels: 1, classes: 4 }), new Rng(1))));
      const evilSpec = join(tmp, 'evil.yaml');
      await writeFile(
        evilSpec,
        stringify({
          ...SPEC,
          name: `study ${evil}`,
          seeds: [0],
          tasks: [{ name: evil, dataset: data }],
          arms: [
            { kind: 'unet', name: 'u-net "preset"', size: 'preset' },
            { kind: 'genotype', name: 'too deep', file: bad },
          ],
        }),
      );
      const expD = join(tmp, `exp dir $(touch PWNED) 'q' "dq" ;&|`);
      const r = await voxnas(['experiment', 'run', evilSpec, '--out', expD, '--executor', 'slurm', '--poll', '1', '--timeout', '900'], { timeoutS: 1000, env }).done;
      expect(r.code).toBe(1);
      expect(r.out).toContain('voxnas experiment (slurm): 5 job(s) done, 2 failed, 2 skipped');
      for (const fold of [0, 1]) {
        const train = join(expD, 'jobs', evil, `fold-${fold}`, 'too deep', 'seed-0', 'train');
        expect(r.out).toContain(`failed: jobs/${evil}/fold-${fold}/too deep/seed-0/train: voxnas train: ShapeMismatchError [E_SHAPE_MISMATCH]: ChildNetwork.apply: spatial size [8, 8, 8]`);
        expect(r.out).toContain(`log: ${join(train, 'job.log')}`);
        expect(r.out).toContain(`skipped: jobs/${evil}/fold-${fold}/too deep/seed-0/eval (jobs/${evil}/fold-${fold}/too deep/seed-0/train did not finish`);
        // the U-Net arm ran: its run saw the dataset path and its own directory exactly as written
        const unet = join(expD, 'jobs', evil, `fold-${fold}`, 'u-net "preset"', 'seed-0');
        const cfg = JSON.parse(readFileSync(join(unet, 'train', 'config.json'), 'utf8')) as { config: { data: { dataset: string } } };
        expect(cfg.config.data.dataset).toBe(join(expD, 'data', evil, `fold-${fold}`, 'train'));
        expect(existsSync(join(unet, 'eval', 'metrics.json'))).toBe(true);
      }
      const md = readFileSync(join(expD, 'report', 'report.md'), 'utf8');
      expect(md.split('\n')[0]).toBe(`# study ${evil}`);
      expect(md).toContain(`## ${evil} (4 cases)`);
      expect(md).toContain('2 evaluation(s) missing');
      // nothing was ever run as shell code
      const pwned: string[] = [];
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          if (e.name === 'PWNED') pwned.push(join(d, e.name));
          if (e.isDirectory()) walk(join(d, e.name));
        }
      };
      walk(tmp);
      for (const d of [root, SLURM_DIR, '/tmp']) if (existsSync(join(d, 'PWNED'))) pwned.push(join(d, 'PWNED'));
      expect(pwned).toEqual([]);
    }, 1_200_000);
  });
});
