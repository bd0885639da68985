// Entry of the gradients bundle (tsup.gradients.ts): tfjs-core's registration of every gradient it
// ships. Never imported from source; `#tfjs-gradients` resolves to the built gradients/index.{js,cjs}.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
