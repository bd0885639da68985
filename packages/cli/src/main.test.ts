import { describe, expect, it } from 'vitest';
import { writeNifti } from '@voxnas/volume/node';
import { createVolume } from '@voxnas/volume';
import { withTempDir } from '@voxnas/testing';
import { join } from 'node:path';
import { main } from './main.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

describe('voxnas main', () => {
  it('prints help and exits 2 with no command', async () => {
    const c = capture();
    expect(await main([], c.io)).toBe(2);
    expect(c.out.join('\n')).toContain('usage: voxnas <command>');
  });

  it('unknown command exits 2 naming the known ones', async () => {
    const c = capture();
    expect(await main(['serch'], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/unknown command 'serch'\. Commands: .*doctor.*info/);
  });

  it('unknown flag is a usage error (exit 2)', async () => {
    const c = capture();
    expect(await main(['info', '--bogus', 'x'], c.io)).toBe(2);
    expect(c.err.join('\n')).toContain("voxnas info: Unknown option '--bogus'");
  });

  it('info reads a volume and reports its geometry', async () => {
    await withTempDir(async (dir) => {
      const data = new Int16Array(5 * 6 * 7).map((_, i) => i % 11);
      const affine = [2, 0, 0, -10, 0, 1.5, 0, 4, 0, 0, 3, 7, 0, 0, 0, 1];
      const path = join(dir, 'v.nii.gz');
      await writeNifti(createVolume({ data, shape: [5, 6, 7], affine }), path);
      const c = capture();
      expect(await main(['info', path, '--json'], c.io)).toBe(0);
      const r = JSON.parse(c.out[0]!);
      expect(r).toMatchObject({ kind: 'volume', shape: [5, 6, 7], dtype: 'int16', spacingMm: [2, 1.5, 3], min: 0, max: 10 });
      expect(r.affine[0]).toEqual([2, 0, 0, -10]);
    });
  });

  it('info on a corrupt file exits 1 with the typed error', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'bad.nii');
      await (await import('node:fs/promises')).writeFile(path, new Uint8Array(100));
      const c = capture();
      expect(await main(['info', path], c.io)).toBe(1);
      expect(c.err.join('\n')).toMatch(/^voxnas info: NiftiFormatError \[E_NIFTI_FORMAT\]: /);
    });
  });

  it('doctor reports the cpu backend and versions', async () => {
    const c = capture();
    expect(await main(['doctor', '--json'], c.io)).toBe(0);
    const r = JSON.parse(c.out[0]!);
    expect(r.backend).toBe('cpu');
    expect(r.packages['@voxnas/volume']).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.cores).toBeGreaterThan(0);
  });
});
