import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { bootstrapCi, compareMethods } from '@voxnas/metrics';
import { createSearchSpace, renderGenotypeSvg, validateGenotype, type Genotype } from '@voxnas/supernet';
import { Rng } from '@voxnas/core';
import { ConfigError, UsageError } from '../errors.js';
import { defineCommand } from '../command.js';
import { atomicWrite } from '@voxnas/core/node';
import { PALETTE, escapeHtml, heatmap, lineChart, tint } from '../report/svg.js';
import { dicePerCase, fmtP, type MetricsFile, type StoredMetrics } from './evaluate.js';
import { z } from 'zod';
import type { VoxnasConfig } from '../config.js';
import { METRICS_FILE, SEARCH_SUMMARY_FILE, TRAIN_SUMMARY_FILE, readJsonFileIf, readNetworkSpec, readRunConfigFile, type NetworkSpec } from '../run-files.js';
import { packageVersions } from './doctor.js';
import { caseSlices, caseSlicesSection, type CaseSlice } from '../report/case-slices.js';

/** Flags of `voxnas report`. */
export interface ReportFlags {
  /** Run directories (search or train), in the order they are reported; the first train run is the comparison baseline. */
  runs: readonly string[];
  /** The HTML file to write. */
  out?: string;
}

type LogRecord = { type?: string; [key: string]: unknown };

/**
 * The records of a run's `log.jsonl` (none when it has no log). A torn last line (a run killed
 * mid-write) is skipped; any other line that is not JSON is a `ConfigError` prefixed with `where`.
 */
export async function readLogRecords(dir: string, where: string): Promise<LogRecord[]> {
  const logPath = join(dir, 'log.jsonl');
  const records: LogRecord[] = [];
  if (!existsSync(logPath)) return records;
  const lines = (await readFile(logPath, 'utf8')).split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      records.push(JSON.parse(line) as LogRecord);
    } catch (cause) {
      if (i !== lines.length - 1) throw new ConfigError(`${where}: ${logPath} line ${i + 1} is not valid JSON`, { cause });
    }
  });
  return records;
}

/** Everything the report reads from one run directory. */
export interface ReportRun {
  readonly dir: string;
  readonly name: string;
  readonly kind: 'search' | 'train';
  readonly config: VoxnasConfig | null;
  readonly records: readonly LogRecord[];
  readonly genotype: Genotype | null;
  readonly metrics: StoredMetrics | null;
  /** `train.json` or `search.json`. */
  readonly summary: Record<string, unknown> | null;
  readonly network: NetworkSpec | null;
}

/**
 * Reads a search or train run directory for the report (its config, log records, genotype, metrics).
 *
 * @example
 * const run = await readReportRun('runs/search'); // run.kind === 'search'
 */
export async function readReportRun(path: string): Promise<ReportRun> {
  const dir = resolve(path);
  if (!existsSync(dir) || !(await stat(dir)).isDirectory()) throw new ConfigError(`voxnas report --run ${path}: no such directory`);
  const records = await readLogRecords(dir, 'voxnas report');
  const where = `voxnas report --run ${path}`;
  const configPath = join(dir, 'config.json');
  const config = existsSync(configPath) ? await readRunConfigFile(configPath, where) : null;
  const isSearch = existsSync(join(dir, 'genotype.json')) || records.some((r) => r.type === 'search-step');
  const isTrain = existsSync(join(dir, 'network.json')) || records.some((r) => r.type === 'step');
  if (!isSearch && !isTrain) {
    throw new ConfigError(`voxnas report --run ${path}: not a voxnas search or train run (no log.jsonl records, genotype.json or network.json)`);
  }
  const network = existsSync(join(dir, 'network.json')) ? await readNetworkSpec(join(dir, 'network.json'), where) : null;
  const rawGenotype = isSearch ? await readJsonFileIf(join(dir, 'genotype.json'), z.unknown(), where) : null;
  const genotype = rawGenotype
    ? validateGenotype(rawGenotype, { source: join(dir, 'genotype.json') })
    : network?.kind === 'child'
      ? network.genotype
      : null;
  return {
    dir,
    name: basename(dir),
    kind: isSearch ? 'search' : 'train',
    config,
    records,
    genotype,
    metrics: isSearch ? null : await readJsonFileIf(join(dir, 'metrics.json'), METRICS_FILE, where),
    summary: isSearch
      ? await readJsonFileIf(join(dir, 'search.json'), SEARCH_SUMMARY_FILE, where)
      : await readJsonFileIf(join(dir, 'train.json'), TRAIN_SUMMARY_FILE, where),
    network,
  };
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);
const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const e = escapeHtml;

