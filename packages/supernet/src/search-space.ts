import { SearchSpaceError } from './errors.js';

/**
 * The four searched cell types of Kim et al. (2019). Each type has one structure (one decision per
 * edge) shared by every cell of that type at every level; the inter-cell at the bottom of the U reuses
 * the `encoder-normal` structure.
 */
export type CellType = 'encoder-normal' | 'reduction' | 'decoder-normal' | 'expansion';

/**
 * The cell types in a stable order (encoder-normal, reduction, decoder-normal, expansion).
 *
 * @example
 * for (const cell of CELL_TYPES) console.log(cell, space.candidates[cell]);
 */
export const CELL_TYPES: readonly CellType[] = Object.freeze([
  'encoder-normal',
  'reduction',
  'decoder-normal',
  'expansion',
]);

/**
 * How an edge changes resolution: `none` keeps it, `down` halves every spatial axis (stride 2, edges
 * leaving a reduction cell's inputs) and `up` doubles it (edges leaving an expansion cell's inputs).
 */
export type Resample = 'none' | 'down' | 'up';

/**
 * The structural parameters that, with the per-edge choices, fully determine a child network. They are
 * stored in every genotype.
 */
export interface MacroConfig {
  /** Number of resolutions of the U (≥ 2): `levels − 1` reduction cells; inputs must be multiples of 2^(levels−1). */
  readonly levels: number;
  /** Channels at the finest level; level `l` has `baseChannels · 2^l`. */
  readonly baseChannels: number;
  /** Intermediate nodes per cell. */
  readonly nodes: number;
  /** How many previous cells feed a cell (1 or 2; the paper and DARTS use 2). */
  readonly cellInputs: number;
  /** Channels of the input image (`c` of NDHWC). */
  readonly inputChannels: number;
  /** Output channels of the 1×1×1 head (segmentation classes, background included). */
  readonly classes: number;
}

/** One searched edge of a cell DAG. */
export interface EdgeSpec {
  /** `"<cell type>.<from>-><to>"`, e.g. `"reduction.in1->n0"`. Edges with one label share one decision. */
  readonly label: string;
  readonly cell: CellType;
  /** Source node: `in0` … (cell inputs, oldest first) or `n0` … (intermediate nodes). */
  readonly from: string;
  /** Target intermediate node `n0` … */
  readonly to: string;
  /** Source as an index into [inputs…, nodes…] (inputs first). */
  readonly fromIndex: number;
  /** Target node index (0-based among intermediate nodes). */
  readonly toIndex: number;
  readonly resample: Resample;
  /** Candidate operator names (registry names of `@voxnas/ops`), in α order. */
  readonly candidates: readonly string[];
}

/**
 * A search space as plain data: the macro structure and one candidate list per cell type, expanded into
 * every edge. Built by {@link createSearchSpace}; safe to `JSON.stringify`.
 */
export interface SearchSpace {
  readonly macro: MacroConfig;
  readonly candidates: Readonly<Record<CellType, readonly string[]>>;
  /** Every edge of the four cell types, cell type by cell type, node by node, source by source. */
  readonly edges: readonly EdgeSpec[];
}

/** Options of {@link createSearchSpace}; every field has a documented voxnas default. */
export interface SearchSpaceOptions {
  /** Default 4 (three reductions, inputs a multiple of 8). */
  levels?: number;
  /** Default 16. */
  baseChannels?: number;
  /** Default 3. */
  nodes?: number;
  /** Default 2 (the two previous cells). */
  cellInputs?: number;
  /** Default 1. */
  inputChannels?: number;
  /** Default 2. */
  classes?: number;
  /** Candidate operator names per cell type; missing types get {@link DEFAULT_CANDIDATES}. */
  candidates?: Partial<Record<CellType, readonly string[]>>;
}

