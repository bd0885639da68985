import { voxnasTsup } from '../../tsup.base';

export default voxnasTsup({ entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' } });