function points(records: readonly LogRecord[], type: string, key: string): Array<[number, number]> {
  return records.filter((r) => r.type === type).map((r) => [num(r.step), num(r[key])]);
}

/** Mean ± std and 95% bootstrap interval of one metric over cases (finite values only). */
export function metricStats(values: readonly number[], rng: Rng): { mean: number; std: number; lower: number; upper: number; n: number } {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  const mean = n ? v.reduce((a, b) => a + b, 0) / n : Number.NaN;
  const std = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : Number.NaN;
  if (n < 2) return { mean, std, lower: Number.NaN, upper: Number.NaN, n };
  if (v.every((x) => x === v[0])) return { mean, std, lower: mean, upper: mean, n };
  const ci = bootstrapCi(v, { rng, resamples: 2000 });
  return { mean, std, lower: ci.lower, upper: ci.upper, n };
}

function classNames(m: Pick<MetricsFile, 'cases'>): string[] {
  return [...new Set(m.cases.flatMap((c) => c.result.classes.map((k) => k.name)))];
}

function perCase(m: Pick<MetricsFile, 'cases'>, className: string, metric: string): number[] {
  return m.cases.map((c) => {
    const v = c.result.classes.find((k) => k.name === className)?.metrics[metric];
    return typeof v === 'number' ? v : Number.NaN;
  });
}

function metricsSection(run: ReportRun): string {
  const m = run.metrics;
  if (!m || m.cases.length === 0) return '<p class="muted">No metrics.json in this run.</p>';
  const rng = new Rng(0).fork(`report-${run.name}`);
  const rows = classNames(m).map((name) => {
    const d = metricStats(perCase(m, name, 'dice'), rng.fork(`${name}-dice`));
    const h = metricStats(perCase(m, name, 'hd95'), rng.fork(`${name}-hd95`));
    return `<tr><th scope="row">${e(name)}</th><td>${f4(d.mean)} ± ${f4(d.std)}</td><td>[${f4(d.lower)}, ${f4(d.upper)}]</td><td>${f2(h.mean)} ± ${f2(h.std)}</td><td>[${f2(h.lower)}, ${f2(h.upper)}]</td><td>${d.n}</td></tr>`;
  });
  const names = classNames(m);
  const caseRows = m.cases.map(
    (c) =>
      `<tr><th scope="row">${e(c.caseId)}</th>${names
        .map((n) => {
          const k = c.result.classes.find((x) => x.name === n);
          return `<td>${f4(num(k?.metrics.dice))}</td><td>${f2(num(k?.metrics.hd95))}</td>`;
        })
        .join('')}</tr>`,
  );
  return `<h3>Validation metrics (${m.cases.length} case${m.cases.length === 1 ? '' : 's'})</h3>
<table class="metrics"><thead><tr><th>class</th><th>Dice mean ± std</th><th>Dice 95% CI</th><th>HD95 mm mean ± std</th><th>HD95 95% CI</th><th>n</th></tr></thead><tbody>${rows.join('')}</tbody></table>
<details><summary>Per case</summary><table class="cases"><thead><tr><th rowspan="2">case</th>${names.map((n) => `<th colspan="2">${e(n)}</th>`).join('')}</tr><tr>${names.map(() => '<th>Dice</th><th>HD95</th>').join('')}</tr></thead><tbody>${caseRows.join('')}</tbody></table></details>
<p class="muted">95% CI: BCa bootstrap over cases (2000 resamples, seeded). HD95 in mm.</p>`;
}