/**
 * voxnas's default candidates (the paper does not publish its list): `zero` so connectivity is
 * searched, `identity`, a full 3×3×3 convolution, a pseudo-3D 3×3×1 convolution, a separable and a
 * dilated 3×3×3 convolution. Resizing edges use the same names; the operator is built with stride 2
 * (reduction) or as its upsampling variant (expansion) by the `@voxnas/ops` registry.
 *
 * @example
 * createSearchSpace({ candidates: { reduction: [...DEFAULT_CANDIDATES.reduction, 'max-pool-3x3x3'] } });
 */
export const DEFAULT_CANDIDATES: Readonly<Record<CellType, readonly string[]>> = Object.freeze({
  'encoder-normal': Object.freeze(['zero', 'identity', 'conv-3x3x3', 'p3d-3x3x1', 'sep-conv-3x3x3', 'dil-conv-3x3x3']),
  reduction: Object.freeze(['zero', 'identity', 'conv-3x3x3', 'p3d-3x3x1', 'sep-conv-3x3x3', 'dil-conv-3x3x3']),
  'decoder-normal': Object.freeze(['zero', 'identity', 'conv-3x3x3', 'p3d-3x3x1', 'sep-conv-3x3x3', 'dil-conv-3x3x3']),
  expansion: Object.freeze(['zero', 'identity', 'conv-3x3x3', 'p3d-3x3x1', 'sep-conv-3x3x3', 'dil-conv-3x3x3']),
});

/**
 * The macro defaults of {@link createSearchSpace} (voxnas's own choices; the paper does not publish them).
 *
 * @example
 * DEFAULT_MACRO.levels; // 4
 */
export const DEFAULT_MACRO: MacroConfig = Object.freeze({
  levels: 4,
  baseChannels: 16,
  nodes: 3,
  cellInputs: 2,
  inputChannels: 1,
  classes: 2,
});

/**
 * The operator name that means "no connection". Every candidate list should contain it.
 *
 * @example
 * const edges = Object.values(genotype.choices).filter((op) => op !== ZERO_OPERATOR).length;
 */
export const ZERO_OPERATOR = 'zero';

/**
 * Builds and validates a search space. The result is frozen plain data; the α of the supernet has one
 * vector per edge label, ordered like `edge.candidates`.
 *
 * @throws SearchSpaceError when a structural parameter is out of range or a candidate list is empty,
 *   has duplicates or has no operator other than `zero`.
 * @example
 * const space = createSearchSpace({ levels: 3, baseChannels: 8 });
 * space.edges.length; // 4 cell types × (2 + 3 + 4) edges = 36
 * space.edges[0].label; // 'encoder-normal.in0->n0'
 */
export function createSearchSpace(options: SearchSpaceOptions = {}): SearchSpace {
  const macro = validateMacro({ ...DEFAULT_MACRO, ...stripUndefined(options) }, 'createSearchSpace');
  const candidates = {} as Record<CellType, readonly string[]>;
  for (const cell of CELL_TYPES) {
    const list = options.candidates?.[cell] ?? DEFAULT_CANDIDATES[cell];
    candidates[cell] = Object.freeze(validateCandidates(list, `createSearchSpace: candidates["${cell}"]`));
  }
  for (const key of Object.keys(options.candidates ?? {})) {
    if (!(CELL_TYPES as readonly string[]).includes(key)) {
      throw new SearchSpaceError(
        `createSearchSpace: candidates has unknown cell type "${key}", expected one of ${CELL_TYPES.join(', ')}`,
      );
    }
  }
  return Object.freeze({
    macro,
    candidates: Object.freeze(candidates),
    edges: Object.freeze(cellEdges(macro, candidates)),
  });
}

function stripUndefined(o: SearchSpaceOptions): Partial<MacroConfig> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(DEFAULT_MACRO) as Array<keyof MacroConfig>) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Inclusive integer range of each macro field (internal; shared with genotype validation). */
export const MACRO_LIMITS: Record<keyof MacroConfig, [number, number]> = {
  levels: [2, 7],
  baseChannels: [1, 4096],
  nodes: [1, 8],
  cellInputs: [1, 2],
  inputChannels: [1, 4096],
  classes: [1, 4096],
};

