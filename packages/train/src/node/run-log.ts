import { appendFile, readFile } from 'node:fs/promises';
import type { JsonValue } from '@voxnas/core';
import { atomicWrite } from '@voxnas/core/node';

/**
 * An append-only JSON-lines log (`log.jsonl` of a run directory): one JSON object per line. Every
 * record gets `time` (ISO 8601, when it was appended) unless it has one; step records carry the step's
 * wall time as `stepMs` (the trainers measure it), so throughput can be read from any run.
 *
 * @example
 * const log = new RunLog('runs/a/log.jsonl');
 * await log.append({ type: 'step', step: 0, loss: 0.9, stepMs: 812 });
 * // {"time":"2026-01-05T10:00:00.000Z","type":"step","step":0,"loss":0.9,"stepMs":812}
 */
export class RunLog {
  constructor(readonly path: string) {}

  /** Appends one record as a line, stamped with `time` (ISO 8601) unless it has one. */
  async append(record: { readonly [key: string]: JsonValue }): Promise<void> {
    const stamped = typeof record.time === 'string' ? record : { time: new Date().toISOString(), ...record };
    await appendFile(this.path, `${JSON.stringify(stamped)}\n`);
  }

  /** Every record (a torn last line from a crash is ignored). */
  async read(): Promise<Array<Record<string, JsonValue>>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return [];
    }
    const out: Array<Record<string, JsonValue>> = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line) as Record<string, JsonValue>);
      } catch {
        // a line cut by a crash
      }
    }
    return out;
  }

  /**
   * Drops records whose `step` is ≥ `step` (written after the checkpoint a run resumes from), so a
   * resumed run's log reads as if it had never stopped. Rewrites the file atomically.
   */
  async truncateFrom(step: number): Promise<void> {
    const kept = (await this.read()).filter((r) => !(typeof r.step === 'number' && r.step >= step));
    await atomicWrite(this.path, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }
}
