// Writes the atlas task used by the transfer example as an MSD dataset and prints its report (JSON):
// Colin27 T1 + AAL deep grey structures from Debian's mricron-data, one case per hemisphere.
// Usage: node --import tsx --conditions=@voxnas/source build-task.ts <out-dir> [human|macaque]
import { buildAtlasTask, HUMAN_DEEP_GREY, MACAQUE_BASAL_GANGLIA } from '@voxnas/datasets';

const [outDir, which = 'human'] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: build-task.ts <out-dir> [human|macaque]');
  process.exit(2);
}
const spec = which === 'macaque' ? MACAQUE_BASAL_GANGLIA : HUMAN_DEEP_GREY;
const report = await buildAtlasTask({ spec, outDir });
console.log(JSON.stringify(report));
