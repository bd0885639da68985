import { voxnasTsup } from '../../tsup.base';

// `shims` gives the CJS build an `import.meta.url`, which locates build/Release/voxnas_kernels.node.
export default voxnasTsup({ shims: true });
