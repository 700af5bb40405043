import * as tf from '@tensorflow/tfjs';

/**
 * Kernel patches for the wasm backend, registered once by `initBackend`.
 *
 * - BatchMatMul with transposeA/transposeB runs 10-15x slower on wasm than a plain product, and
 *   every backward pass of a dense layer uses it. The patched kernel transposes explicitly (a
 *   cheap memory pass) and then runs the plain, SIMD-friendly product.
 * - UnsortedSegmentSum (the gradient of gather) has no wasm kernel; a JS kernel fills the gap so
 *   that gather-based models train on wasm as they do on cpu.
 */
type TensorInfo = { dataId: object; shape: number[]; dtype: string };
interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}
interface KernelBackendLike {
  disposeData(dataId: object): void;
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array;
}
type KernelFn = (args: KernelArgs) => TensorInfo;

let patched = false;

function kernelFn(name: string, backend: string): KernelFn {
  const kernel = tf.getKernel(name, backend);
  if (!kernel) throw new Error(`tfjs kernel ${name} is not registered for backend ${backend}`);
  return kernel.kernelFunc as unknown as KernelFn;
}

function transposedLastTwo(x: TensorInfo, backend: unknown, transpose: KernelFn): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose({ inputs: { x }, backend, attrs: { perm } });
}

export function registerWasmKernelPatches(): void {
  if (patched) return;
  patched = true;
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (original) {
    const plainMatMul = original.kernelFunc as unknown as KernelFn;
    const transpose = kernelFn('Transpose', 'wasm');
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({
      kernelName: 'BatchMatMul',
      backendName: 'wasm',
      setupFunc: original.setupFunc,
      disposeFunc: original.disposeFunc,
      kernelFunc: ((args: KernelArgs) => {
        const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
        const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
        if (!transposeA && !transposeB) return plainMatMul(args);
        const backend = args.backend as KernelBackendLike;
        const aPlain = transposeA ? transposedLastTwo(a, backend, transpose) : a;
        const bPlain = transposeB ? transposedLastTwo(b, backend, transpose) : b;
        const out = plainMatMul({
          inputs: { a: aPlain, b: bPlain },
          backend,
          attrs: { ...args.attrs, transposeA: false, transposeB: false },
        });
        if (transposeA) backend.disposeData(aPlain.dataId);
        if (transposeB) backend.disposeData(bPlain.dataId);
        return out;
      }) as unknown as tf.KernelFunc,
    });
  }
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: ((args: KernelArgs) => {
        const backend = args.backend as KernelBackendLike;
        const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
        const numSegments = (args.attrs as { numSegments: number }).numSegments;
        return unsortedSegmentSum(backend, x, segmentIds, numSegments);
      }) as unknown as tf.KernelFunc,
    });
  }
}

function unsortedSegmentSum(backend: KernelBackendLike, x: TensorInfo, segmentIds: TensorInfo, numSegments: number): TensorInfo {
  const values = backend.readSync(x.dataId);
  const ids = backend.readSync(segmentIds.dataId);
  const idRank = segmentIds.shape.length;
  const rows = segmentIds.shape.reduce((p, d) => p * d, 1);
  const inner = x.shape.slice(idRank).reduce((p, d) => p * d, 1);
  const outShape = [numSegments, ...x.shape.slice(idRank)];
  const out = backend.makeOutput(outShape, x.dtype);
  const result = backend.typedArrayFromHeap(out);
  result.fill(0);
  for (let r = 0; r < rows; r++) {
    const seg = ids[r]!;
    if (seg < 0 || seg >= numSegments) continue;
    const src = r * inner;
    const dst = seg * inner;
    for (let k = 0; k < inner; k++) result[dst + k] = result[dst + k]! + values[src + k]!;
  }
  return out;
}
