import { voxnasTsup } from '../../tsup.base';

export default voxnasTsup({ entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' } });
