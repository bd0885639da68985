/**
 * tfjs-core alone registers no gradients; the `@tensorflow/tfjs` union package does. `#tfjs-gradients`
 * (package.json "imports") maps to `@tensorflow/tfjs` under Node (whose CJS bundle registers every
 * gradient on the shared tfjs-core engine) and to tfjs-core's ESM `register_all_gradients` elsewhere
 * (bundlers, browsers). Imported for its side effect by every file that differentiates.
 */
import '#tfjs-gradients';
