import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients itself; see internal/gradients.ts.
import '#tfjs-gradients';

/** One node of tfjs's gradient tape, as the engine records it (tfjs-core's `TapeNode`). */
interface TapeNode {
  readonly kernelName: string;
  readonly inputs: Record<string, tf.Tensor>;
  readonly outputs: tf.Tensor[];
  readonly saved?: tf.Tensor[];
  gradient?: (dys: Array<tf.Tensor | null>) => Record<string, () => tf.Tensor>;
}

/** The engine's counter of tensor ids (a static of tfjs-core's `Engine`); undefined if tfjs changes it. */
function nextTensorId(): number | undefined {
  const counter = (tf.engine().constructor as { nextTensorId?: unknown }).nextTensorId;
  return typeof counter === 'number' ? counter : undefined;
}

/**
 * Wraps the gradient function of every node of a freshly recorded top-level tape so that, once the
 * backward pass has run a node, the node's saved forward tensors and the gradients of its outputs are
 * disposed — what PyTorch's autograd does when it frees a node's buffers. tfjs's `backpropagateGradients`
 * keeps both until the whole backward pass ends, so a training step holds every saved activation and
 * every activation's gradient at once.
 *
 * tfjs also keeps every input gradient it adds into an earlier one (fan-out: skip connections, a
 * variable read twice); those are released too. A node is released when the next node's gradient
 * runs (all of its input gradients are computed and added by then); the last one is left to tfjs.
 * Kept: gradients of `xs` (the tensors the caller wants gradients of), and any tensor a gradient
 * function returns that it did not create itself (a pass-through `dy`, a saved tensor, a forward
 * tensor), which may sit in more than one accumulator slot. Without tfjs's tensor-id counter only saved tensors and zero-filled gradients are
 * released.
 */
function releaseEarly(tape: TapeNode[], xs: readonly tf.Tensor[]): void {
  const wanted = new Set(xs.map((x) => x.id));
  const foreign = new Set<tf.Tensor>(); // returned by a gradient function that did not make them
  const reached = new Set<number>(); // ids of tensors that already received a gradient
  let pending: tf.Tensor[] = [];
  const release = (): void => {
    for (const t of pending) if (!foreign.has(t)) t.dispose();
    pending = [];
  };
  const counting = nextTensorId() !== undefined;
  for (const node of tape) {
    const gradient = node.gradient;
    if (gradient === undefined) continue;
    node.gradient = (dys) => {
      release();
      const start = nextTensorId() ?? 0;
      // tfjs fills a missing output gradient with zeros inside the node's gradient; made here instead,
      // they are released with the node.
      const filled = dys.map((dy, i) => dy ?? tf.zeros(node.outputs[i]!.shape, node.outputs[i]!.dtype));
      const thunks = gradient(filled);
      // Released once this node is done: its saved tensors, its outputs' gradients (unless asked for),
      // and the input gradients tfjs adds into an existing one (it disposes only the old sum).
      pending.push(...(node.saved ?? []));
      filled.forEach((dy, i) => {
        if ((counting || dys[i] === null) && !wanted.has(node.outputs[i]!.id)) pending.push(dy);
      });
      const returned = new Set<tf.Tensor>();
      const wrapped: Record<string, () => tf.Tensor> = {};
      for (const name of Object.keys(thunks)) {
        wrapped[name] = () => {
          const dx = thunks[name]!();
          // Made by this node's gradient (in the call or in the thunk) and handed out once: owned by
          // the accumulator slot of its input. Anything else may sit in several places.
          if (!counting || dx.id < start || filled.includes(dx) || returned.has(dx)) {
            foreign.add(dx);
          } else {
            const x = node.inputs[name];
            if (x !== undefined) {
              if (reached.has(x.id)) pending.push(dx);
              reached.add(x.id);
            }
          }
          returned.add(dx);
          return dx;
        };
      }
      return wrapped;
    };
  }
}

/**
 * `f` wrapped as the forward function of a gradient computation with respect to `xs`: when it runs
 * under a fresh top-level tape (not inside another gradient computation, where the tape must stay
 * whole for higher-order gradients), it marks the tape for early release.
 */
function withEarlyRelease<T extends tf.Tensor>(f: () => T, xs: readonly tf.Tensor[]): () => T {
  return () => {
    // A gradient computed inside `f` (a gradient penalty) records its backward kernels on this tape
    // for a higher-order gradient; such a tape is left whole. tfjs opens a tape for every gradient.
    const engine = tf.engine() as unknown as { startTape: () => void; state: ReturnType<typeof tf.engine>['state'] };
    const startTape = engine.startTape;
    let nested = false;
    engine.startTape = function (this: unknown) {
      nested = true;
      startTape.call(this);
    };
    let y: T;
    try {
      y = f();
    } finally {
      engine.startTape = startTape;
    }
    const tape = engine.state.activeTape as unknown as TapeNode[] | null;
    if (!nested && engine.state.gradientDepth === 1 && tape !== null) releaseEarly(tape, xs);
    return y;
  };
}

/**
 * `tf.variableGrads` with PyTorch's memory behaviour: the backward pass disposes each recorded
 * operation's saved forward tensors and the gradients of its outputs as soon as it has run that
 * operation, instead of holding all of them until the step ends. Same gradients, bit for bit (the same
 * kernels run in the same order); a lower peak — about the forward activations plus the gradients in
 * flight rather than both in full. Returns the loss and the gradients of the trainable variables of
 * `varList` (all trainable variables when omitted) that the loss reaches, by variable name, like
 * `tf.variableGrads`; the caller disposes them.
 *
 * @example
 * const { value, grads } = variableGrads(() => loss(net.apply(x), y), net.trainableVariables());
 * optimizer.applyGradients(grads);
 * tf.dispose([value, ...Object.values(grads)]);
 */
export function variableGrads(f: () => tf.Scalar, varList?: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const vars = varList ?? Object.values(tf.engine().registeredVariables);
  return tf.variableGrads(withEarlyRelease(f, vars), varList);
}
