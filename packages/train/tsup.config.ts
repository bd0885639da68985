import { voxnasTsup } from '../../tsup.base';

// `#tfjs-gradients` is this package's own import map (package.json "imports"): keep it a runtime
// import so Node resolves it to @tensorflow/tfjs and bundlers to tfjs-core's register_all_gradients.
export default voxnasTsup({ external: ['#tfjs-gradients'] });
