// The page's script. ?mode= picks what it does: train (default) runs the computation on wasm with
// the binaries served under ./wasm/; auto lets initBackend choose; no-wasm-paths asks for wasm
// without saying where the binaries are; webgl runs one product on the webgl backend.
/* global window, URL */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@bellman/nn';
import { computeLosses } from './computation.mjs';

const wasmPaths = new URL('./wasm/', import.meta.url).href;
const mode = new URL(window.location.href).searchParams.get('mode') ?? 'train';

async function run() {
  if (mode === 'train') return computeLosses({ backend: 'wasm', wasmPaths });
  if (mode === 'auto') {
    const info = await initBackend({ backend: 'auto', wasmPaths, quiet: true });
    return { backend: info.name, reason: info.reason };
  }
  if (mode === 'no-wasm-paths') {
    try {
      await initBackend({ backend: 'wasm', quiet: true });
      return { backend: tf.getBackend() };
    } catch (err) {
      return { failure: { name: err.name, message: err.message } };
    }
  }
  if (mode === 'webgl') {
    const info = await initBackend({ backend: 'webgl', quiet: true });
    const product = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2]));
    return { backend: info.name, reason: info.reason, product: Array.from(await product.data()) };
  }
  throw new Error(`unknown mode ${mode}`);
}

run()
  .then((result) => {
    window.bellmanResult = { ...result, crossOriginIsolated: window.crossOriginIsolated };
  })
  .catch((err) => {
    window.bellmanResult = { error: String(err?.stack ?? err) };
  });
