import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from '@voxnas/testing';
import { SlurmError } from './errors.js';
import { jobScript, resourceArgs } from './slurm-executor.js';
import { expandTaskIds, slurmCommand } from './slurm.js';

describe('Slurm plumbing', () => {
  it.each([
    ['3', [3]],
    ['0-2,5', [0, 1, 2, 5]],
    ['[0-1,3]', [0, 1, 3]],
    ['0-9:4', [0, 4, 8]],
    ['0-3%2', [0, 1, 2, 3]],
  ] as const)('task ids %s as squeue prints them', (text, ids) => {
    expect(expandTaskIds(text)).toEqual(ids);
  });

  it('the batch script passes its paths through a real shell unchanged and runs nothing else', async () => {
    await withTempDir(async (dir) => {
      const evil = `it's "a" $(touch PWNED) \`touch PWNED\` ; | & *`;
      const script = join(dir, 'job.sh');
      // "node" here is a program that prints its arguments one per line
      await writeFile(script, jobScript({ node: '/usr/bin/printf', args: ['%s\\n', evil, `${dir}/with space`] }));
      await chmod(script, 0o755);
      const out = execFileSync(script, [`${dir}/manifest $(touch PWNED).json`], { cwd: dir, encoding: 'utf8' });
      expect(out.split('\n').slice(0, -1)).toEqual([evil, `${dir}/with space`, 'experiment', 'exec-job', '--manifest', `${dir}/manifest $(touch PWNED).json`]);
      expect(existsSync(join(dir, 'PWNED'))).toBe(false);
    });
  });

  it('stage resources become sbatch options', () => {
    expect(resourceArgs({ partition: 'gpu', gpus: 2, cpus: 8, mem: '24G', time: '12:00:00', requeue: true, sbatch: ['--account=lab'] })).toEqual([
      '--partition=gpu',
      '--gres=gpu:2',
      '--cpus-per-task=8',
      '--mem=24G',
      '--time=12:00:00',
      '--requeue',
      '--account=lab',
    ]);
    expect(resourceArgs({ gpus: 0, cpus: 1, mem: '4G', time: '1:00:00', requeue: false, sbatch: [] })).toEqual(['--cpus-per-task=1', '--mem=4G', '--time=1:00:00', '--no-requeue']);
  });

  it('a Slurm command that is not installed is a SlurmError naming it', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const err = await slurmCommand('sinfo', ['-h', '-o', '%P']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SlurmError);
      expect((err as Error).message).toBe(
        "sinfo -h -o %P: 'sinfo' is not on PATH — is this a Slurm submit host? (Debian: apt-get install slurm-client; a test cluster: scripts/slurm/cluster.sh start)",
      );
    } finally {
      process.env.PATH = path;
    }
  });

  it.skipIf(spawnSync('sh', ['-c', 'command -v sinfo']).status !== 0)('a cluster that does not answer is a SlurmError naming the command and what it printed', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'etc'));
      // a controller on a port nobody listens on
      await writeFile(join(dir, 'etc', 'slurm.conf'), 'ClusterName=nowhere\nSlurmctldHost=localhost(127.0.0.1)\nSlurmctldPort=1\nAuthType=auth/none\nCredType=cred/none\nNodeName=n1 CPUs=1\nPartitionName=p Nodes=n1\nMessageTimeout=2\n');
      const conf = process.env.SLURM_CONF;
      process.env.SLURM_CONF = join(dir, 'etc', 'slurm.conf');
      try {
        const err = await slurmCommand('sinfo', ['-h', '-o', '%P'], { timeoutS: 30 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SlurmError);
        expect((err as Error).message).toBe('sinfo -h -o %P failed (exit 1): slurm_load_partitions: Unable to contact slurm controller (connect failure)');
      } finally {
        if (conf === undefined) delete process.env.SLURM_CONF;
        else process.env.SLURM_CONF = conf;
      }
    });
  }, 60_000);
});
