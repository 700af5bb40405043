import * as tf from '@tensorflow/tfjs-core';
import { adamConstants, adamStep, denseActivationBackward, lerpInto, transposeInto, type AdamStepConfig, type FusedActivation } from './perf-ops.js';
import { instantiateSimdRoutines, isSharedMemory, type SimdRoutines } from './perf-wasm.js';

/**
 * Kernel patches and Bellman's fused kernels, registered by `initBackend`.
 *
 * Patches for the wasm backend:
 * - BatchMatMul with transposeA/transposeB runs 10-15x slower on wasm than a plain product, and
 *   every backward pass of a dense layer uses it. The patched kernel transposes explicitly (a
 *   blocked copy, 4x faster than wasm's own Transpose on 1024 x 1024) and runs the plain,
 *   SIMD-friendly product.
 * - UnsortedSegmentSum (the gradient of gather) has no wasm kernel; a JS kernel fills the gap so
 *   that gather-based models train on wasm as they do on cpu.
 * - With the SIMD module available, BatchMatMul (one matrix) and BellmanDense run on Bellman's
 *   GEMM (simdGemm below) instead of XNNPACK, which repacks an operand on every call.
 *
 * Fused kernels, for the wasm and cpu backends (other backends keep tfjs's composite ops):
 * - BellmanDense: x W + b with relu or no activation, one kernel with its own gradient. tfjs's
 *   fused matMul falls back to matMul + add + relu whenever a gradient is being recorded.
 * - BellmanDenseGrad: the activation's backward pass and the bias gradient in one pass.
 * - BellmanAdam: one Adam step of one parameter (its ten-odd elementwise ops in one pass).
 * - BellmanLerp: Polyak averaging of one target weight.
 */
export const DENSE_KERNEL = 'BellmanDense';
export const DENSE_GRAD_KERNEL = 'BellmanDenseGrad';
export const ADAM_KERNEL = 'BellmanAdam';
export const LERP_KERNEL = 'BellmanLerp';

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: unknown;
  attrs?: Record<string, unknown>;
}
interface WasmBackendLike {
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
  getMemoryOffset(dataId: object): number;
  disposeData(dataId: object): void;
  incRef(dataId: object): void;
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array;
}
interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo;
  readSync(dataId: object): ArrayLike<number>;
}
type KernelFn = (args: KernelArgs) => TensorInfo | TensorInfo[];
type SupportedBackend = 'wasm' | 'cpu';

/**
 * Float32 memory of one backend: outputs are allocated first, then viewed (a wasm heap view is
 * invalidated when the heap grows, so no view may outlive an allocation).
 */
interface FloatMemory {
  alloc(shape: number[]): TensorInfo;
  view(info: TensorInfo, what: string): Float32Array;
  /** SIMD routines over this memory (wasm only) and the byte address of a tensor in it. */
  simd: SimdRoutines | null;
  address(info: TensorInfo): number;
}

/**
 * Whether Bellman's SIMD routines run inside the fused kernels on the wasm heap, and if not, why:
 * without them every fused kernel runs as JS loops, slower and with different float rounding in
 * places, so a fallback is reported, never hidden.
 */
export interface SimdStatus {
  /** The SIMD routines are linked to the tfjs wasm heap. */
  active: boolean;
  /** The heap is a SharedArrayBuffer (tfjs's threaded build, under cross-origin isolation). */
  sharedMemory: boolean;
  /** One line: what runs and, for a fallback, why. */
  reason: string;
}

/** Where the kernels report a fallback (set by initBackend; console.warn until then). */
export type KernelWarning = (message: string) => void;

let warnFallback: KernelWarning = (message) => console.warn(message);
let simdRoutines: SimdRoutines | null | undefined;
let simdMemory: WebAssembly.Memory | undefined;
let simdState: SimdStatus | null = null;

/** Send the kernels' fallback reports to `warn` (initBackend passes its logger's). */
export function setKernelWarning(warn: KernelWarning): void {
  warnFallback = warn;
}

/** The SIMD routines' state on the last wasm heap seen, or null before the wasm backend ran. */
export function simdStatus(): SimdStatus | null {
  return simdState ? { ...simdState } : null;
}

function wasmMemoryOf(backend: WasmBackendLike): WebAssembly.Memory | undefined {
  return backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
}

function fallBack(sharedMemory: boolean, reason: string): null {
  simdState = { active: false, sharedMemory, reason };
  warnFallback(reason);
  return null;
}

