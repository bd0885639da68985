import { voxnasTsup } from '../../tsup.base';

// '@voxnas/train' stays external so the node entry shares the main entry's classes.
export default voxnasTsup({
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  external: ['@voxnas/train', '#tfjs-gradients'],
});
