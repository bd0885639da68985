// Reading finished experiment reports, shared by the analysis scripts of this folder
// (search-steps.mjs, in-plane.mjs).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;

/** The fields of one CSV line (RFC 4180: a field in double quotes may hold commas and doubled quotes). */
export function csvFields(line) {
  const out = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i += 1;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          v += '"';
          i += 2;
        } else if (line[i] === '"') break;
        else v += line[i++];
      }
      out.push(v);
      i += 2; // closing quote and comma
    } else {
      const end = line.indexOf(',', i);
      out.push(line.slice(i, end < 0 ? line.length : end));
      i = end < 0 ? line.length + 1 : end + 1;
    }
  }
  return out;
}

/** Mean Dice over the classes defined in a case (present in its reference or prediction) per (arm, genotype, seed, case; and the case's outer fold) of one task, from a report's per-case.csv. */
export async function perCaseMeans(expDir, task) {
  const file = join(expDir, 'report', 'per-case.csv');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new Error(`${file} not found: run the study and 'voxnas experiment report ${expDir}' first`);
  });
  const [header, ...lines] = text.trim().split('\n');
  const col = Object.fromEntries(csvFields(header).map((name, i) => [name, i]));
  const sums = new Map();
  for (const line of lines) {
    const f = csvFields(line);
    // an empty Dice: the class is in neither the reference nor the prediction of this case (undefined, as in nnU-Net)
    if (f[col.task] !== task || f[col.dice] === '') continue;
    const key = [f[col.arm], f[col.genotype], f[col.seed], f[col.case], f[col.fold]].join('\t');
    const s = sums.get(key) ?? { sum: 0, n: 0 };
    s.sum += Number(f[col.dice]);
    s.n += 1;
    sums.set(key, s);
  }
  if (sums.size === 0) throw new Error(`${file} has no rows of task '${task}'`);
  return [...sums].map(([key, s]) => {
    const [arm, genotype, seed, kase, fold] = key.split('\t');
    return { arm, genotype, seed, case: kase, fold: Number(fold), dice: s.sum / s.n };
  });
}

/** case → mean Dice over the rows given (seeds, and genotypes for a random arm). */
export function byCase(rows) {
  const m = new Map();
  for (const r of rows) m.set(r.case, [...(m.get(r.case) ?? []), r.dice]);
  return new Map([...m].map(([k, v]) => [k, mean(v)]));
}