function simdFor(backend: WasmBackendLike): SimdRoutines | null {
  if (!options.simd) return null;
  const memory = wasmMemoryOf(backend);
  if (!memory) {
    if (simdState?.active !== false) fallBack(false, 'Bellman SIMD kernels off: the tfjs wasm backend exposes no heap memory (a tfjs-backend-wasm other than 4.22?); fused kernels run as JS loops');
    return null;
  }
  if (simdRoutines === undefined || simdMemory !== memory) {
    simdMemory = memory;
    const sharedMemory = isSharedMemory(memory);
    const heap = sharedMemory ? 'shared heap' : 'heap';
    const built = instantiateSimdRoutines(memory);
    simdRoutines = built.routines;
    if (built.routines) simdState = { active: true, sharedMemory, reason: `Bellman SIMD kernels on the tfjs wasm ${heap}` };
    else fallBack(sharedMemory, `Bellman SIMD kernels off: linking them to the tfjs wasm ${heap} failed (${built.error.message}); fused kernels run as JS loops`);
  }
  return simdRoutines;
}

/** Link the SIMD routines to the active wasm backend's heap now, rather than at the first kernel. */
export function prepareWasmSimd(): SimdStatus | null {
  if (tf.getBackend() !== 'wasm') return null;
  simdFor(tf.backend() as unknown as WasmBackendLike);
  return simdStatus();
}

function memoryOf(backendName: SupportedBackend, backend: unknown, kernel: string): FloatMemory {
  const check = (info: TensorInfo, what: string) => {
    if (info.dtype !== 'float32') throw new TypeError(`${kernel}: ${what} must be float32, got ${info.dtype}`);
  };
  if (backendName === 'wasm') {
    const b = backend as WasmBackendLike;
    return {
      alloc: (shape) => b.makeOutput(shape, 'float32'),
      view: (info, what) => {
        check(info, what);
        return b.typedArrayFromHeap(info) as Float32Array;
      },
      simd: simdFor(b),
      address: (info) => b.getMemoryOffset(info.dataId),
    };
  }
  const b = backend as CpuBackendLike;
  return {
    simd: null,
    address: () => {
      throw new Error(`${kernel}: the cpu backend has no heap addresses`);
    },
    alloc: (shape) => b.makeTensorInfo(shape, 'float32', new Float32Array(shape.reduce((p, d) => p * d, 1))),
    view: (info, what) => {
      check(info, what);
      const values = b.data.get(info.dataId)?.values;
      return values instanceof Float32Array ? values : Float32Array.from(b.readSync(info.dataId));
    },
  };
}

const patchedBackends = new Set<string>();

/** Switches for Bellman's kernels, for measuring what each one buys (all on by default). */
export interface KernelOptions {
  /** BellmanDense, BellmanDenseGrad, BellmanAdam, BellmanLerp on wasm and cpu. */
  fusedKernels: boolean;
  /** wasm BatchMatMul with a transposed operand runs as explicit transpose + plain product. */
  explicitTranspose: boolean;
  /** wasm SIMD loops (a module over the tfjs heap) inside the fused kernels; JS loops otherwise. */
  simd: boolean;
  /**
   * wasm Identity (tf.clone, and every tensor a gradient saves) shares the data with a reference
   * count, as Reshape does and as the cpu backend's Identity does, instead of copying it.
   */
  shareIdentity: boolean;
  /**
   * wasm BatchMatMul a^T b (a weight gradient x^T dz, say) with a narrower than b runs as
   * (b^T a)^T, so that XNNPACK packs the narrow operand instead of the wide one (see below).
   */
  packSmallerOperand: boolean;
  /**
   * wasm BatchMatMul and BellmanDense run on Bellman's SIMD GEMM (no operand packing) instead of
   * XNNPACK's fully-connected operator (needs `simd`).
   */
  simdGemm: boolean;
  /**
   * simdGemm copies each k-block of B into contiguous 8-column panels, and a transposed A into
   * 4-row panels, before the product (off: both are read in place, at their row strides).
   */
  packGemmPanels: boolean;
  /**
   * wasm Slice, SplitV and Reverse copy straight on the heap in contiguous runs; stock tfjs-wasm's
   * Slice first copies the whole input into a fresh array (readSync), which for phi(s) sliced out
   * of a [2B, 256] feature matrix costs more than the products around it, its SplitV is one such
   * Slice per piece, and its Reverse computes each element's source index.
   */
  heapSlice: boolean;
}

const options: KernelOptions = { fusedKernels: true, explicitTranspose: true, simd: true, shareIdentity: true, packSmallerOperand: true, simdGemm: true, packGemmPanels: true, heapSlice: true };

/** Change kernel switches; returns the previous settings. */
export function setKernelOptions(changes: Partial<KernelOptions>): KernelOptions {
  const previous = { ...options };
  for (const [key, value] of Object.entries(changes)) {
    if (!(key in options)) throw new RangeError(`setKernelOptions: unknown option "${key}" (expected ${Object.keys(options).join(', ')})`);
    if (typeof value !== 'boolean') throw new TypeError(`setKernelOptions: "${key}" must be a boolean, got ${String(value)}`);
    options[key as keyof KernelOptions] = value;
  }
  return previous;
}

export function kernelOptions(): KernelOptions {
  return { ...options };
}

