import { voxnasTsup } from '../../tsup.base';

export default voxnasTsup({ entry: ['src/index.ts', 'src/bin.ts'] });
