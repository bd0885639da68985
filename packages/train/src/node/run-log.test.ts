import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '@voxnas/testing';
import { RunLog } from './run-log.js';

describe('RunLog', () => {
  it('stamps every record with an ISO 8601 time (kept when given) and truncates by step', () =>
    withTempDir(async (dir) => {
      const log = new RunLog(join(dir, 'log.jsonl'));
      const before = Date.now();
      await log.append({ type: 'step', step: 0, loss: 1, stepMs: 12.5 });
      await log.append({ type: 'validation', step: 0, score: 0.5 });
      await log.append({ type: 'step', step: 1, loss: 0.5, time: '2020-01-01T00:00:00.000Z' });
      const after = Date.now();
      const lines = (await readFile(log.path, 'utf8')).trim().split('\n');
      expect(lines[0]!.startsWith('{"time":"')).toBe(true);
      const records = await log.read();
      for (const r of records.slice(0, 2)) {
        const t = Date.parse(r.time as string);
        expect(new Date(t).toISOString()).toBe(r.time);
        expect(t).toBeGreaterThanOrEqual(before);
        expect(t).toBeLessThanOrEqual(after);
      }
      expect(records[0]).toMatchObject({ type: 'step', step: 0, loss: 1, stepMs: 12.5 });
      expect(records[2]!.time).toBe('2020-01-01T00:00:00.000Z');
      await log.truncateFrom(1);
      expect((await log.read()).map((r) => [r.type, r.time])).toEqual([
        ['step', records[0]!.time],
        ['validation', records[1]!.time],
      ]);
    }));
});
