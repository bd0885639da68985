import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWrite } from '@voxnas/core/node';
import { toJson } from '@voxnas/metrics';
import { escapeHtml } from '../report/svg.js';
import { aggregateExperiment, type ArmResult, type ExperimentResults, type SearchQualityRow, type Stat } from './aggregate.js';
import { boxPlot } from './box-plot.js';
import { layout } from './layout.js';

const f3 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(3));
const f2 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(2));
const pm = (s: Stat | undefined, d = f3) => (!s || !Number.isFinite(s.mean) ? 'n/a' : Number.isFinite(s.sd) ? `${d(s.mean)} ± ${d(s.sd)}` : d(s.mean));
const ci = (s: Stat | undefined) => (s?.ci ? `[${f3(s.ci.lower)}, ${f3(s.ci.upper)}]` : 'n/a');
const fp = (p: number) => (!Number.isFinite(p) ? 'n/a' : p < 1e-4 ? p.toExponential(1) : p.toPrecision(2));
const hours = (h: number) => (h === 0 ? '0' : h < 0.01 ? h.toFixed(4) : h.toFixed(2));
const gflops = (x: number | null) => (x === null ? 'n/a' : (x / 1e9).toPrecision(3));
const int = (x: number | null) => (x === null ? 'n/a' : x.toLocaleString('en-US'));

/** The arm's name as a row label: transfer rows say where the genotype was searched. */
function armLabel(a: ArmResult): string {
  return a.transfer ? `${a.arm} (transfer: searched on ${a.searchedOn})` : a.arm;
}

function marks(a: ArmResult): string {
  return `${a.sawSearchCases.length ? ' †' : ''}${a.repeatedFolds.length ? ' ‡' : ''}`;
}

