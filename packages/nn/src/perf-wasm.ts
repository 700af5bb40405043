/**
 * A small WebAssembly SIMD module that works directly on the tfjs wasm backend's heap (it imports
 * that memory). It gives Bellman's fused kernels 128-bit SIMD loops: scalar JS loops over the heap
 * are 20-40x slower per element than wasm SIMD, which would cancel what fusing saves. The routines
 * are written in WebAssembly text, wasm/fused-kernels.wat, which says what each computes;
 * tools/wasm/build.mjs assembles it at build time into wasm/fused-kernels.generated.ts.
 */

import { FUSED_KERNELS_SHARED_MEMORY, FUSED_KERNELS_UNSHARED_MEMORY } from './wasm/fused-kernels.generated.js';

export interface SimdRoutines {
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    pOut: number,
    mOut: number,
    vOut: number,
    bytes: number,
    stepSize: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    epsilon: number,
    invSqrtBias2: number,
    gradScale: number,
  ): void;
  denseBackward(dy: number, y: number, dz: number, db: number, rows: number, rowBytes: number, vecBytes: number, linear: number): void;
  lerp(target: number, source: number, out: number, bytes: number, tau: number): void;
  transpose(src: number, dst: number, rows4: number, cols4: number, rows: number, cols: number): void;
  /** 4 x 8 tiles, A read per row (any strides). */
  gemm4x8: GemmRoutine;
  /** 4 x 8 tiles, a tile's 4 rows of A at consecutive floats (A^T in place, or packed A). */
  gemm4x8Panel: GemmRoutine;
  /** One row of A at a time (the last m % 4 rows). */
  gemm1x8: GemmRoutine;
  /** (src, dst, rows, srcRowStride, panels): column panels of 4 floats, packed (see fused-kernels.wat). */
  packPanels16: PackRoutine;
  /** The same with panels of 8 floats. */
  packPanels32: PackRoutine;
}

export type PackRoutine = (src: number, dst: number, rows: number, srcRowStride: number, panels: number) => void;

/** (a, b, c, m, nBytes, k, aRowStride, aColStride, bRowStride, cRowStride, init, bias, relu, bPanelStride), see fused-kernels.wat. */
export type GemmRoutine = (
  a: number,
  b: number,
  c: number,
  m: number,
  nBytes: number,
  k: number,
  aRowStride: number,
  aColStride: number,
  bRowStride: number,
  cRowStride: number,
  init: number,
  bias: number,
  relu: number,
  bPanelStride: number,
) => void;

/**
 * The module's bytes (exported for tests that validate it). `sharedMemory`: the variant that imports
 * a shared memory, as the heap of tfjs's threaded wasm build is (a shared and an unshared import
 * never link to the other kind of memory; tools/wasm/build.mjs assembles both).
 */
export function simdModuleBytes(sharedMemory = false): Uint8Array<ArrayBuffer> {
  const base64 = sharedMemory ? FUSED_KERNELS_SHARED_MEMORY : FUSED_KERNELS_UNSHARED_MEMORY;
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
}

/** Whether `memory` is a shared heap (tfjs's threaded build under cross-origin isolation). */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** The routines over a heap, or why they could not be built on it. */
export type SimdInstance = { routines: SimdRoutines; error?: undefined } | { routines: null; error: Error };

/** Instantiate the routines over `memory`, from the variant that imports it as it is (shared or not). */
export function instantiateSimdRoutines(memory: WebAssembly.Memory): SimdInstance {
  try {
    const module = new WebAssembly.Module(simdModuleBytes(isSharedMemory(memory)));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return { routines: instance.exports as unknown as SimdRoutines };
  } catch (err) {
    return { routines: null, error: err instanceof Error ? err : new Error(String(err)) };
  }
}