/** Checks every macro field is an integer in range; returns a frozen copy with only the macro fields. */
export function validateMacro(m: MacroConfig, where: string): MacroConfig {
  return macroFrom((key, lo, hi) => {
    const v: unknown = m[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new SearchSpaceError(`${where}: ${key} is ${String(v)}, expected an integer in [${lo}, ${hi}]`);
    }
    return v;
  });
}

/**
 * A frozen MacroConfig with each field from `field(key, lo, hi)` (its limits from {@link MACRO_LIMITS}),
 * read in MACRO_LIMITS order; `field` checks the value and throws its own error.
 */
export function macroFrom(field: (key: keyof MacroConfig, lo: number, hi: number) => number): MacroConfig {
  const f = (key: keyof MacroConfig) => field(key, ...MACRO_LIMITS[key]);
  return Object.freeze({
    levels: f('levels'),
    baseChannels: f('baseChannels'),
    nodes: f('nodes'),
    cellInputs: f('cellInputs'),
    inputChannels: f('inputChannels'),
    classes: f('classes'),
  });
}

function validateCandidates(list: readonly string[], where: string): string[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new SearchSpaceError(`${where}: expected a non-empty array of operator names, got ${JSON.stringify(list)}`);
  }
  const seen = new Set<string>();
  for (const name of list) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new SearchSpaceError(`${where}: expected operator names, got ${JSON.stringify(name)}`);
    }
    if (seen.has(name)) throw new SearchSpaceError(`${where}: "${name}" is listed twice`);
    seen.add(name);
  }
  if (!list.some((n) => n !== ZERO_OPERATOR)) {
    throw new SearchSpaceError(`${where}: has only "${ZERO_OPERATOR}", expected at least one real operator`);
  }
  return list.slice();
}

/**
 * Name of cell source `i` (inputs first, then nodes): `in0`, `in1`, `n0`, …
 *
 * @example
 * nodeName(2, 2); // 'n0'
 */
export function nodeName(index: number, cellInputs: number): string {
  return index < cellInputs ? `in${index}` : `n${index - cellInputs}`;
}

/**
 * The edge label of `from → to` in a cell type.
 *
 * @example
 * edgeLabel('expansion', 'in1', 'n2'); // 'expansion.in1->n2'
 */
export function edgeLabel(cell: CellType, from: string, to: string): string {
  return `${cell}.${from}->${to}`;
}

/**
 * Every edge of the four cell types implied by `macro` (nodes and cell inputs), each with the candidate
 * list of its cell type. Labels depend only on `macro.nodes` and `macro.cellInputs`.
 */
export function cellEdges(macro: MacroConfig, candidates: Readonly<Record<CellType, readonly string[]>>): EdgeSpec[] {
  const edges: EdgeSpec[] = [];
  for (const cell of CELL_TYPES) {
    for (let t = 0; t < macro.nodes; t++) {
      for (let s = 0; s < macro.cellInputs + t; s++) {
        const from = nodeName(s, macro.cellInputs);
        const to = `n${t}`;
        const fromInput = s < macro.cellInputs;
        const resample: Resample =
          fromInput && cell === 'reduction' ? 'down' : fromInput && cell === 'expansion' ? 'up' : 'none';
        edges.push(
          Object.freeze({
            label: edgeLabel(cell, from, to),
            cell,
            from,
            to,
            fromIndex: s,
            toIndex: t,
            resample,
            candidates: candidates[cell],
          }),
        );
      }
    }
  }
  return edges;
}

/**
 * The edges of one cell type, in the order of `space.edges`.
 *
 * @example
 * edgesOf(createSearchSpace(), 'reduction').filter((e) => e.resample === 'down').length; // 6 (2 inputs × 3 nodes)
 */
