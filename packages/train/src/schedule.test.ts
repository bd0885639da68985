import { runPythonReference } from '@voxnas/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainConfigError } from './errors.js';
import { learningRateAt, type Schedule } from './schedule.js';

// PyTorch's schedulers are the reference: PolynomialLR and CosineAnnealingLR, stepped one by one.
const TORCH_SCHEDULES = `
import json, sys, torch
def run(cfg):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=cfg['lr'])
    if cfg['kind'] == 'poly':
        sch = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=cfg['totalSteps'], power=cfg['power'])
    else:
        sch = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg['totalSteps'], eta_min=cfg['minLr'])
    out = []
    for _ in range(cfg['steps']):
        out.append(opt.param_groups[0]['lr'])
        opt.step(); sch.step()
    return out
print(json.dumps([run(c) for c in json.load(sys.stdin)]))
`;

describe('learningRateAt', () => {
  const CASES = [
    { kind: 'poly', lr: 0.01, totalSteps: 37, power: 0.9 },
    { kind: 'poly', lr: 0.3, totalSteps: 11, power: 2 },
    { kind: 'cosine', lr: 0.002, totalSteps: 29, minLr: 1e-5 },
  ] as const;
  // Up to totalSteps: past it PyTorch's cosine rises again, ours stays at minLr.
  let refs: number[][] = [];
  beforeAll(() => {
    refs = runPythonReference<number[][]>(TORCH_SCHEDULES, CASES.map((s) => ({ minLr: 0, power: 1, ...s, steps: s.totalSteps + 1 })));
  });

  it.each(CASES.map((c, i) => [c, i] as const))('matches PyTorch for %o', (s, i) => {
    const ref = refs[i]!;
    for (let k = 0; k < ref.length; k++) {
      expect(Math.abs(learningRateAt(s as Schedule, k) - ref[k]!)).toBeLessThanOrEqual(1e-12 + 1e-9 * ref[k]!);
    }
  });

  it('warms up linearly and then decays from the peak', () => {
    const s: Schedule = { kind: 'cosine', lr: 1, totalSteps: 14, warmupSteps: 4 };
    const lrs = Array.from({ length: 16 }, (_, i) => learningRateAt(s, i));
    expect(lrs.slice(0, 5)).toEqual([0.25, 0.5, 0.75, 1, 1]);
    expect(lrs[9]).toBeCloseTo(0.5, 12); // halfway through the 10 decay steps
    expect(lrs.slice(14)).toEqual([0, 0]);
    expect(learningRateAt({ kind: 'constant', lr: 0.1, warmupSteps: 2 }, 0)).toBe(0.05);
  });

  it.each([
    [{ kind: 'poly', lr: 0.1, totalSteps: 5, warmupSteps: 5 }, 0],
    [{ kind: 'step', lr: 0.1 }, 0],
    [{ kind: 'constant', lr: -1 }, 0],
    [{ kind: 'constant', lr: 1 }, 1.5],
  ])('rejects %o at step %d', (s, step) => {
    expect(() => learningRateAt(s as Schedule, step)).toThrow(TrainConfigError);
  });

  it('names the field in its message', () => {
    expect(() => learningRateAt({ kind: 'poly', lr: 0.1, totalSteps: 5, warmupSteps: 5 }, 0)).toThrowErrorMatchingInlineSnapshot(`[TrainConfigError: schedule.totalSteps is 5, expected an integer > warmupSteps (5)]`);
  });
});
