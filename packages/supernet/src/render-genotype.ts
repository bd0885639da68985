import { validateGenotype, type Genotype } from './genotype.js';
import {
  CELL_TYPES,
  cellEdges,
  macroLayout,
  nodeName,
  ZERO_OPERATOR,
  type CellType,
  type EdgeSpec,
} from './search-space.js';

/** Options of {@link renderGenotypeSvg}. */
export interface RenderGenotypeOptions {
  /** Title printed at the top; default `'voxnas genotype'`. */
  title?: string;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
const CELL_FILL: Record<CellType | 'io', string> = {
  'encoder-normal': '#dbe9f6',
  reduction: '#fde2cf',
  'decoder-normal': '#dcf0d5',
  expansion: '#eadcf2',
  io: '#eeeeee',
};

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const f = (x: number) => (Math.round(x * 10) / 10).toString();

/**
 * Renders a genotype as a standalone SVG document (a string; no external tool): the macro U-Net view
 * (cells placed by execution order and resolution level, data-flow arrows, additive encoder→decoder
 * skips) and the four cell DAGs (inputs `in*`, nodes `n*`, output = 1×1×1 projection of the
 * concatenated nodes). Each non-`zero` edge is drawn in its operator's colour and labelled with the
 * operator name (`↓2` / `↑2` marks resizing edges); a legend lists the colours. Deterministic: the same
 * genotype gives the same bytes.
 *
 * @throws GenotypeError when `genotype` is invalid.
 * @example
 * await writeFile('genotype.svg', renderGenotypeSvg(genotype, { title: 'Heart, fold 0' }));
 */
export function renderGenotypeSvg(genotype: Genotype, options: RenderGenotypeOptions = {}): string {
  const g = validateGenotype(genotype, { source: 'renderGenotypeSvg' });
  const noCandidates: Record<CellType, readonly string[]> = { 'encoder-normal': [], reduction: [], 'decoder-normal': [], expansion: [] };
  const edges = cellEdges(g.macro, noCandidates);
  const ops = [...new Set(Object.values(g.choices).filter((o) => o !== ZERO_OPERATOR))].sort();
  const color = new Map(ops.map((o, i) => [o, PALETTE[i % PALETTE.length]!]));

  const parts: string[] = [];
  const layout = macroLayout(g.macro);
  const colW = 74;
  const macroW = (layout.length + 2) * colW + 40;
  const panelW = 150 + g.macro.nodes * 130 + 110;
  const panelH = 290;
  const width = Math.max(macroW, 2 * panelW + 60, 640);
  const macroTop = 60;
  const macroH = g.macro.levels * 62 + 20;
  const cellsTop = macroTop + macroH + 30;
  const legendTop = cellsTop + 2 * panelH + 20;
  const legendRows = Math.ceil(Math.max(ops.length, 1) / 4);
  const height = legendTop + 30 + legendRows * 20 + 20;

  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="20" y="28" font-size="18" font-weight="bold">${esc(options.title ?? 'voxnas genotype')}</text>`,
    `<text x="20" y="46" font-size="11" fill="#555">${esc(
      `levels ${g.macro.levels} · base channels ${g.macro.baseChannels} · ${g.macro.nodes} nodes per cell · ${g.macro.cellInputs} cell input(s) · in ${g.macro.inputChannels} → ${g.macro.classes} classes · inputs multiple of ${2 ** (g.macro.levels - 1)}`,
    )}</text>`,
  );

  // --- macro view -----------------------------------------------------------------------------
  parts.push(`<g id="macro"><text x="20" y="${macroTop + 4}" font-size="13" font-weight="bold">Macro network</text>`);
  const boxW = 62;
  const boxH = 34;
  const pos = new Map<string, { x: number; y: number }>();
  const yOf = (level: number) => macroTop + 24 + level * 62;
  pos.set('stem', { x: 20 + colW / 2, y: yOf(0) });
  layout.forEach((c, i) => pos.set(c.id, { x: 20 + colW * (i + 1) + colW / 2, y: yOf(c.level) }));
  pos.set('head', { x: 20 + colW * (layout.length + 1) + colW / 2, y: yOf(0) });
  const arrow = (a: { x: number; y: number }, b: { x: number; y: number }, style: string) =>
    `<line x1="${f(a.x + boxW / 2)}" y1="${f(a.y + boxH / 2)}" x2="${f(b.x - boxW / 2)}" y2="${f(b.y + boxH / 2)}" ${style} marker-end="url(#arrow)"/>`;
  for (const c of layout) {
    c.inputs.forEach((id, k) => {
      const latest = k === c.inputs.length - 1;
      parts.push(arrow(pos.get(id)!, pos.get(c.id)!, latest ? 'stroke="#555" stroke-width="1.5"' : 'stroke="#aaa" stroke-width="1" stroke-dasharray="3,3"'));
    });
    if (c.skip) {
      const a = pos.get(c.skip)!;
      const b = pos.get(c.id)!;
      parts.push(
        `<path d="M${f(a.x)},${f(a.y)} C${f(a.x)},${f(a.y - 14)} ${f(b.x)},${f(b.y - 14)} ${f(b.x)},${f(b.y)}" fill="none" stroke="#2b8a3e" stroke-width="1.5" stroke-dasharray="6,3" marker-end="url(#arrow)"><title>${esc(`${c.skip} + ${c.id} (additive skip)`)}</title></path>`,
      );
    }
  }
  const last = layout[layout.length - 1]!;
  parts.push(arrow(pos.get(last.id)!, pos.get('head')!, 'stroke="#555" stroke-width="1.5"'));
  const box = (id: string, label: string, sub: string, fill: string, tip: string) => {
    const p = pos.get(id)!;
    parts.push(
      `<g><title>${esc(tip)}</title><rect x="${f(p.x - boxW / 2)}" y="${f(p.y)}" width="${boxW}" height="${boxH}" rx="6" fill="${fill}" stroke="#333"/>` +
        `<text x="${f(p.x)}" y="${f(p.y + 15)}" font-size="11" text-anchor="middle" font-weight="bold">${esc(label)}</text>` +
        `<text x="${f(p.x)}" y="${f(p.y + 28)}" font-size="9" text-anchor="middle" fill="#333">${esc(sub)}</text></g>`,
    );
  };
  box('stem', 'stem', `${g.macro.inputChannels}→${g.macro.baseChannels}ch`, CELL_FILL.io, 'stem: 3×3×3 convolution');
  for (const c of layout) box(c.id, c.id, `${c.channels}ch`, CELL_FILL[c.type], `${c.id}: ${c.type} cell (${c.role}), level ${c.level}, inputs ${c.inputs.join(', ')}`);
  box('head', 'head', `→${g.macro.classes} cls`, CELL_FILL.io, 'head: 1×1×1 convolution to class logits');
  for (let l = 0; l < g.macro.levels; l++) {
    parts.push(`<text x="6" y="${f(yOf(l) + 21)}" font-size="9" fill="#888">L${l}</text>`);
  }
  parts.push('</g>');

  // --- cells ----------------------------------------------------------------------------------
  CELL_TYPES.forEach((cell, idx) => {
    const ox = 20 + (idx % 2) * (panelW + 20);
    const oy = cellsTop + Math.floor(idx / 2) * panelH;
    parts.push(renderCell(cell, edges.filter((e) => e.cell === cell), g, color, { ox, oy, w: panelW, h: panelH - 14 }));
  });

  // --- legend ---------------------------------------------------------------------------------
  parts.push(`<g id="legend"><text x="20" y="${legendTop + 14}" font-size="13" font-weight="bold">Operators</text>`);
  ops.forEach((o, i) => {
    const x = 20 + (i % 4) * 200;
    const y = legendTop + 32 + Math.floor(i / 4) * 20;
    parts.push(
      `<line x1="${x}" y1="${y - 4}" x2="${x + 26}" y2="${y - 4}" stroke="${color.get(o)}" stroke-width="3"/><text x="${x + 32}" y="${y}" font-size="11">${esc(o)}</text>`,
    );
  });
  if (ops.length === 0) parts.push(`<text x="20" y="${legendTop + 32}" font-size="11">(every edge is zero)</text>`);
  parts.push('</g>', '</svg>');
  return `${parts.join('\n')}\n`;
}

function renderCell(
  cell: CellType,
  edges: EdgeSpec[],
  g: Genotype,
  color: Map<string, string>,
  box: { ox: number; oy: number; w: number; h: number },
): string {
  const { nodes, cellInputs } = g.macro;
  const out: string[] = [];
  const { ox, oy, w, h } = box;
  out.push(`<g id="cell-${cell}">`);
  out.push(`<rect x="${ox}" y="${oy}" width="${w}" height="${h}" rx="8" fill="${CELL_FILL[cell]}" fill-opacity="0.35" stroke="#999"/>`);
  const note = cell === 'encoder-normal' ? ' (also the inter-cell)' : cell === 'reduction' ? ' (input edges stride 2)' : cell === 'expansion' ? ' (input edges upsample ×2)' : '';
  out.push(`<text x="${ox + 10}" y="${oy + 18}" font-size="13" font-weight="bold">${esc(cell)}${esc(note)}</text>`);
  const midY = oy + h / 2 + 8;
  const p: Array<{ x: number; y: number }> = [];
  for (let i = 0; i < cellInputs; i++) {
    p.push({ x: ox + 40, y: cellInputs === 1 ? midY : midY + (i === 0 ? -70 : 70) });
  }
  for (let j = 0; j < nodes; j++) p.push({ x: ox + 170 + j * 130, y: midY });
  const outPos = { x: ox + 170 + nodes * 130 - 20, y: midY };
  const r = 17;
  // concat → output
  for (let j = 0; j < nodes; j++) {
    const a = p[cellInputs + j]!;
    out.push(
      `<path d="M${f(a.x)},${f(a.y + r)} Q${f((a.x + outPos.x) / 2)},${f(midY + 60 + (nodes - j) * 6)} ${f(outPos.x - 4)},${f(outPos.y + r - 2)}" fill="none" stroke="#bbb" stroke-width="1" stroke-dasharray="2,2"/>`,
    );
  }
  const labels: string[] = [];
  for (const e of edges) {
    const op = g.choices[e.label]!;
    if (op === ZERO_OPERATOR) continue;
    const a = p[e.fromIndex]!;
    const b = p[cellInputs + e.toIndex]!;
    const c = color.get(op)!;
    const mark = e.resample === 'down' ? ' ↓2' : e.resample === 'up' ? ' ↑2' : '';
    let d: string;
    let lx: number;
    let ly: number;
    const fromInput = e.fromIndex < cellInputs;
    if (fromInput) {
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const len = Math.hypot(dx, dy);
      const sx = a.x + (dx / len) * r;
      const sy = a.y + (dy / len) * r;
      const ex = b.x - (dx / len) * r;
      const ey = b.y - (dy / len) * r;
      d = `M${f(sx)},${f(sy)} L${f(ex)},${f(ey)}`;
      const t = Math.max(0.2, (dx - 72) / dx);
      lx = a.x + dx * t;
      ly = a.y + dy * t;
    } else if (e.toIndex === e.fromIndex - cellInputs + 1) {
      d = `M${f(a.x + r)},${f(a.y)} L${f(b.x - r)},${f(b.y)}`;
      lx = (a.x + b.x) / 2;
      ly = a.y;
    } else {
      const span = e.toIndex - (e.fromIndex - cellInputs);
      const hgt = 30 + span * 22;
      d = `M${f(a.x)},${f(a.y - r)} C${f(a.x + 20)},${f(a.y - hgt)} ${f(b.x - 20)},${f(b.y - hgt)} ${f(b.x)},${f(b.y - r)}`;
      lx = (a.x + b.x) / 2;
      ly = a.y - hgt * 0.75;
    }
    out.push(
      `<path d="${d}" fill="none" stroke="${c}" stroke-width="2" marker-end="url(#arrow)"><title>${esc(`${e.label}: ${op}`)}</title></path>`,
    );
    labels.push(
      `<text x="${f(lx)}" y="${f(ly + 3)}" font-size="9.5" text-anchor="middle" fill="${c}" stroke="#fff" stroke-width="3" paint-order="stroke">${esc(op + mark)}</text>`,
    );
  }
  out.push(...labels);
  for (let i = 0; i < p.length; i++) {
    const q = p[i]!;
    const name = nodeName(i, cellInputs);
    const isInput = i < cellInputs;
    out.push(
      `<circle cx="${f(q.x)}" cy="${f(q.y)}" r="${r}" fill="${isInput ? '#ffffff' : '#fff8d6'}" stroke="#333"/><text x="${f(q.x)}" y="${f(q.y + 4)}" font-size="11" text-anchor="middle">${esc(name)}</text>`,
    );
  }
  out.push(
    `<rect x="${f(outPos.x - 4)}" y="${f(outPos.y - r)}" width="74" height="${2 * r}" rx="5" fill="#ffffff" stroke="#333"/><text x="${f(outPos.x + 33)}" y="${f(outPos.y - 2)}" font-size="10" text-anchor="middle">concat</text><text x="${f(outPos.x + 33)}" y="${f(outPos.y + 10)}" font-size="9" text-anchor="middle">→ 1×1×1</text>`,
  );
  out.push('</g>');
  return out.join('\n');
}
