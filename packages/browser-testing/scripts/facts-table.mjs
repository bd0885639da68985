#!/usr/bin/env node
// Prints the facts the last browser run recorded (artifacts/facts-*.jsonl) as Markdown tables.
import { existsSync, readFileSync } from 'node:fs';

const dir = new URL('../artifacts/', import.meta.url);
const read = (name) => {
  const f = new URL(`${name}.jsonl`, dir);
  return existsSync(f)
    ? readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
};
const e = (v) => (v === null || v === undefined ? '—' : v === 0 ? '0' : v.toExponential(1));

const ops = read('facts-ops');
console.log('| operation (webgpu vs cpu, same page) | max abs diff / max abs value | status |');
console.log('| --- | --- | --- |');
for (const r of ops.filter((r) => !r.adjoint)) {
  const diffs = r.outputs.map((o, i) => `${o} ${e(r.relDiffs[i])}`).join(', ');
  console.log(`| ${r.name} | ${diffs} | ${r.status}${r.note ? `: ${r.note}` : ''} |`);
}
console.log('\n| gradient checked by <f(x), dy> = <x, dx> | webgpu | cpu |');
console.log('| --- | --- | --- |');
for (const r of ops.filter((r) => r.adjoint)) {
  const cell = (b) =>
    r.result[b] === 'throws'
      ? '**throws**'
      : `${r.result[b] === 'ok' ? 'ok' : '**wrong**'} (${e(r.relAdjoint[b])})`;
  console.log(`| ${r.name} | ${cell('webgpu')} | ${cell('cpu')} |`);
}
const timing = read('facts-timing');
if (timing.length) {
  console.log('\n```json');
  for (const r of timing)
    console.log(JSON.stringify(r, (_k, v) => (typeof v === 'number' ? Number(v.toPrecision(3)) : v)));
  console.log('```');
}