function kernelFn(name: string, backend: string): KernelFn {
  const kernel = tf.getKernel(name, backend);
  if (!kernel) throw new Error(`tfjs kernel ${name} is not registered for backend ${backend}`);
  return kernel.kernelFunc as unknown as KernelFn;
}

/** A copy of x with its last two axes swapped, made by a blocked JS transpose over the heap. */
function transposedLastTwo(x: TensorInfo, backend: WasmBackendLike): TensorInfo {
  const rank = x.shape.length;
  const rows = x.shape[rank - 2]!;
  const cols = x.shape[rank - 1]!;
  const outShape = [...x.shape.slice(0, -2), cols, rows];
  const out = backend.makeOutput(outShape, x.dtype);
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const batches = x.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const simd = simdFor(backend);
  const rows4 = rows & ~3;
  const cols4 = cols & ~3;
  if (simd && rows4 > 0 && cols4 > 0) {
    const srcBase = backend.getMemoryOffset(x.dataId);
    const dstBase = backend.getMemoryOffset(out.dataId);
    for (let i = 0; i < batches; i++) {
      const offset = i * rows * cols;
      simd.transpose(srcBase + offset * 4, dstBase + offset * 4, rows4, cols4, rows, cols);
      // The last rows % 4 rows and cols % 4 columns, which the 4 x 4 blocks leave out.
      for (let r = 0; r < rows; r++) {
        for (let c = r < rows4 ? cols4 : 0; c < cols; c++) dst[offset + c * rows + r] = src[offset + r * cols + c]!;
      }
    }
    return out;
  }
  for (let i = 0; i < batches; i++) transposeInto(src, dst, rows, cols, i * rows * cols, i * rows * cols);
  return out;
}

/**
 * Row and reduction block sizes of simdGemm: a block of A's rows (256 x 256 floats) stays in L2
 * while every column panel of B passes over it, and a packed panel's k-block (256 x 8 floats) in L1.
 */
const GEMM_ROW_BLOCK = 256;
const GEMM_K_BLOCK = 256;
/** Width of B's column panels (the kernels' 4 x 8 tiles), in floats. */
const GEMM_PANEL = 8;

/** One product C = A B (+ bias, relu) for simdGemm. Addresses and strides in bytes. */
interface GemmProblem {
  /** A [m, k], element (i, k) at a + i * aRowStride + k * aColStride (so A may be a transposed view). */
  a: number;
  aRowStride: number;
  aColStride: number;
  /** B [k, n] row-major. */
  b: number;
  /** C [m, n] row-major, written. */
  c: number;
  m: number;
  k: number;
  n: number;
  /** Address of a [n] bias added to every row, or 0 for none. */
  bias: number;
  relu: boolean;
}

/**
 * C = A B on the SIMD module's register-tiled kernels, blocked for the caches. XNNPACK's operator
 * repacks its second operand on every call with scalar code (about 15-20 ns per element), which in
 * a training step costs as much as the product itself. Here each k-block of B is copied into
 * column panels of 8 floats with SIMD loads (under 1 ns per element, once per product): read in
 * place, a panel's rows lie a row stride apart, and at power-of-two widths they share a few cache
 * sets and evict each other (27-29 GFLOP/s in place against 38-41 packed on 256 x 1024 x 1024). A
 * transposed A (a weight gradient x^T dz) is packed the same way into 4-row panels; a row-major A is
 * read in place. The last n % 8 columns run on a zero-padded panel into a scratch C.
 */
