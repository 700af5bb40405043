import * as tf from '@tensorflow/tfjs-core';
import { decodeBase64, encodeBase64 } from '@bellman/core';
import type { SerializedTensor } from '@bellman/core';

/**
 * A variable initialised from `initial`, which it takes over: `tf.variable` keeps its own
 * reference to the data, so the initial handle is disposed here rather than leaked.
 */
export function variableFrom(initial: tf.Tensor, trainable = true, name?: string): tf.Variable {
  const variable = tf.variable(initial, trainable, name);
  initial.dispose();
  return variable;
}

export function serializeTensor(t: tf.Tensor): SerializedTensor {
  const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
  const data = t.dataSync() as Float32Array | Int32Array;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return { shape: [...t.shape], dtype, data: encodeBase64(bytes) };
}

export function deserializeTensor(s: SerializedTensor): tf.Tensor {
  const bytes = decodeBase64(s.data);
  const values = s.dtype === 'int32' ? new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4) : new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return tf.tensor(values, s.shape, s.dtype);
}

/** Assign a serialised tensor to a variable of the same shape; `key` names it in errors. */
export function assignSerialized(variable: tf.Variable, s: SerializedTensor, key: string): void {
  if (s.shape.length !== variable.shape.length || s.shape.some((d, i) => d !== variable.shape[i])) {
    throw new Error(`checkpoint weight "${key}" has shape [${s.shape}], the model expects [${variable.shape}]`);
  }
  const t = deserializeTensor(s);
  variable.assign(t);
  t.dispose();
}