function candidatesByLabel(run: ReportRun): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  const macro = run.genotype?.macro;
  if (!macro) return out;
  try {
    const space = createSearchSpace({ ...macro });
    for (const edge of space.edges) out.set(edge.label, edge.candidates);
  } catch {
    // Custom search spaces: fall back to candidate indices.
  }
  return out;
}

function alphaSection(run: ReportRun): string {
  const snaps = run.records.filter((r) => r.type === 'arch' && r.probabilities && typeof r.probabilities === 'object');
  if (snaps.length === 0) return '<p class="muted">No architecture snapshots in log.jsonl.</p>';
  const labels = Object.keys(snaps[snaps.length - 1]!.probabilities as object);
  const cands = candidatesByLabel(run);
  const nameOf = (label: string, i: number) => cands.get(label)?.[i] ?? `#${i}`;
  const opNames = [...new Set(labels.flatMap((l) => (cands.get(l) ?? []).slice()))];
  const colorOf = (op: string) => PALETTE[Math.max(0, opNames.indexOf(op)) % PALETTE.length]!;
  const probsOf = (r: LogRecord, label: string) => ((r.probabilities as Record<string, number[]>)[label] ?? []).map(num);
  const argmax = (p: number[]) => p.reduce((best, x, i) => (x > p[best]! ? i : best), 0);
  const over = heatmap({
    title: 'Architecture decisions over the search (per edge: most probable operator)',
    columnTitle: 'search step →  (colour = operator, intensity = its probability)',
    rowLabels: labels,
    columnLabels: snaps.map((r) => String(num(r.step))),
    cellWidth: Math.max(28, Math.min(60, Math.floor(760 / snaps.length))),
    cells: labels.map((label) =>
      snaps.map((r) => {
        const p = probsOf(r, label);
        const k = argmax(p);
        const op = nameOf(label, k);
        return {
          fill: tint(colorOf(op), 0.15 + 0.85 * (p[k] ?? 0)),
          text: (p[k] ?? Number.NaN).toFixed(2),
          tooltip: `${label} @ step ${num(r.step)}: ${op} p=${(p[k] ?? Number.NaN).toFixed(3)}`,
        };
      }),
    ),
  });
  const last = snaps[snaps.length - 1]!;
  const width = Math.max(...labels.map((l) => probsOf(last, l).length));
  const columnOps = Array.from({ length: width }, (_, i) => {
    const names = new Set(labels.map((l) => nameOf(l, i)));
    return names.size === 1 ? [...names][0]! : `#${i}`;
  });
  const final = heatmap({
    title: `Operator probabilities at the last snapshot (step ${num(last.step)})`,
    columnTitle: 'candidate operator (darker = more probable)',
    rowLabels: labels,
    columnLabels: columnOps,
    cellWidth: Math.max(34, ...columnOps.map((c) => c.length * 5.6 + 6)),
    cells: labels.map((label) =>
      Array.from({ length: width }, (_, i) => {
        const p = probsOf(last, label)[i] ?? Number.NaN;
        return {
          fill: Number.isFinite(p) ? tint('#3b5b92', p) : '#f3f3f3',
          text: Number.isFinite(p) ? p.toFixed(2) : '',
          tooltip: `${label}: ${nameOf(label, i)} p=${Number.isFinite(p) ? p.toFixed(3) : 'n/a'}`,
        };
      }),
    ),
  });
  const legend = opNames
    .map((op) => `<span class="swatch" style="background:${colorOf(op)}"></span>${e(op)}`)
    .join(' ');
  return `<h3>α: architecture probabilities</h3><div class="legend">${legend}</div><div class="scroll">${over}</div><div class="scroll">${final}</div>`;
}