interface Table {
  readonly head: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

function armTable(t: ExperimentResults['tasks'][number]): Table {
  return {
    head: ['arm', ...t.classes.map((c) => `${c} Dice`), 'mean Dice', `mean Dice CI`, 'HD95 (mm)', 'parameters', 'GFLOPs/patch', 'search h', 'train h', 'runs'],
    rows: t.arms.map((a) => [
      `${armLabel(a)}${marks(a)}`,
      ...t.classes.map((c) => pm(a.dice[c])),
      pm(a.dice.mean),
      ci(a.dice.mean),
      pm(a.hd95.mean, f2),
      int(a.params),
      gflops(a.flops),
      hours(a.searchHours),
      hours(a.trainHours),
      `${a.runsDone}/${a.runsPlanned}`,
    ]),
  };
}

function comparisonTable(r: ExperimentResults): Table {
  return {
    head: ['task', 'A', 'B', 'class', 'Dice A', 'Dice B', 'A − B', 'CI of A − B', 'Wilcoxon p', 'Holm p', 'n cases'],
    rows: r.comparisons.map((c) => [
      c.task,
      c.a,
      c.b,
      c.class === 'mean' ? 'mean' : c.class,
      f3(c.meanA),
      f3(c.meanB),
      `${c.meanDifference >= 0 ? '+' : ''}${f3(c.meanDifference)}`,
      `[${f3(c.ci.lower)}, ${f3(c.ci.upper)}]`,
      fp(c.pvalue),
      fp(c.pHolm),
      String(c.n),
    ]),
  };
}

function rankTable(r: ExperimentResults): Table {
  return {
    head: ['task', 'arm', 'random arm', 'rank', "arm's mean Dice", "random genotypes' mean Dice"],
    rows: r.ranks.map((k) => [k.task, k.arm, k.random, `${k.rank} of ${k.of}`, f3(k.armMean), k.randomMeans.map(f3).join(', ')]),
  };
}

const SEARCH_QUALITY_NOTE =
  "Per search: random genotypes of its space and the derived one, scored with the supernet's weights on the search's validation cases and trained alone; Kendall τ and Spearman ρ between the two rankings with paired-bootstrap CIs (τ near 0: the supernet ranks no better than chance). One training per architecture, so the stand-alone ranking carries the run-to-run noise of one training.";

function searchQualityTable(r: ExperimentResults): Table | null {
  if (!r.searchQuality.length) return null;
  const corr = (c: { value: number; lower: number; upper: number; pvalue: number }) => `${f3(c.value)} [${f3(c.lower)}, ${f3(c.upper)}] ${fp(c.pvalue)}`;
  const rows = r.searchQuality.map((q) => [
    q.task,
    q.fold === null ? '—' : String(q.fold),
    String(q.seed),
    corr(q.kendall),
    corr(q.spearman),
    `${q.derivedProxyRank} of ${q.count}`,
    `${q.derivedStandaloneRank} of ${q.count}`,
    String(q.standaloneSteps),
  ]);
  // One mean row per task with more than one study: τ averaged over its searches.
  for (const task of [...new Set(r.searchQuality.map((q) => q.task))]) {
    const qs = r.searchQuality.filter((q) => q.task === task);
    if (qs.length < 2) continue;
    const mean = (f: (q: SearchQualityRow) => number) => qs.reduce((a, q) => a + f(q), 0) / qs.length;
    rows.push([task, 'mean', `${qs.length} searches`, f3(mean((q) => q.kendall.value)), f3(mean((q) => q.spearman.value)), `${mean((q) => q.derivedProxyRank).toFixed(1)}`, `${mean((q) => q.derivedStandaloneRank).toFixed(1)}`, '']);
  }
  return {
    head: ['task', 'fold', 'seed', 'Kendall τ [CI] p', 'Spearman ρ [CI] p', 'derived: rank by supernet', 'derived: rank stand-alone', 'stand-alone steps'],
    rows,
  };
}

function transferTable(r: ExperimentResults): Table | null {
  const rows: string[][] = [];
  for (const t of r.tasks) {
    for (const a of t.arms.filter((x) => x.transfer)) {
      const own = (kind: string) =>
        t.arms
          .filter((x) => x.kind === kind && !x.transfer)
          .map((x) => `${x.arm} ${f3(x.dice.mean?.mean)}`)
          .join('; ') || '—';
      rows.push([t.task, a.searchedOn ?? '?', `${a.arm} ${f3(a.dice.mean?.mean)} ${ci(a.dice.mean)}`, own('searched'), own('unet'), own('random')]);
    }
  }
  return rows.length ? { head: ['task', 'searched on', 'transferred genotype: mean Dice [CI]', "task's own searched", 'U-Net', 'random'], rows } : null;
}

function markdownTable(t: Table): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [`| ${t.head.map(esc).join(' | ')} |`, `|${t.head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

function htmlTable(t: Table): string {
  return `<table><thead><tr>${t.head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((c, i) => `<td${i === 0 ? ' class="l"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function protocolLines(r: ExperimentResults): string[] {
  const p = r.protocol;
  const search =
    p.search === 'once'
      ? `one search on task '${p.searchTask}' (cases: ${p.searchCases}), its genotype reused on every task; evaluations that could have seen a case searched on are marked †`
      : "per fold: each fold's searches saw only that fold's training cases (no architecture decision saw a case it is evaluated on)";
  return [
    `${p.folds}-fold cross-validation (${p.runFolds.length === p.folds ? 'every fold' : `fold${p.runFolds.length > 1 ? 's' : ''} ${p.runFolds.join(', ')} only`}), training seeds ${p.seeds.join(', ')}; search: ${search}.`,
    `Budget: ${p.budget.searchSteps ?? 'config'} search steps, ${p.budget.trainSteps ?? 'config'} training steps per run. Searches and trainings see only their fold's training cases (their own inner split picks the genotype and the checkpoint); evaluations score the fold's held-out cases.`,
    `Dice and HD95: mean ± sd over runs (folds × seeds, × genotypes for random arms); CI: ${Math.round(p.confidence * 100)}% BCa bootstrap (${p.resamples} resamples) of the mean over cases, each case averaged over its runs. Comparisons: paired Wilcoxon signed-rank over cases (each case's Dice averaged over seeds), mean difference with its bootstrap CI, Holm-corrected across tasks and classes per pair of arms. Costs: wall-clock device-hours of the jobs.`,
  ];
}

function footnotes(r: ExperimentResults): string[] {
  const out: string[] = [];
  const saw = r.tasks.flatMap((t) => t.arms.filter((a) => a.sawSearchCases.length).map((a) => `${t.task}/${a.arm} folds ${a.sawSearchCases.join(', ')}`));
  if (saw.length) out.push(`† could have seen cases the search used: ${saw.join('; ')}.`);
  const rep = r.tasks.flatMap((t) => t.arms.filter((a) => a.repeatedFolds.length).map((a) => `${t.task}/${a.arm} folds ${a.repeatedFolds.join(', ')}`));
  if (rep.length) out.push(`‡ a fold with one training case: its runs' inner validation re-used that case (${rep.join('; ')}).`);
  const backends = [...new Set(r.tasks.flatMap((t) => t.arms.flatMap((a) => a.backends)))];
  if (backends.length) out.push(`Backends: ${backends.join('; ')}.`);
  if (r.missing.length) {
    out.push(`${r.missing.length} evaluation(s) missing (not in the numbers above):`);
    for (const m of r.missing.slice(0, 30)) out.push(`  - ${m.id}: ${m.state} (log ${m.log})`);
    if (r.missing.length > 30) out.push(`  - … and ${r.missing.length - 30} more`);
  }
  for (const n of r.notes) out.push(`Note: ${n}`);
  return out;
}

/**
 * The results as Markdown: the protocol, one table per task (Dice per class and mean ± sd with the
 * CI, HD95, size, FLOPs, costs), the paired comparisons, the rank among random genotypes, the
 * transfer rows, and footnotes (contamination, missing evaluations, backends).
 *
 * @example
 * console.log(renderMarkdown(await aggregateExperiment('/runs/study')));
 */
export function renderMarkdown(r: ExperimentResults): string {
  const parts = [`# ${r.name}`, '', ...protocolLines(r), ''];
  for (const t of r.tasks) parts.push(`## ${t.task} (${t.cases} cases)`, '', markdownTable(armTable(t)), '');
  if (r.comparisons.length) parts.push('## Paired comparisons', '', markdownTable(comparisonTable(r)), '');
  if (r.ranks.length) parts.push('## Rank among the random genotypes', '', markdownTable(rankTable(r)), '');
  const tr = transferTable(r);
  if (tr) parts.push('## Transfer', '', markdownTable(tr), '');
  const sq = searchQualityTable(r);
  if (sq) parts.push('## Search quality', '', SEARCH_QUALITY_NOTE, '', markdownTable(sq), '');
  const notes = footnotes(r);
  if (notes.length) parts.push('## Notes', '', ...notes.map((n) => (n.startsWith('  - ') ? n : `- ${n}`)), '');
  return parts.join('\n');
}

function csvField(s: string | number | null): string {
  const t = s === null ? '' : String(s);
  return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

function csv(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  return [head.map(csvField).join(','), ...rows.map((r) => r.map(csvField).join(','))].join('\n') + '\n';
}

const num = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? null : x);

/**
 * `report.csv` (one row per task, arm and class), `comparisons.csv`, `per-case.csv` and, when the
 * experiment ran search-quality studies, `search-quality.csv` (one row per search).
 */
export function renderCsv(r: ExperimentResults): { report: string; comparisons: string; perCase: string; searchQuality: string | null } {
  const rows: Array<Array<string | number | null>> = [];
  for (const t of r.tasks) {
    for (const a of t.arms) {
      for (const cls of [...t.classes, 'mean']) {
        const d = a.dice[cls]!;
        const h = a.hd95[cls]!;
        rows.push([
          t.task, a.arm, a.kind, a.searchedOn, cls, num(d.mean), num(d.sd), num(d.ci?.lower), num(d.ci?.upper), d.runs, d.cases, num(h.mean), num(h.sd),
          a.params, num(a.flops), a.searchHours, a.trainHours, a.backends.join('; '), a.sawSearchCases.join(' '),
        ]);
      }
    }
  }
  return {
    report: csv(
      ['task', 'arm', 'kind', 'searched_on', 'class', 'dice_mean', 'dice_sd', 'dice_ci_lower', 'dice_ci_upper', 'runs', 'cases', 'hd95_mean', 'hd95_sd', 'params', 'flops', 'search_hours', 'train_hours', 'backends', 'folds_that_saw_search_cases'],
      rows,
    ),
    comparisons: csv(
      ['task', 'a', 'b', 'class', 'dice_a', 'dice_b', 'mean_difference', 'ci_lower', 'ci_upper', 'wilcoxon_p', 'holm_p', 'n'],
      r.comparisons.map((c) => [c.task, c.a, c.b, c.class, num(c.meanA), num(c.meanB), num(c.meanDifference), num(c.ci.lower), num(c.ci.upper), num(c.pvalue), num(c.pHolm), c.n]),
    ),
    perCase: csv(
      ['task', 'fold', 'arm', 'genotype', 'seed', 'case', 'class', 'dice', 'hd95'],
      r.perCase.map((p) => [p.task, p.fold, p.arm, p.genotype, p.seed, p.caseId, p.class, num(p.dice), num(p.hd95)]),
    ),
    searchQuality: r.searchQuality.length
      ? csv(
          ['task', 'fold', 'seed', 'architectures', 'standalone_steps', 'kendall_tau', 'kendall_ci_lower', 'kendall_ci_upper', 'kendall_p', 'spearman_rho', 'spearman_ci_lower', 'spearman_ci_upper', 'spearman_p', 'derived_rank_supernet', 'derived_rank_standalone'],
          r.searchQuality.map((q) => [
            q.task, q.fold, q.seed, q.count, q.standaloneSteps,
            num(q.kendall.value), num(q.kendall.lower), num(q.kendall.upper), num(q.kendall.pvalue),
            num(q.spearman.value), num(q.spearman.lower), num(q.spearman.upper), num(q.spearman.pvalue),
            q.derivedProxyRank, q.derivedStandaloneRank,
          ]),
        )
      : null,
  };
}

/**
 * The results as one self-contained HTML page (no external resources): the Markdown report's tables
 * and a box plot of the per-case mean Dice per arm for every task, as inline SVG.
 *
 * @example
 * writeFileSync('report.html', renderHtml(results));
 */
export function renderHtml(r: ExperimentResults): string {
  const body: string[] = [`<h1>${escapeHtml(r.name)}</h1>`, ...protocolLines(r).map((l) => `<p>${escapeHtml(l)}</p>`)];
  for (const t of r.tasks) {
    body.push(`<h2>${escapeHtml(`${t.task} (${t.cases} cases)`)}</h2>`, htmlTable(armTable(t)));
    body.push(
      `<figure>${boxPlot({
        title: `${t.task}: per-case mean Dice (each case averaged over its runs)`,
        series: t.arms.map((a) => ({ name: a.transfer ? `${a.arm} (from ${a.searchedOn})` : a.arm, values: Object.values(a.perCase) })),
      })}</figure>`,
    );
  }
  if (r.comparisons.length) body.push('<h2>Paired comparisons</h2>', htmlTable(comparisonTable(r)));
  if (r.ranks.length) body.push('<h2>Rank among the random genotypes</h2>', htmlTable(rankTable(r)));
  const tr = transferTable(r);
  if (tr) body.push('<h2>Transfer</h2>', htmlTable(tr));
  const sq = searchQualityTable(r);
  if (sq) body.push('<h2>Search quality</h2>', `<p>${escapeHtml(SEARCH_QUALITY_NOTE)}</p>`, htmlTable(sq));
  const notes = footnotes(r);
  if (notes.length) body.push('<h2>Notes</h2>', `<ul>${notes.map((n) => `<li>${escapeHtml(n.trim().replace(/^- /, ''))}</li>`).join('')}</ul>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.name)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 13px; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: right; white-space: nowrap; }
th { background: #f4f4f4; } td.l { text-align: left; } p { max-width: 60em; }
</style></head><body>
${body.join('\n')}
</body></html>
`;
}

/** What `voxnas experiment report` wrote. */
export interface ReportFiles {
  readonly dir: string;
  readonly files: readonly string[];
  readonly results: ExperimentResults;
  readonly markdown: string;
}

/**
 * `voxnas experiment report <exp-dir>`: aggregates the experiment ({@link aggregateExperiment}) and
 * writes `report.md`, `report.html`, `report.json`, `report.csv`, `comparisons.csv`,
 * `per-case.csv` and (with search-quality studies) `search-quality.csv` into `<exp>/report/` (or `out`).
 *
 * @example
 * const { markdown } = await writeExperimentReport({ expDir: 'runs/study' });
 */
export async function writeExperimentReport(o: { expDir: string; out?: string }): Promise<ReportFiles> {
  const results = await aggregateExperiment(o.expDir);
  const dir = o.out ?? layout.report(o.expDir);
  await mkdir(dir, { recursive: true });
  const markdown = renderMarkdown(results);
  const c = renderCsv(results);
  const files: Array<[string, string]> = [
    ['report.md', markdown],
    ['report.html', renderHtml(results)],
    ['report.json', `${toJson(results)}\n`],
    ['report.csv', c.report],
    ['comparisons.csv', c.comparisons],
    ['per-case.csv', c.perCase],
    ...(c.searchQuality === null ? [] : ([['search-quality.csv', c.searchQuality]] as Array<[string, string]>)),
  ];
  for (const [name, text] of files) await atomicWrite(join(dir, name), text);
  return { dir, files: files.map(([n]) => join(dir, n)), results, markdown };
}
