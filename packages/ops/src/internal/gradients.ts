/**
 * tfjs-core alone registers no gradients. `#tfjs-gradients` (package.json "imports") resolves to
 * `gradients/index.{js,cjs}` of this package: tfjs-core's own `register_all_gradients` bundled at
 * build time (tsup.gradients.ts; `prepare` builds it on a fresh clone), because tfjs-core's ESM files
 * use extension-less imports that plain Node cannot load. The bundle registers on the engine and
 * gradient registry of the installed `@tensorflow/tfjs-core` (tfjs keeps both on its global
 * namespace), so the `@tensorflow/tfjs` umbrella (layers, converter, data, webgl) is not needed.
 * Browsers and bundlers (`browser` condition) get tfjs-core's ESM file directly. Every gradient
 * tfjs-core ships is registered, not a subset: custom operators (plugins) may use any tfjs op.
 * Imported for its side effect by every file that differentiates; `@voxnas/train` reaches the same
 * bundle through the `@voxnas/ops/gradients` export.
 */
import '#tfjs-gradients';
