import { voxnasTsup } from '../../tsup.base';

// '@voxnas/ops' stays external so the node and testing entries share the main entry's registry and error classes.
export default voxnasTsup({
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts', 'testing/index': 'src/testing/index.ts' },
  external: ['@voxnas/ops', '#tfjs-gradients'],
});
