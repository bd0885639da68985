/**
 * First facts: tfjs 4.22's webgpu backend (SwiftShader) against cpu in one page, same seeded
 * inputs. Each row lands in `artifacts/facts-ops.jsonl`; `node scripts/facts-table.mjs` prints the table.
 * Known failures are asserted to still be there, so a fixed tfjs release shows up as a failing test.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import {
  compareBackends,
  normalArray,
  record,
  resetRecord,
  runOn,
  takePageEvents,
  tf,
  useBackend,
  type BrowserBackend,
} from '../page/index.js';
import { ADJOINT_CASES, OP_CASES, type KnownFailure } from './cases.js';

/** Above this (max |webgpu − cpu| / max |cpu|) a result counts as different. */
const TOLERANCE = 1e-4;

beforeAll(async () => {
  await resetRecord('facts-ops');
});

/**
 * Takes the page events of a known webgpu failure: the expected message must be among them, nothing
 * else may be. WebGPU validation messages come from the GPU process, so wait a little for stragglers.
 */
async function expectWebGpuMessage(known: KnownFailure): Promise<void> {
  const errors: string[] = [];
  const foreign: string[] = [];
  for (let i = 0; i < 10; i++) {
    const ev = await takePageEvents();
    errors.push(...ev.consoleErrors);
    foreign.push(...ev.foreignRequests);
    if (!known.webgpuMessage || errors.some((m) => known.webgpuMessage!.test(m))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 100));
  const late = await takePageEvents();
  errors.push(...late.consoleErrors);
  foreign.push(...late.foreignRequests);
  expect(foreign).toEqual([]);
  if (known.webgpuMessage)
    expect(
      errors.some((m) => known.webgpuMessage!.test(m)),
      errors.join('\n'),
    ).toBe(true);
  expect(
    errors.filter((m) => !m.startsWith('webgpu: ')),
    'only WebGPU validation messages',
  ).toEqual([]);
}

describe('webgpu vs cpu', () => {
  for (const c of OP_CASES) {
    test(c.name, async () => {
      const r = await compareBackends(c.inputs, c.fn, { backend: 'webgpu', reference: 'cpu' });
      const row = { name: c.name, outputs: c.outputs, relDiffs: r.relDiffs, maxAbs: r.maxAbs };
      if (!c.known) {
        await record('facts-ops', { ...row, status: r.worst < TOLERANCE ? 'match' : 'DIFFERENT' });
        expect(r.worst).toBeLessThan(TOLERANCE);
        return;
      }
      await record('facts-ops', { ...row, status: 'known failure', note: c.known.note });
      expect(r.worst).toBeGreaterThan(1e-2);
      await expectWebGpuMessage(c.known);
    });
  }
});

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Number(a[i]) * Number(b[i]);
  return s;
}

describe('resize gradients by the adjoint identity <f(x), dy> = <x, dx>', () => {
  for (const c of ADJOINT_CASES) {
    test(c.name, async () => {
      const result: Record<BrowserBackend, string> = { webgpu: '', cpu: '' };
      const rel: Record<BrowserBackend, number | null> = { webgpu: null, cpu: null };
      for (const backend of ['cpu', 'webgpu'] as const) {
        try {
          const [y] = await runOn(backend, [c.x], (t) => c.f(t!));
          const [dx] = await runOn(backend, [c.x, c.dy], (t, g) => tf.grad(c.f)(t!, g));
          const lhs = dot(y!, c.dy.values);
          const rhs = dot(c.x.values, dx!);
          rel[backend] = Math.abs(lhs - rhs) / Math.max(Math.abs(lhs), Math.abs(rhs));
          result[backend] = rel[backend]! < TOLERANCE ? 'ok' : 'wrong';
        } catch (e) {
          result[backend] = 'throws';
          rel[backend] = null;
          console.log(`${backend}: ${String(e).slice(0, 200)}`);
        }
      }
      await record('facts-ops', {
        name: c.name,
        adjoint: true,
        relAdjoint: rel,
        result,
        status: result.webgpu === 'ok' && result.cpu === 'ok' ? 'match' : 'known failure',
      });
      expect(result).toEqual(c.expected);
    });
  }
});

describe('what tfjs 4.22 does not offer (throws on both backends)', () => {
  const x = () => tf.tensor5d(normalArray(2 * 5 * 6 * 7 * 3, 71), [2, 5, 6, 7, 3]);
  const missing: { name: string; message: RegExp; fn: () => unknown }[] = [
    {
      name: 'gradient of conv3d with dilation 2',
      message: /dilation/i,
      fn: () => {
        const w = tf.ones([3, 3, 3, 3, 4]) as tf.Tensor5D;
        return tf.grad((t: tf.Tensor) => tf.conv3d(t as tf.Tensor5D, w, 1, 'same', 'NDHWC', [2, 2, 2]))(x());
      },
    },
    {
      name: 'gradient of conv3dTranspose',
      message: /gradient/i,
      fn: () => {
        const w = tf.ones([3, 3, 3, 2, 3]) as tf.Tensor5D;
        return tf.grad((t: tf.Tensor) =>
          tf.conv3dTranspose(t as tf.Tensor5D, w, [2, 10, 12, 14, 2], 2, 'same'),
        )(x());
      },
    },
    {
      name: 'tile on rank 8 with its gradient (nearest 3-D upsampling by reshape + tile)',
      message: /rank-8|rank 8|not implemented/i,
      fn: () =>
        tf.grad((t: tf.Tensor) => tf.tile(tf.reshape(t, [2, 5, 1, 6, 1, 7, 1, 3]), [1, 1, 2, 1, 2, 1, 2, 1]))(
          x(),
        ),
    },
  ];
  for (const backend of ['cpu', 'webgpu'] as const) {
    for (const m of missing) {
      test(`${backend}: ${m.name}`, async () => {
        await useBackend(backend);
        expect(() => tf.tidy(() => m.fn() as tf.Tensor)).toThrow(m.message);
      });
    }
  }
  test('webgpu: rank-8 broadcasting (nearest 3-D upsampling by reshape + broadcast multiply)', async () => {
    await useBackend('webgpu');
    const f = () =>
      tf.tidy(() =>
        tf.mul(tf.reshape(x(), [2, 5, 1, 6, 1, 7, 1, 3]), tf.ones([1, 1, 2, 1, 2, 1, 2, 1])).dataSync(),
      );
    expect(f).toThrow(/rank 8 is not yet supported/);
  });
});
