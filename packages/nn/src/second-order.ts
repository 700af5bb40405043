import * as tf from '@tensorflow/tfjs-core';

/**
 * Gradients of gradients through tanh, sigmoid, exp, elu and softmax.
 *
 * tfjs computes these ops' gradients from their saved output y (1 - y^2 for tanh, say). It
 * saves a tensor as a copy whose tape entry comes before the op's own entry, so an outer
 * gradient, walking the tape forward from its inputs, never finds the copy of an output to
 * depend on them: differentiating such a gradient again loses every term through y (tested on
 * tfjs 4.22: second-order MAML through a tanh MLP is off by tens of percent). Saved inputs do not
 * have the problem. The gradients registered here also save the input; while a gradient is
 * itself being recorded (inside an outer gradient) they recompute y from it, so the terms
 * through y are kept, and otherwise they run tfjs's own gradient on the saved output, so
 * first-order gradients are the same numbers as before.
 */

interface GradConfig {
  kernelName: string;
  inputsToSave?: string[];
  outputsToSave?: boolean[];
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => Record<string, () => tf.Tensor>;
}

/** Is a tape recording right now, i.e. is this gradient inside another gradient's forward pass? */
function recordingGradients(): boolean {
  return (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
}

/**
 * For each kernel, the input the op reads and its gradient from that input with differentiable
 * ops: y recomputed as a new op (whose output, unlike a saved copy, the tape links to x) and fed
 * to tfjs's own gradient, or for elu (whose tfjs gradient is a kernel without a gradient of its
 * own) the derivative written out, 1 for x > 0 and exp(x) otherwise.
 */
const NESTED: Record<string, { input: string; gradient: (original: GradConfig, dy: tf.Tensor, x: tf.Tensor, attrs: tf.NamedAttrMap) => tf.Tensor }> = {
  Tanh: { input: 'x', gradient: (original, dy, x, attrs) => original.gradFunc(dy, [tf.tanh(x)], attrs).x!() },
  Sigmoid: { input: 'x', gradient: (original, dy, x, attrs) => original.gradFunc(dy, [tf.sigmoid(x)], attrs).x!() },
  Exp: { input: 'x', gradient: (original, dy, x, attrs) => original.gradFunc(dy, [tf.exp(x)], attrs).x!() },
  Softmax: { input: 'logits', gradient: (original, dy, x, attrs) => original.gradFunc(dy, [tf.softmax(x, attrs.dim as number)], attrs).logits!() },
  // step(x) (1 for x > 0, else 0) has a zero gradient; a comparison op has none in tfjs.
  Elu: { input: 'x', gradient: (_, dy, x) => { const positive = tf.step(x); return tf.mul(dy, tf.add(positive, tf.mul(tf.sub(1, positive), tf.exp(tf.minimum(x, 0))))); } },
};

let registered = false;

/**
 * Register the gradients above (once; later calls do nothing). valueAndGrads calls it, so the
 * inner step of MAML is second-order correct; call it yourself before nesting tf.grads directly.
 */
export function registerSecondOrderGradients(): void {
  if (registered) return;
  registered = true;
  for (const [kernelName, { input, gradient }] of Object.entries(NESTED)) {
    const original = tf.getGradient(kernelName) as unknown as GradConfig | undefined;
    if (!original) throw new Error(`registerSecondOrderGradients: tfjs has no gradient for ${kernelName} to extend`);
    const config: GradConfig = {
      kernelName,
      inputsToSave: [input],
      outputsToSave: [true],
      gradFunc: (dy, saved, attrs) => {
        // An op recorded before this registration saved only its output.
        if (saved.length === 1 || !recordingGradients()) return original.gradFunc(dy, saved.slice(-1), attrs);
        return { [input]: () => gradient(original, dy as tf.Tensor, saved[0]!, attrs) };
      },
    };
    tf.registerGradient(config as unknown as tf.GradConfig);
  }
}
