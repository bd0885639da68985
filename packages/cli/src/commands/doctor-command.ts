import { defineCommand } from '../command.js';
import { doctor, formatDoctor } from './doctor.js';

/** `voxnas doctor` (its checks are in doctor.ts). */
export const doctorCommand = defineCommand({
  name: 'doctor',
  summary: 'report backend, native kernels, threads and versions',
  usage: '[--json]',
  flags: { json: { type: 'boolean', description: 'print the report as JSON' } },
  async run({ flags, io }) {
    const r = await doctor();
    io.out(flags.json ? JSON.stringify(r, null, 2) : formatDoctor(r));
    return 0;
  },
});
