/** Escapes text for HTML and SVG content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A series of a line chart: points `[x, y]` (non-finite y values are gaps). */
export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly color: string;
  /** Draw markers at the points (for sparse series such as validation scores). */
  readonly markers?: boolean;
}

/** Categorical colours (Tableau 10), readable on white. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

const n2 = (x: number) => (Math.round(x * 100) / 100).toString();

/** A short tick label. */
export function tickLabel(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(1);
  return Number(x.toPrecision(3)).toString();
}

function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/**
 * A line chart as an inline `<svg>` (no external resources): axes with ticks, one polyline per series,
 * a legend, axis titles. Empty series are listed in the legend only.
 */
export function lineChart(options: {
  title: string;
  series: readonly Series[];
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  yMin?: number;
  yMax?: number;
}): string {
  const W = options.width ?? 520;
  const H = options.height ?? 260;
  const m = { l: 56, r: 12, t: 28, b: 58 };
  const pts = options.series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  let x0 = xs.length ? Math.min(...xs) : 0;
  let x1 = xs.length ? Math.max(...xs) : 1;
  let y0 = options.yMin ?? (ys.length ? Math.min(...ys) : 0);
  let y1 = options.yMax ?? (ys.length ? Math.max(...ys) : 1);
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  if (options.yMin === undefined || options.yMax === undefined) {
    const pad = (y1 - y0) * 0.05;
    if (options.yMin === undefined) y0 -= pad;
    if (options.yMax === undefined) y1 += pad;
  }
  x0 = Math.min(x0, x1);
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => m.t + ph - ((y - y0) / (y1 - y0)) * ph;
  const parts: string[] = [];
  parts.push(`<svg class="chart" role="img" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="11">`);
  parts.push(`<title>${escapeHtml(options.title)}</title>`);
  parts.push(`<text x="${m.l}" y="16" font-size="13" font-weight="600">${escapeHtml(options.title)}</text>`);
  for (const t of niceTicks(y0, y1, 5)) {
    const y = n2(sy(t));
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.l - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#555">${escapeHtml(tickLabel(t))}</text>`);
  }
  for (const t of niceTicks(x0, x1, 6)) {
    const x = n2(sx(t));
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="#555"/>`);
    parts.push(`<text x="${x}" y="${m.t + ph + 16}" text-anchor="middle" fill="#555">${escapeHtml(tickLabel(t))}</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 32}" text-anchor="middle">${escapeHtml(options.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(options.yLabel)}</text>`,
  );
  for (const s of options.series) {
    const segments: string[][] = [[]];
    for (const [x, y] of s.points) {
      if (Number.isFinite(x) && Number.isFinite(y)) segments[segments.length - 1]!.push(`${n2(sx(x))},${n2(sy(y))}`);
      else if (segments[segments.length - 1]!.length) segments.push([]);
    }
    for (const seg of segments) {
      if (seg.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.6" points="${seg.join(' ')}"/>`);
    }
    if (s.markers || segments.every((seg) => seg.length <= 1)) {
      for (const seg of segments) for (const p of seg) {
        const [cx, cy] = p.split(',');
        parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${s.color}"/>`);
      }
    }
  }
  let lx = m.l;
  const ly = H - 10;
  for (const s of options.series) {
    parts.push(`<rect x="${lx}" y="${ly - 8}" width="12" height="8" fill="${s.color}"/>`);
    parts.push(`<text x="${lx + 16}" y="${ly}">${escapeHtml(s.name)}${s.points.length ? '' : ' (no data)'}</text>`);
    lx += 28 + s.name.length * 6.5 + (s.points.length ? 0 : 50);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** `#rrggbb` of `color` mixed with white: t = 0 white, t = 1 the colour. */
export function tint(color: string, t: number): string {
  const c = Number.parseInt(color.slice(1), 16);
  const mix = (v: number) => Math.round(255 + (v - 255) * Math.max(0, Math.min(1, t)));
  const r = mix((c >> 16) & 255);
  const g = mix((c >> 8) & 255);
  const b = mix(c & 255);
  return `#${((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)}`;
}

/**
 * A heatmap as an inline `<svg>`: `rows × columns` cells, each with a fill colour and an optional
 * text; row and column labels; a tooltip (`<title>`) per cell.
 */
export function heatmap(options: {
  title: string;
  rowLabels: readonly string[];
  columnLabels: readonly string[];
  cells: ReadonlyArray<ReadonlyArray<{ fill: string; text?: string; tooltip: string }>>;
  columnTitle: string;
  cellWidth?: number;
  cellHeight?: number;
}): string {
  const cw = Math.round(options.cellWidth ?? 34);
  const ch = options.cellHeight ?? 16;
  const left = 12 + Math.max(40, ...options.rowLabels.map((l) => l.length * 6.2));
  const top = 46;
  const W = Math.max(left + options.columnLabels.length * cw + 12, options.title.length * 7.4 + 12, left + options.columnTitle.length * 5.8);
  const H = top + options.rowLabels.length * ch + 10;
  const parts: string[] = [];
  parts.push(`<svg class="heatmap" role="img" width="${n2(W)}" height="${H}" viewBox="0 0 ${n2(W)} ${H}" font-family="system-ui, sans-serif" font-size="10">`);
  parts.push(`<title>${escapeHtml(options.title)}</title>`);
  parts.push(`<text x="4" y="14" font-size="13" font-weight="600">${escapeHtml(options.title)}</text>`);
  parts.push(`<text x="${n2(left)}" y="28" fill="#555">${escapeHtml(options.columnTitle)}</text>`);
  options.columnLabels.forEach((c, j) => {
    parts.push(`<text x="${n2(left + j * cw + cw / 2)}" y="${top - 5}" text-anchor="middle" fill="#555">${escapeHtml(c)}</text>`);
  });
  options.rowLabels.forEach((r, i) => {
    const y = top + i * ch;
    parts.push(`<text x="${n2(left - 6)}" y="${y + ch / 2}" text-anchor="end" dominant-baseline="middle">${escapeHtml(r)}</text>`);
    options.cells[i]!.forEach((cell, j) => {
      const x = left + j * cw;
      parts.push(
        `<rect x="${n2(x)}" y="${y}" width="${n2(cw - 1)}" height="${ch - 1}" fill="${cell.fill}"><title>${escapeHtml(cell.tooltip)}</title></rect>`,
      );
      if (cell.text) {
        parts.push(
          `<text x="${n2(x + cw / 2)}" y="${y + ch / 2}" text-anchor="middle" dominant-baseline="middle" font-size="9">${escapeHtml(cell.text)}</text>`,
        );
      }
    });
  });
  parts.push('</svg>');
  return parts.join('');
}