function simdGemm(simd: SimdRoutines, backend: WasmBackendLike, g: GemmProblem): void {
  const { m, k, n } = g;
  if (m === 0 || n === 0) return;
  const panels = Math.floor(n / GEMM_PANEL);
  const tail = n - panels * GEMM_PANEL;
  const allPanels = panels + (tail > 0 ? 1 : 0);
  const kBlock = Math.max(1, Math.min(GEMM_K_BLOCK, k));
  const packB = options.packGemmPanels;
  const packA = packB && g.aRowStride === 4 && m >= 4;
  // One scratch allocation: packed B (one k-block), packed A (one row block x one k-block), then
  // for a column tail the padded C and bias.
  const bPackFloats = (packB ? allPanels : tail > 0 ? 1 : 0) * kBlock * GEMM_PANEL;
  const aPackFloats = packA ? Math.min(GEMM_ROW_BLOCK, m) * kBlock : 0;
  const tailFloats = tail > 0 ? m * GEMM_PANEL + GEMM_PANEL : 0;
  const scratch = backend.makeOutput([bPackFloats + aPackFloats + tailFloats], 'float32');
  const bPack = backend.getMemoryOffset(scratch.dataId);
  const aPack = bPack + bPackFloats * 4;
  const tailC = aPack + aPackFloats * 4;
  const tailBias = tailC + m * GEMM_PANEL * 4;
  const heap = new Float32Array((backend.typedArrayFromHeap(scratch) as Float32Array).buffer);
  if (tail > 0 && g.bias) {
    for (let j = 0; j < GEMM_PANEL; j++) heap[tailBias / 4 + j] = j < tail ? heap[g.bias / 4 + panels * GEMM_PANEL + j]! : 0;
  }
  const rowBytes = n * 4;
  const panelRowBytes = GEMM_PANEL * 4;
  // A do-while over k blocks, so that k = 0 still writes the bias (or zeros).
  for (let k0 = 0; k0 === 0 || k0 < k; k0 += GEMM_K_BLOCK) {
    const kl = Math.min(GEMM_K_BLOCK, k - k0);
    const init = k0 > 0 ? 1 : g.bias ? 2 : 0;
    const relu = g.relu && k0 + kl >= k ? 1 : 0;
    const bAt = g.b + k0 * rowBytes;
    if (packB && panels > 0) simd.packPanels32(bAt, bPack, kl, rowBytes, panels);
    // The column tail is always packed, zero-padded to a whole panel.
    const tailPanel = bPack + (packB ? panels * kl * panelRowBytes : 0);
    if (tail > 0) {
      const base = tailPanel / 4;
      for (let kk = 0; kk < kl; kk++) {
        const from = bAt / 4 + kk * n + panels * GEMM_PANEL;
        for (let j = 0; j < GEMM_PANEL; j++) heap[base + kk * GEMM_PANEL + j] = j < tail ? heap[from + j]! : 0;
      }
    }
    const panelStride = kl * panelRowBytes;
    // Full panels: packed (row stride 32 bytes, panel after panel) or B in place.
    const [panelB, panelBRowStride, panelBStride] = packB ? [bPack, panelRowBytes, panelStride] : [bAt, rowBytes, panelRowBytes];
    for (let r0 = 0; r0 < m; r0 += GEMM_ROW_BLOCK) {
      const rows = Math.min(GEMM_ROW_BLOCK, m - r0);
      const rows4 = rows & ~3;
      const aAt = g.a + r0 * g.aRowStride + k0 * g.aColStride;
      // The 4-row tiles: from packed 4-row panels of A (A^T), or from A in place.
      let tileA = aAt;
      let tileRowStride = g.aRowStride;
      let tileColStride = g.aColStride;
      let tiles = g.aRowStride === 4 ? simd.gemm4x8Panel : simd.gemm4x8;
      if (packA && rows4 > 0) {
        simd.packPanels16(aAt, aPack, kl, g.aColStride, rows4 / 4);
        [tileA, tileRowStride, tileColStride, tiles] = [aPack, kl * 4, 16, simd.gemm4x8Panel];
      }
      const run = (b: number, bRowStride: number, bPanelStride: number, c: number, cStride: number, bias: number, bytes: number) => {
        if (rows4 > 0) tiles(tileA, b, c, rows4, bytes, kl, tileRowStride, tileColStride, bRowStride, cStride, init, bias, relu, bPanelStride);
        if (rows > rows4) simd.gemm1x8(aAt + rows4 * g.aRowStride, b, c + rows4 * cStride, rows - rows4, bytes, kl, g.aRowStride, g.aColStride, bRowStride, cStride, init, bias, relu, bPanelStride);
      };
      if (panels > 0) run(panelB, panelBRowStride, panelBStride, g.c + r0 * rowBytes, rowBytes, g.bias, panels * panelRowBytes);
      if (tail > 0) run(tailPanel, panelRowBytes, panelStride, tailC + r0 * panelRowBytes, panelRowBytes, g.bias ? tailBias : 0, panelRowBytes);
    }
  }
  if (tail > 0) {
    const c = g.c / 4 + panels * GEMM_PANEL;
    const from = tailC / 4;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < tail; j++) heap[c + i * n + j] = heap[from + i * GEMM_PANEL + j]!;
    }
  }
  backend.disposeData(scratch.dataId);
}

/** The SIMD routines when Bellman's GEMM should run the products of the wasm backend, else null. */
function gemmRoutines(backend: WasmBackendLike): SimdRoutines | null {
  return options.simdGemm ? simdFor(backend) : null;
}

/**
 * Whether a^T b (a: [K, M], b: [K, N], one batch) is cheaper as (b^T a)^T. tfjs-wasm hands the
 * second operand of every product to XNNPACK as "weights", which it repacks on every call with a
 * scalar loop at about 15-20 ns per element (the products of a backward pass always see fresh
 * operands, so nothing is cached). The plain route transposes a (K x M) and packs b (K x N); the
 * swapped one transposes b (K x N, SIMD, about 1 ns per element), copies and packs a (K x M) and
 * transposes the M x N result. With a long K (the rows of a batch) and M < N, as in the weight
 * gradient of a first layer (M = input width, N = hidden width), it packs N / M times less:
 * 13 ms -> 1.5 ms for x^T dz with x [2560, 4], dz [2560, 256].
 */
