/**
 * Consumer tests of the built package (dist/): a CommonJS `require` and an ESM `import` in child node
 * processes. `pnpm test` at the root builds first; run `pnpm build` in this package before running this
 * file alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { haveReferences, withTempDir } from '@voxnas/testing';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const AAL = '/usr/share/mricron/templates/aal.nii.gz';

const body = (dir: string) => `
  const vol = v.createVolume({ data: Int16Array.from({ length: 3 * 4 * 5 }, (_, i) => i - 30), shape: [3, 4, 5], affine: [2, 0, 0, 1, 0, 3, 0, 2, 0, 0, 4, 3, 0, 0, 0, 1], kind: 'label' });
  const file = ${JSON.stringify(dir)} + '/x.nii.gz';
  await n.writeNifti(vol, file);
  const back = await n.readNifti(file);
  const aal = await n.readNifti(${JSON.stringify(AAL)});
  let err = '';
  try { v.decodeNifti(new Uint8Array(10)); } catch (e) { err = e.name + ':' + (e instanceof v.NiftiFormatError) + ':' + (e instanceof c.VoxnasError); }
  console.log(JSON.stringify({ same: Array.from(back.data).join() === Array.from(vol.data).join(), kind: back.kind, dtype: back.dtype, aal: aal.shape, err }));
`;

const expected = {
  same: true,
  kind: 'label',
  dtype: 'int16',
  aal: [181, 217, 181],
  err: 'NiftiFormatError:true:true',
};

describe.runIf(haveReferences('mricron-data'))('built package consumers', () => {
  it('dist exists (build before testing)', () => {
    expect(
      ['index.cjs', 'index.js', 'node/index.cjs', 'node/index.js'].every((f) => existsSync(`${dist}${f}`)),
      'run `pnpm build` in packages/volume',
    ).toBe(true);
  });

  it('CommonJS: require(dist/index.cjs + dist/node/index.cjs) reads and writes NIfTI', async () => {
    await withTempDir(async (dir) => {
      const script = `const v = require(${JSON.stringify(`${dist}index.cjs`)}); const n = require(${JSON.stringify(`${dist}node/index.cjs`)}); const c = require(require.resolve('@voxnas/core', { paths: [${JSON.stringify(dist)}] })); (async () => {${body(dir)}})().catch((e) => { console.error(e); process.exit(1); });`;
      const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: dir });
      expect(JSON.parse(out)).toEqual(expected);
    });
  });

  it('ESM: import(dist/index.js + dist/node/index.js) reads and writes NIfTI', async () => {
    await withTempDir(async (dir) => {
      const script = `import { createRequire } from 'node:module'; const v = await import(${JSON.stringify(`${dist}index.js`)}); const n = await import(${JSON.stringify(`${dist}node/index.js`)}); const c = await import(createRequire(${JSON.stringify(dist)}).resolve('@voxnas/core').replace(/index\\.cjs$/, 'index.js'));${body(dir)}`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        cwd: dir,
      });
      expect(JSON.parse(out)).toEqual(expected);
    });
  });
});
