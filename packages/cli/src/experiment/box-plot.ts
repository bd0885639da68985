import { PALETTE, escapeHtml } from '../report/svg.js';

/** One box of a {@link boxPlot}. */
export interface BoxSeries {
  readonly name: string;
  readonly values: readonly number[];
}

/** numpy-linear percentile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The five numbers a box shows: whiskers at the furthest values within 1.5 IQR of the box. */
export function boxStats(values: readonly number[]): { q1: number; median: number; q3: number; low: number; high: number; outliers: number[] } | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const q1 = quantile(v, 0.25);
  const q3 = quantile(v, 0.75);
  const iqr = q3 - q1;
  const inside = v.filter((x) => x >= q1 - 1.5 * iqr && x <= q3 + 1.5 * iqr);
  return {
    q1,
    median: quantile(v, 0.5),
    q3,
    low: inside[0]!,
    high: inside[inside.length - 1]!,
    outliers: v.filter((x) => x < q1 - 1.5 * iqr || x > q3 + 1.5 * iqr),
  };
}

/**
 * Box plots (one per series) as an inline `<svg>`: quartile box, median line, whiskers to the furthest
 * values within 1.5 IQR, every value drawn as a dot (spread sideways by its rank, so no randomness).
 * The y axis runs from `yMin` to `yMax` (default 0 to 1, for Dice).
 *
 * @example
 * boxPlot({ title: 'phantom: per-case mean Dice', series: [{ name: 'searched', values: [0.8, 0.7] }] });
 */
export function boxPlot(o: { title: string; series: readonly BoxSeries[]; yLabel?: string; yMin?: number; yMax?: number; width?: number; height?: number }): string {
  const width = o.width ?? Math.max(320, 90 + 110 * o.series.length);
  const height = o.height ?? 300;
  const yMin = o.yMin ?? 0;
  const yMax = o.yMax ?? 1;
  const left = 56;
  const top = 30;
  const bottom = 46;
  const plotH = height - top - bottom;
  const y = (v: number) => top + plotH * (1 - (Math.min(yMax, Math.max(yMin, v)) - yMin) / (yMax - yMin || 1));
  const slot = (width - left - 10) / Math.max(1, o.series.length);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(o.title)}">`,
    `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-family="sans-serif">${escapeHtml(o.title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const v = yMin + ((yMax - yMin) * i) / 5;
    parts.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" font-size="11" font-family="sans-serif">${Number(v.toPrecision(3))}</text>`,
    );
  }
  parts.push(
    `<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="11" font-family="sans-serif">${escapeHtml(o.yLabel ?? 'Dice')}</text>`,
  );
  o.series.forEach((s, i) => {
    const cx = left + slot * (i + 0.5);
    const color = PALETTE[i % PALETTE.length]!;
    const b = boxStats(s.values);
    const bw = Math.min(50, slot * 0.5);
    if (b) {
      parts.push(
        `<line x1="${cx}" x2="${cx}" y1="${y(b.low).toFixed(1)}" y2="${y(b.high).toFixed(1)}" stroke="${color}"/>`,
        `<rect x="${(cx - bw / 2).toFixed(1)}" y="${y(b.q3).toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(1, y(b.q1) - y(b.q3)).toFixed(1)}" fill="${color}" fill-opacity="0.25" stroke="${color}"/>`,
        `<line x1="${(cx - bw / 2).toFixed(1)}" x2="${(cx + bw / 2).toFixed(1)}" y1="${y(b.median).toFixed(1)}" y2="${y(b.median).toFixed(1)}" stroke="${color}" stroke-width="2"/>`,
      );
      const v = s.values.filter((x) => Number.isFinite(x));
      v.forEach((x, k) => {
        const dx = v.length > 1 ? ((k / (v.length - 1)) - 0.5) * bw * 0.8 : 0;
        parts.push(`<circle cx="${(cx + dx).toFixed(1)}" cy="${y(x).toFixed(1)}" r="2.2" fill="${color}"><title>${escapeHtml(`${s.name}: ${x.toFixed(4)}`)}</title></circle>`);
      });
    }
    parts.push(
      `<text x="${cx}" y="${height - bottom + 16}" text-anchor="middle" font-size="11" font-family="sans-serif">${escapeHtml(s.name)}</text>`,
      `<text x="${cx}" y="${height - bottom + 30}" text-anchor="middle" font-size="10" fill="#666" font-family="sans-serif">n = ${s.values.filter((x) => Number.isFinite(x)).length}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