function packsLessSwapped(a: TensorInfo, b: TensorInfo): boolean {
  if (a.shape.length !== 2 || b.shape.length !== 2) return false;
  const [k, m] = a.shape as [number, number];
  const n = b.shape[1]!;
  // Packing costs about 16 transposed elements more per element than a transpose.
  return m < n && 16 * k * (n - m) > m * n;
}

/** a^T b computed as (b^T a)^T: XNNPACK packs (a copy of) a, the narrower operand. */
function swappedProduct(a: TensorInfo, b: TensorInfo, backend: WasmBackendLike, plainMatMul: KernelFn, attrs: Record<string, unknown> | undefined): TensorInfo {
  const bT = transposedLastTwo(b, backend);
  // A private copy as the packed operand: XNNPACK's operator cache is keyed by the data's id, and
  // a temporary's cache entry dies with it (a, shared by reshapes, could be seen with other shapes).
  const weights = backend.makeOutput(a.shape, 'float32');
  (backend.typedArrayFromHeap(weights) as Float32Array).set(backend.typedArrayFromHeap(a) as Float32Array);
  const productT = plainMatMul({ inputs: { a: bT, b: weights }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as TensorInfo;
  backend.disposeData(bT.dataId);
  backend.disposeData(weights.dataId);
  const product = transposedLastTwo(productT, backend);
  backend.disposeData(productT.dataId);
  return product;
}

/** True when every axis but the last two has size 1 (one matrix). */
function singleBatch(x: TensorInfo): boolean {
  return x.shape.length >= 2 && x.shape.slice(0, -2).every((d) => d === 1);
}

/** op(a) op(b) on Bellman's SIMD GEMM: a transposed a is read in place, a transposed b is copied first. */
function simdMatMul(simd: SimdRoutines, backend: WasmBackendLike, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo {
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const [aRows, aCols] = [a.shape[aRank - 2]!, a.shape[aRank - 1]!];
  const [m, k] = transposeA ? [aCols, aRows] : [aRows, aCols];
  const bPlain = transposeB ? transposedLastTwo(b, backend) : b;
  const n = bPlain.shape[bRank - 1]!;
  const kB = bPlain.shape[bRank - 2]!;
  if (kB !== k) throw new Error(`BatchMatMul: inner sizes differ (${k} and ${kB}) for shapes [${a.shape}] and [${b.shape}]`);
  const lead = (aRank >= bRank ? a.shape : b.shape).slice(0, -2);
  const out = backend.makeOutput([...lead, m, n], 'float32');
  simdGemm(simd, backend, {
    a: backend.getMemoryOffset(a.dataId),
    aRowStride: transposeA ? 4 : k * 4,
    aColStride: transposeA ? m * 4 : 4,
    b: backend.getMemoryOffset(bPlain.dataId),
    c: backend.getMemoryOffset(out.dataId),
    m,
    k,
    n,
    bias: 0,
    relu: false,
  });
  if (transposeB) backend.disposeData(bPlain.dataId);
  return out;
}

/** Replaces wasm's kernel `name` by `wrap(stock kernel)`, keeping the stock setup and dispose functions. */
function wrapWasmKernel(name: string, wrap: (stock: KernelFn) => KernelFn): void {
  const stock = tf.getKernel(name, 'wasm');
  if (!stock) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: wrap(stock.kernelFunc as unknown as KernelFn) as unknown as tf.KernelFunc,
  });
}

/** Tensors the heap copies (slice, split, reverse) handle: float32 and int32. */
function heapCopyable(x: TensorInfo): boolean {
  return x.dtype === 'float32' || x.dtype === 'int32';
}

/** Register every patch and fused kernel for the wasm backend (idempotent). */
export function registerWasmKernelPatches(): void {
  if (patchedBackends.has('wasm')) return;
  patchedBackends.add('wasm');
  wrapWasmKernel('BatchMatMul', (plainMatMul) => (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const backend = args.backend as WasmBackendLike;
    const simd = gemmRoutines(backend);
    if (simd && a.dtype === 'float32' && b.dtype === 'float32' && singleBatch(a) && singleBatch(b)) {
      return simdMatMul(simd, backend, a, b, Boolean(transposeA), Boolean(transposeB));
    }
    if ((!transposeA && !transposeB) || !options.explicitTranspose || a.dtype !== 'float32' || b.dtype !== 'float32') return plainMatMul(args);
    if (transposeA && !transposeB && options.packSmallerOperand && packsLessSwapped(a, b)) return swappedProduct(a, b, backend, plainMatMul, args.attrs);
    const aPlain = transposeA ? transposedLastTwo(a, backend) : a;
    const bPlain = transposeB ? transposedLastTwo(b, backend) : b;
    const out = plainMatMul({
      inputs: { a: aPlain, b: bPlain },
      backend,
      attrs: { ...args.attrs, transposeA: false, transposeB: false },
    });
    if (transposeA) backend.disposeData(aPlain.dataId);
    if (transposeB) backend.disposeData(bPlain.dataId);
    return out;
  });
  // wasm's OneHot writes integer bits whatever the dtype, so a float32 one-hot reads as 1.4e-45:
  // non-int32 one-hots are filled here over the wasm heap.
  wrapWasmKernel('OneHot', (intOneHot) => (args) => {
    const { dtype = 'int32', depth, onValue = 1, offValue = 0 } = (args.attrs ?? {}) as {
      dtype?: string;
      depth: number;
      onValue?: number;
      offValue?: number;
    };
    if (dtype === 'int32') return intOneHot(args);
    const backend = args.backend as WasmBackendLike;
    const { indices } = args.inputs as { indices: TensorInfo };
    const ids = backend.readSync(indices.dataId);
    const out = backend.makeOutput([...indices.shape, depth], dtype);
    const values = backend.typedArrayFromHeap(out);
    values.fill(offValue);
    for (let row = 0; row < ids.length; row++) {
      const id = ids[row]!;
      if (id >= 0 && id < depth) values[row * depth + id] = onValue;
    }
    return out;
  });
  wrapWasmKernel('Identity', (copyingIdentity) => (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!options.shareIdentity || x.dtype === 'string') return copyingIdentity(args);
    // Tensors are immutable, so a clone may share the data; the reference count keeps it alive.
    (args.backend as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  });
  wrapWasmKernel('Slice', (copyingSlice) => (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { begin, size } = (args.attrs ?? {}) as { begin: number | number[]; size?: number | number[] };
    if (!options.heapSlice || !heapCopyable(x)) return copyingSlice(args);
    return heapSlice(args.backend as WasmBackendLike, x, begin, size);
  });
  // Stock SplitV is one stock Slice per piece, each copying the whole input first (the gradient
  // of a concatenation, e.g. of conv1d's im2col columns).
  wrapWasmKernel('SplitV', (slicingSplit) => (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!options.heapSlice || !heapCopyable(x)) return slicingSplit(args);
    const { numOrSizeSplits, axis } = (args.attrs ?? {}) as { numOrSizeSplits: number | number[]; axis: number | number[] };
    const along = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.TensorInfo, numOrSizeSplits, along);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((piece) => {
      const size = x.shape.slice();
      size[along] = piece;
      const out = heapSlice(args.backend as WasmBackendLike, x, begin.slice(), size);
      begin[along]! += piece;
      return out;
    });
  });
  // Stock Reverse computes every element's source index in C++ (1.7 ms for a [4, 128, 128] kernel).
  wrapWasmKernel('Reverse', (indexingReverse) => (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const axes = tf.util.parseAxisParam((args.attrs as { dims: number | number[] }).dims, x.shape);
    if (!options.heapSlice || !heapCopyable(x) || x.shape.length === 0 || axes.length === 0) return indexingReverse(args);
    return heapReverse(args.backend as WasmBackendLike, x, axes);
  });
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({
      kernelName: 'UnsortedSegmentSum',
      backendName: 'wasm',
      kernelFunc: ((args: KernelArgs) => {
        const backend = args.backend as WasmBackendLike;
        const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
        const numSegments = (args.attrs as { numSegments: number }).numSegments;
        return unsortedSegmentSum(backend, x, segmentIds, numSegments);
      }) as unknown as tf.KernelFunc,
    });
  }
  registerFusedKernels('wasm');
}