function warningsSection(run: ReportRun): string {
  const seen = new Map<string, { code: string; message: string; steps: number[] }>();
  for (const r of run.records) {
    for (const w of Array.isArray(r.warnings) ? (r.warnings as Array<Record<string, unknown>>) : []) {
      const code = String(w.code ?? 'warning');
      const message = String(w.message ?? '');
      const key = `${code}\u0000${message}`;
      const entry = seen.get(key) ?? { code, message, steps: [] };
      entry.steps.push(num(w.step ?? r.step));
      seen.set(key, entry);
    }
  }
  for (const w of Array.isArray(run.summary?.warnings) ? (run.summary!.warnings as unknown[]) : []) {
    const message = typeof w === 'string' ? w : JSON.stringify(w);
    if (![...seen.values()].some((s) => s.message === message)) seen.set(`summary\u0000${message}`, { code: 'summary', message, steps: [] });
  }
  for (const r of run.records) {
    if (r.type === 'step' && !Number.isFinite(num(r.loss))) {
      seen.set(`nonfinite-${num(r.step)}`, { code: 'non-finite-loss', message: `loss is ${String(r.loss)}`, steps: [num(r.step)] });
    }
  }
  if (seen.size === 0) return '<h3>Health</h3><p class="ok">No warnings.</p>';
  const items = [...seen.values()].map((w) => {
    const steps = [...new Set(w.steps.filter(Number.isFinite))];
    const at = steps.length ? ` <span class="muted">(step${steps.length > 1 ? 's' : ''} ${steps.slice(0, 8).join(', ')}${steps.length > 8 ? ', …' : ''})</span>` : '';
    return `<li><code>${e(w.code)}</code> ${e(w.message)}${at}</li>`;
  });
  return `<h3>Health</h3><ul class="warnings">${items.join('')}</ul>`;
}

/**
 * Makes a standalone SVG document inline-safe: drops the XML prolog and the namespace (the only URL a
 * renderer puts in an SVG, so the report refers to nothing external) and prefixes its ids and
 * `url(#…)` references with `prefix`, so several diagrams in one page keep distinct ids.
 */