export function edgesOf(space: Pick<SearchSpace, 'edges'>, cell: CellType): EdgeSpec[] {
  return space.edges.filter((e) => e.cell === cell);
}

/** The role of a cell in the U: the inter-cell is an `encoder-normal` cell at the bottom level. */
export type CellRole = 'encoder' | 'reduction' | 'inter' | 'expansion' | 'decoder';

/** One cell of the macro network (plain data; see {@link macroLayout}). */
export interface CellInstance {
  /** Stable id, used in weight paths: `enc0`, `red1`, `inter3`, `exp2`, `dec2` … */
  readonly id: string;
  readonly type: CellType;
  readonly role: CellRole;
  /** Resolution level of the cell's (pre-processed) inputs; 0 = full resolution. */
  readonly inputLevel: number;
  /** Resolution level of the cell's output. */
  readonly level: number;
  /** Output channels (= channels of every node). */
  readonly channels: number;
  /** Ids of the cells feeding this one (`'stem'` for the stem), oldest first; `cellInputs` of them. */
  readonly inputs: readonly string[];
  /** For expansion cells: the encoder cell whose output is added to this cell's output. */
  readonly skip?: string;
}

/**
 * The macro U-Net as a list of cells in execution order:
 * `stem → enc0 red1 enc1 … red(L−1) inter(L−1) exp(L−2) dec(L−2) … exp0 dec0 → head`.
 * Encoder-normal cells run at levels 0…L−2, each followed by a reduction cell; the inter-cell (the
 * encoder-normal structure) runs at the bottom level L−1; each expansion cell's output is **added** to
 * the encoder output of its level before the decoder-normal cell. A cell's inputs are the `cellInputs`
 * previous entries of this list (the stem repeats at the start).
 *
 * @example
 * macroLayout({ ...DEFAULT_MACRO, levels: 2 }).map((c) => c.id); // ['enc0', 'red1', 'inter1', 'exp0', 'dec0']
 */
export function macroLayout(macro: MacroConfig): CellInstance[] {
  const L = macro.levels;
  const ch = (l: number) => macro.baseChannels * 2 ** l;
  const out: CellInstance[] = [];
  // outputs[k] is the id whose tensor is the k-th "previous cell" output (stem first).
  const history: string[] = ['stem'];
  const push = (c: Omit<CellInstance, 'inputs'>) => {
    const inputs: string[] = [];
    for (let i = macro.cellInputs; i >= 1; i--) inputs.push(history[Math.max(0, history.length - i)]!);
    out.push(Object.freeze({ ...c, inputs: Object.freeze(inputs) }));
    history.push(c.id);
  };
  for (let l = 0; l < L - 1; l++) {
    push({ id: `enc${l}`, type: 'encoder-normal', role: 'encoder', inputLevel: l, level: l, channels: ch(l) });
    push({ id: `red${l + 1}`, type: 'reduction', role: 'reduction', inputLevel: l, level: l + 1, channels: ch(l + 1) });
  }
  push({ id: `inter${L - 1}`, type: 'encoder-normal', role: 'inter', inputLevel: L - 1, level: L - 1, channels: ch(L - 1) });
  for (let l = L - 2; l >= 0; l--) {
    push({
      id: `exp${l}`,
      type: 'expansion',
      role: 'expansion',
      inputLevel: l + 1,
      level: l,
      channels: ch(l),
      skip: `enc${l}`,
    });
    push({ id: `dec${l}`, type: 'decoder-normal', role: 'decoder', inputLevel: l, level: l, channels: ch(l) });
  }
  return out;
}

/**
 * The size rule: every spatial dimension of the input must be a positive multiple of this
 * (2^(levels−1)), so each reduction halves it exactly and each expansion restores it.
 *
 * @example
 * spatialMultiple({ levels: 4 }); // 8
 */
export function spatialMultiple(macro: Pick<MacroConfig, 'levels'>): number {
  return 2 ** (macro.levels - 1);
}