/** Register Bellman's fused kernels for the cpu backend (idempotent). */
export function registerCpuKernels(): void {
  if (patchedBackends.has('cpu')) return;
  patchedBackends.add('cpu');
  registerFusedKernels('cpu');
}

/** Whether Bellman's fused kernel `name` runs on the active backend. */
export function hasFusedKernel(name: string): boolean {
  return options.fusedKernels && tf.getKernel(name, tf.getBackend()) !== undefined;
}

function registerFusedKernels(backendName: SupportedBackend): void {
  registerDenseGradient();
  const fusedMatMul = kernelFn('_FusedMatMul', backendName);
  const register = (kernelName: string, kernelFunc: KernelFn) => {
    if (tf.getKernel(kernelName, backendName)) return;
    tf.registerKernel({ kernelName, backendName, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  };

  register(DENSE_KERNEL, ({ inputs, backend, attrs }) => {
    const { x, w, b } = inputs as { x: TensorInfo; w: TensorInfo; b: TensorInfo };
    const activation = (attrs as { activation: FusedActivation }).activation;
    const [m, k] = x.shape as [number, number];
    const n = w.shape[1]!;
    const fusedAttrs = { transposeA: false, transposeB: false, activation, leakyreluAlpha: 0 };
    if (backendName === 'cpu') return fusedMatMul({ inputs: { a: x, b: w, bias: b }, backend, attrs: fusedAttrs });
    const wasmBackend = backend as WasmBackendLike;
    const simd = gemmRoutines(wasmBackend);
    if (simd) {
      const out = wasmBackend.makeOutput([m, n], 'float32');
      const address = (t: TensorInfo) => wasmBackend.getMemoryOffset(t.dataId);
      simdGemm(simd, wasmBackend, { a: address(x), aRowStride: k * 4, aColStride: 4, b: address(w), c: address(out), m, k, n, bias: address(b), relu: activation === 'relu' });
      return out;
    }
    // wasm's fused kernel reads rank-3 shapes; the same data viewed as [1, m, k] costs nothing.
    const out = fusedMatMul({
      inputs: { a: { ...x, shape: [1, m, k] }, b: { ...w, shape: [1, k, n] }, bias: b },
      backend,
      attrs: fusedAttrs,
    }) as TensorInfo;
    out.shape = [m, n];
    return out;
  });

  register(DENSE_GRAD_KERNEL, ({ inputs, backend, attrs }) => {
    const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
    const activation = (attrs as { activation: FusedActivation }).activation;
    const [rows, cols] = y.shape as [number, number];
    const mem = memoryOf(backendName, backend, DENSE_GRAD_KERNEL);
    const dz = mem.alloc([rows, cols]);
    const db = mem.alloc([cols]);
    const dyValues = mem.view(dy, 'dy');
    const yValues = mem.view(y, 'y');
    const dzValues = mem.view(dz, 'dz');
    const dbValues = mem.view(db, 'db');
    const cols4 = cols & ~3;
    if (!mem.simd || cols4 === 0) {
      denseActivationBackward(activation, dyValues, yValues, dzValues, dbValues, rows, cols);
      return [dz, db];
    }
    dbValues.fill(0);
    mem.simd.denseBackward(mem.address(dy), mem.address(y), mem.address(dz), mem.address(db), rows, cols * 4, cols4 * 4, activation === 'linear' ? 1 : 0);
    for (let r = 0; r < rows; r++) {
      for (let c = cols4, k = r * cols + cols4; c < cols; c++, k++) {
        const g = activation === 'linear' || yValues[k]! > 0 ? dyValues[k]! : 0;
        dzValues[k] = g;
        dbValues[c] = dbValues[c]! + g;
      }
    }
    return [dz, db];
  });

  register(ADAM_KERNEL, ({ inputs, backend, attrs }) => {
    const { param, grad, m, v } = inputs as { param: TensorInfo; grad: TensorInfo; m: TensorInfo; v: TensorInfo };
    for (const [what, t] of [['grad', grad], ['m', m], ['v', v]] as const) {
      if (t.shape.length !== param.shape.length || t.shape.some((d, i) => d !== param.shape[i])) {
        throw new Error(`${ADAM_KERNEL}: ${what} has shape [${t.shape}], the parameter [${param.shape}]`);
      }
    }
    const mem = memoryOf(backendName, backend, ADAM_KERNEL);
    const pOut = mem.alloc(param.shape);
    const mOut = mem.alloc(param.shape);
    const vOut = mem.alloc(param.shape);
    const views = [param, grad, m, v, pOut, mOut, vOut].map((t, i) => mem.view(t, ['param', 'grad', 'm', 'v', 'param out', 'm out', 'v out'][i]!));
    const config = attrs as unknown as AdamStepConfig;
    const n = views[0]!.length;
    const n4 = mem.simd ? n & ~3 : 0;
    if (n4 > 0) {
      const [a0, a1, a2, a3, a4, a5, a6] = [param, grad, m, v, pOut, mOut, vOut].map((t) => mem.address(t)) as [number, number, number, number, number, number, number];
      // 1 - beta and 1 / sqrtBias2 in float64 here, the values the JS tail below uses (see adamConstants).
      const { oneMinusBeta1, oneMinusBeta2, invSqrtBias2 } = adamConstants(config);
      mem.simd!.adam(a0, a1, a2, a3, a4, a5, a6, n4 * 4, config.stepSize, config.beta1, oneMinusBeta1, config.beta2, oneMinusBeta2, config.epsilon, invSqrtBias2, config.gradScale);
    }
    const tail = (t: Float32Array) => t.subarray(n4);
    adamStep(tail(views[0]!), tail(views[1]!), tail(views[2]!), tail(views[3]!), tail(views[4]!), tail(views[5]!), tail(views[6]!), config);
    return [pOut, mOut, vOut];
  });

  register(LERP_KERNEL, ({ inputs, backend, attrs }) => {
    const { target, source } = inputs as { target: TensorInfo; source: TensorInfo };
    const mem = memoryOf(backendName, backend, LERP_KERNEL);
    const out = mem.alloc(target.shape);
    const tau = (attrs as { tau: number }).tau;
    const t = mem.view(target, 'target');
    const src = mem.view(source, 'source');
    const o = mem.view(out, 'out');
    const n4 = mem.simd ? t.length & ~3 : 0;
    if (n4 > 0) mem.simd!.lerp(mem.address(target), mem.address(source), mem.address(out), n4 * 4, tau);
    lerpInto(t.subarray(n4), src.subarray(n4), o.subarray(n4), tau);
    return out;
  });
}

let denseGradientRegistered = false;

/**
 * The gradient of BellmanDense. The fused backward kernel is used at the outermost gradient only:
 * inside a nested gradient (a gradient penalty, say) differentiable tfjs ops are recorded instead.
 * Each input's gradient is computed only if backpropagation asks for it (never dx for the data).
 */
function registerDenseGradient(): void {
  if (denseGradientRegistered) return;
  denseGradientRegistered = true;
  tf.registerGradient({
    kernelName: DENSE_KERNEL,
    inputsToSave: ['x', 'w'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, w, y] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const activation = (attrs as unknown as { activation: FusedActivation }).activation;
      const g = dy as tf.Tensor2D;
      let dz: tf.Tensor2D;
      let db: tf.Tensor1D;
      const nested = (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
      if (!nested && hasFusedKernel(DENSE_GRAD_KERNEL)) {
        [dz, db] = tf.engine().runKernel(DENSE_GRAD_KERNEL, { dy: g, y }, { activation }) as unknown as [tf.Tensor2D, tf.Tensor1D];
      } else {
        dz = activation === 'relu' ? tf.mul(g, tf.step(y)) : g;
        db = tf.sum(dz, 0);
      }
      return {
        x: () => tf.matMul(dz, w, false, true),
        w: () => tf.matMul(x, dz, true, false),
        b: () => db,
      };
    },
  });
}

/**
 * Slice of a tensor of any rank, copied straight from the wasm heap: the innermost axes taken
 * whole and the first one that is not make one contiguous run, copied once per index of the
 * axes outside it.
 */
function heapSlice(backend: WasmBackendLike, x: TensorInfo, beginAttr: number | number[], sizeAttr: number | number[] | undefined): TensorInfo {
  const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, beginAttr, sizeAttr) as [number[], number[]];
  const out = backend.makeOutput(size, x.dtype);
  copySlice(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  return out;
}

/** Copy the slice (begin, size) of `src` (of `shape`, row-major) into `dst`. */
function copySlice(src: Float32Array | Int32Array, shape: number[], begin: number[], size: number[], dst: Float32Array | Int32Array): void {
  const rank = shape.length;
  if (rank === 0 || size.some((d) => d === 0)) return;
  // Axes after `axis` are taken whole (so begin there is 0): one run covers them and size[axis] of `axis`.
  let axis = rank - 1;
  let inner = 1;
  while (axis > 0 && size[axis] === shape[axis]) inner *= shape[axis--]!;
  const run = size[axis]! * inner;
  const strides = tf.util.computeStrides(shape);
  const stride = (a: number) => (a === rank - 1 ? 1 : strides[a]!);
  const base = begin.reduce((offset, b, a) => offset + b * stride(a), 0);
  const index = new Array<number>(axis).fill(0);
  for (let written = 0; written < dst.length; written += run) {
    let from = base;
    for (let a = 0; a < axis; a++) from += index[a]! * stride(a);
    if (run < 16) for (let i = 0; i < run; i++) dst[written + i] = src[from + i]!;
    else dst.set(src.subarray(from, from + run), written);
    for (let a = axis - 1; a >= 0 && ++index[a]! === size[a]; a--) index[a] = 0;
  }
}

/** `x` reversed along `axes`, copied on the wasm heap in runs of the axes inside the innermost reversed one. */
function heapReverse(backend: WasmBackendLike, x: TensorInfo, axes: number[]): TensorInfo {
  const out = backend.makeOutput(x.shape, x.dtype);
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const last = Math.max(...axes);
  const inner = x.shape.slice(last + 1).reduce((p, d) => p * d, 1);
  const outer = x.shape.slice(0, last + 1);
  const reversed = outer.map((_, a) => axes.includes(a));
  const index = new Array<number>(outer.length).fill(0);
  for (let written = 0; written < dst.length; written += inner) {
    let from = 0;
    for (let a = 0; a < outer.length; a++) from = from * outer[a]! + (reversed[a] ? outer[a]! - 1 - index[a]! : index[a]!);
    dst.set(src.subarray(from * inner, (from + 1) * inner), written);
    for (let a = outer.length - 1; a >= 0 && ++index[a]! === outer[a]; a--) index[a] = 0;
  }
  return out;
}

function unsortedSegmentSum(backend: WasmBackendLike, x: TensorInfo, segmentIds: TensorInfo, numSegments: number): TensorInfo {
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