function inlineSvg(svg: string, prefix: string): string {
  return svg
    .replace(/^<\?xml[^>]*>\s*/, '')
    .replace(/\s+xmlns(:\w+)?="[^"]*"/g, '')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

function genotypeSection(run: ReportRun, id: string): string {
  if (!run.genotype) return '';
  const svg = inlineSvg(renderGenotypeSvg(run.genotype, { title: run.name }), `${id}-genotype`);
  const choices = Object.entries(run.genotype.choices)
    .map(([label, op]) => `<tr><td><code>${e(label)}</code></td><td>${e(String(op))}</td></tr>`)
    .join('');
  return `<h3>Genotype</h3><div class="scroll genotype">${svg}</div><details><summary>Choices</summary><table><thead><tr><th>edge</th><th>operator</th></tr></thead><tbody>${choices}</tbody></table></details>`;
}

function factsSection(run: ReportRun): string {
  const cfg = run.config;
  const facts: Array<[string, string]> = [['directory', run.dir], ['kind', run.kind]];
  if (cfg) {
    facts.push(['seed', String(cfg.seed)]);
    facts.push(['dataset', cfg.data.dataset]);
    facts.push(['patch size', JSON.stringify(cfg.data.patchSize)]);
    facts.push(['steps', String(run.kind === 'search' ? cfg.search.steps : cfg.train.steps)]);
  }
  const s = run.summary;
  if (s?.params !== undefined) facts.push(['parameters', String(s.params)]);
  if (run.kind === 'train') {
    if (s?.arch !== undefined) facts.push(['architecture', String(s.arch)]);
    else if (run.network) facts.push(['architecture', run.network.kind]);
    if (s?.meanDice !== undefined) facts.push(['mean foreground Dice', f4(num(s.meanDice))]);
  } else if (s) {
    if (s.bestStep !== undefined) facts.push(['best step', String(s.bestStep)]);
    if (s.bestScore !== undefined) facts.push(['best validation Dice', f4(num(s.bestScore))]);
    if (s.flops !== undefined) facts.push(['FLOPs', String(s.flops)]);
  }
  return `<dl>${facts.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>`;
}

function searchCharts(run: ReportRun): string {
  const loss = lineChart({
    title: 'Search losses',
    xLabel: 'step',
    yLabel: 'loss',
    series: [
      { name: 'weight loss (train)', points: points(run.records, 'search-step', 'weightLoss'), color: PALETTE[0]! },
      { name: 'architecture loss (val)', points: points(run.records, 'search-step', 'archLoss'), color: PALETTE[1]! },
    ],
  });
  const tau = lineChart({
    title: 'Gumbel temperature τ',
    xLabel: 'step',
    yLabel: 'τ',
    series: [{ name: 'τ', points: points(run.records, 'search-step', 'tau'), color: PALETTE[2]! }],
  });
  const score = lineChart({
    title: 'Derived genotype: validation Dice',
    xLabel: 'step',
    yLabel: 'Dice',
    yMin: 0,
    yMax: 1,
    series: [{ name: 'score', points: points(run.records, 'arch', 'score'), color: PALETTE[4]!, markers: true }],
  });
  return `<h3>Curves</h3><div class="charts">${loss}${tau}${score}</div>`;
}

function trainCharts(run: ReportRun): string {
  const loss = lineChart({
    title: 'Training loss',
    xLabel: 'step',
    yLabel: 'loss',
    series: [{ name: 'loss', points: points(run.records, 'step', 'loss'), color: PALETTE[0]! }],
  });
  const val = lineChart({
    title: 'Validation Dice (mean foreground)',
    xLabel: 'step',
    yLabel: 'Dice',
    yMin: 0,
    yMax: 1,
    series: [{ name: 'validation Dice', points: points(run.records, 'validation', 'score'), color: PALETTE[4]!, markers: true }],
  });
  const lr = lineChart({
    title: 'Learning rate',
    xLabel: 'step',
    yLabel: 'lr',
    series: [{ name: 'lr', points: points(run.records, 'step', 'lr'), color: PALETTE[6]! }],
  });
  return `<h3>Curves</h3><div class="charts">${loss}${val}${lr}</div>`;
}

/** One row of the comparison of train runs. */
export interface ComparisonRow {
  readonly run: string;
  readonly params: number;
  /** Mean Dice per class (NaN when the run lacks the class). */
  readonly dice: Record<string, number>;
  /** Paired Wilcoxon p-value of per-case Dice against the first run, per class (null for the first run or when the cases differ). */
  readonly pvalue: Record<string, number | null>;
}

/** The comparison table of several train runs against the first (paired by case). */
export function compareTrainRuns(runs: readonly ReportRun[]): { classes: string[]; rows: ComparisonRow[] } {
  const withMetrics = runs.filter((r) => r.metrics && r.metrics.cases.length > 0);
  const base = withMetrics[0];
  if (!base) return { classes: [], rows: [] };
  const classes = [...new Set(withMetrics.flatMap((r) => classNames(r.metrics!)))];
  const baseIds = base.metrics!.cases.map((c) => c.caseId);
  const rows = withMetrics.map((r, i): ComparisonRow => {
    const ids = r.metrics!.cases.map((c) => c.caseId);
    const sameCases = ids.length === baseIds.length && baseIds.every((id) => ids.includes(id));
    const dice: Record<string, number> = {};
    const pvalue: Record<string, number | null> = {};
    for (const name of classes) {
      const mine = dicePerCase(r.metrics!, name, ids).filter(Number.isFinite);
      dice[name] = mine.length ? mine.reduce((a, b) => a + b, 0) / mine.length : Number.NaN;
      pvalue[name] = null;
      if (i > 0 && sameCases) {
        const a = dicePerCase(r.metrics!, name, baseIds);
        const b = dicePerCase(base.metrics!, name, baseIds);
        const paired = a.filter((x, k) => Number.isFinite(x) && Number.isFinite(b[k]!)).length;
        if (paired >= 2) {
          pvalue[name] = compareMethods([a], [b], { rng: new Rng(0).fork(`cmp-${name}`), resamples: 200 }).wilcoxon.pvalue;
        }
      }
    }
    return { run: r.name, params: num(r.summary?.params), dice, pvalue };
  });
  return { classes, rows };
}

function comparisonSection(runs: readonly ReportRun[]): string {
  const trains = runs.filter((r) => r.kind === 'train');
  if (trains.length < 2) return '';
  const { classes, rows } = compareTrainRuns(trains);
  if (rows.length < 2) return '';
  const head = `<tr><th>run</th><th>parameters</th>${classes.map((c) => `<th>Dice ${e(c)}</th>`).join('')}<th>mean</th>${classes.map((c) => `<th>p ${e(c)}</th>`).join('')}</tr>`;
  const body = rows
    .map((r) => {
      const vals = classes.map((c) => r.dice[c]!).filter(Number.isFinite);
      const mean = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : Number.NaN;
      return `<tr><th scope="row">${e(r.run)}</th><td>${Number.isFinite(r.params) ? r.params : 'n/a'}</td>${classes
        .map((c) => `<td>${f4(r.dice[c]!)}</td>`)
        .join('')}<td>${f4(mean)}</td>${classes
        .map((c) => `<td>${r.pvalue[c] === null ? '—' : e(fmtP(r.pvalue[c]!))}</td>`)
        .join('')}</tr>`;
    })
    .join('');
  return `<section id="comparison"><h2>Comparison of train runs</h2><table class="compare"><thead>${head}</thead><tbody>${body}</tbody></table>
<p class="muted">p: two-sided paired Wilcoxon signed-rank test of per-case Dice against the first run (${e(rows[0]!.run)}); — for the baseline or when the runs scored different cases.</p></section>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:0;background:#fafafa}
header{background:#24324a;color:#fff;padding:16px 28px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#cdd6e4}
main{padding:8px 28px 40px;max-width:1200px}
section{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:8px 20px 16px;margin:18px 0}
h2{font-size:19px;border-bottom:1px solid #eee;padding-bottom:6px}h3{font-size:15px;margin:18px 0 6px}
.badge{font-size:12px;font-weight:600;padding:2px 8px;border-radius:10px;background:#e8eef8;color:#24324a;margin-left:8px;vertical-align:middle}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}dt{color:#666}dd{margin:0;word-break:break-all}
table{border-collapse:collapse;margin:6px 0;font-variant-numeric:tabular-nums}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f6f9}thead th{text-align:center}tbody th{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:10px}.scroll{overflow-x:auto;margin:6px 0}
.muted{color:#777;font-size:12px}.ok{color:#2d7d32}.warnings li{margin:2px 0}
.legend{font-size:12px;margin:4px 0}.swatch{display:inline-block;width:11px;height:11px;margin:0 4px 0 10px;vertical-align:middle;border-radius:2px}
nav a{color:#24324a;margin-right:12px}details{margin:6px 0}summary{cursor:pointer;color:#24324a}
.genotype svg{max-width:100%;height:auto}
figure.case{margin:8px 0}figure.case img{width:32%;margin-right:1%;image-rendering:pixelated;border:1px solid #ccd}
.legend .swatch{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;vertical-align:middle}
`;

/**
 * The report as one self-contained HTML string (inline CSS and SVG; no scripts, no external resources).
 *
 * @example
 * const html = renderReport([await readReportRun('runs/search'), await readReportRun('runs/unet')]);
 */
export function renderReport(
  runs: readonly ReportRun[],
  options: { generatedAt?: string; /** Per run directory: its best/median/worst case slices ({@link caseSlices}). */ caseSlices?: ReadonlyMap<string, readonly CaseSlice[]> } = {},
): string {
  const sections = runs.map((run, i) => {
    const id = `run-${i + 1}`;
    const body =
      run.kind === 'search'
        ? [factsSection(run), warningsSection(run), searchCharts(run), alphaSection(run), genotypeSection(run, id)]
        : [
            factsSection(run),
            warningsSection(run),
            trainCharts(run),
            metricsSection(run),
            caseSlicesSection(options.caseSlices?.get(run.dir) ?? [], run.metrics ? classNames(run.metrics) : []),
            genotypeSection(run, id),
          ];
    return `<section id="${id}" class="run ${run.kind}"><h2>${e(run.name)}<span class="badge">${run.kind}</span></h2>${body.join('\n')}</section>`;
  });
  const nav = runs.map((r, i) => `<a href="#run-${i + 1}">${e(r.name)}</a>`).join('');
  const versions = packageVersions();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>voxnas report: ${e(runs.map((r) => r.name).join(', '))}</title><style>${CSS}</style></head>
<body><header><h1>voxnas report</h1><p>${e(`${runs.length} run(s) · generated ${options.generatedAt ?? new Date().toISOString()} · voxnas ${versions.voxnas ?? 'unknown'}`)}</p></header>
<main><nav>${nav}${runs.filter((r) => r.kind === 'train').length > 1 ? '<a href="#comparison">comparison</a>' : ''}</nav>
${comparisonSection(runs)}
${sections.join('\n')}
</main></body></html>
`;
}

/**
 * `voxnas report`: reads search and train run directories and writes one self-contained HTML file
 * (inline CSS and SVG, no scripts or external resources): per run its curves, α heatmaps, genotype,
 * metric tables with bootstrap intervals and health warnings, plus a comparison table when several
 * train runs are given. Written atomically.
 *
 * @example
 * await runReport({ runs: ['runs/search', 'runs/unet', 'runs/searched'], out: 'runs/report.html' });
 */
export async function runReport(flags: ReportFlags): Promise<{ path: string; runs: number; bytes: number }> {
  if (flags.runs.length === 0) throw new UsageError('voxnas report: give at least one --run <dir>');
  if (!flags.out) throw new UsageError('voxnas report: --out <report.html> is required');
  const out = resolve(flags.out);
  if (!existsSync(dirname(out))) throw new ConfigError(`voxnas report --out ${flags.out}: the directory ${dirname(out)} does not exist`);
  const runs: ReportRun[] = [];
  for (const r of flags.runs) runs.push(await readReportRun(r));
  const slices = new Map<string, readonly CaseSlice[]>();
  for (const run of runs) if (run.kind === 'train') slices.set(run.dir, await caseSlices(run));
  const html = renderReport(runs, { caseSlices: slices });
  await atomicWrite(out, html);
  return { path: out, runs: runs.length, bytes: Buffer.byteLength(html) };
}

/** `voxnas report`. */
export const reportCommand = defineCommand({
  name: 'report',
  summary: 'one self-contained HTML report of search/train runs (curves, α heatmaps, genotypes, metrics)',
  usage: '--run <dir> [--run <dir>]… --out <report.html>',
  flags: {
    run: { type: 'string', multiple: true, value: '<dir>', description: 'a search or train run directory, in report order (the first train run is the comparison baseline)' },
    out: { type: 'string', value: '<report.html>', description: 'the HTML file to write (its directory must exist)' },
  },
  async run({ flags, io }) {
    const r = await runReport({ runs: flags.run ?? [], ...(flags.out ? { out: flags.out } : {}) });
    io.out(`report written: ${r.path} (${r.runs} run(s))`);
    return 0;
  },
});
