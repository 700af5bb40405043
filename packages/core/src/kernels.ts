import * as tf from '@tensorflow/tfjs';
import { adamStep, denseActivationBackward, lerpInto, transposeInto, type AdamStepConfig, type FusedActivation } from './perf-ops.js';
import { instantiateSimdRoutines, type SimdRoutines } from './perf-wasm.js';

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

let simdRoutines: SimdRoutines | null | undefined;
let simdMemory: WebAssembly.Memory | undefined;

function simdFor(backend: WasmBackendLike): SimdRoutines | null {
  if (!options.simd) return null;
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  if (!memory) return null;
  if (simdRoutines === undefined || simdMemory !== memory) {
    simdMemory = memory;
    simdRoutines = instantiateSimdRoutines(memory);
  }
  return simdRoutines;
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
}

const options: KernelOptions = { fusedKernels: true, explicitTranspose: true, simd: true, shareIdentity: true };

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

/** Register every patch and fused kernel for the wasm backend (idempotent). */
export function registerWasmKernelPatches(): void {
  if (patchedBackends.has('wasm')) return;
  patchedBackends.add('wasm');
  const original = tf.getKernel('BatchMatMul', 'wasm');
  if (original) {
    const plainMatMul = original.kernelFunc as unknown as KernelFn;
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({
      kernelName: 'BatchMatMul',
      backendName: 'wasm',
      setupFunc: original.setupFunc,
      disposeFunc: original.disposeFunc,
      kernelFunc: ((args: KernelArgs) => {
        const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
        const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
        if ((!transposeA && !transposeB) || !options.explicitTranspose || a.dtype !== 'float32' || b.dtype !== 'float32') return plainMatMul(args);
        const backend = args.backend as WasmBackendLike;
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
      }) as unknown as tf.KernelFunc,
    });
  }
  // wasm's OneHot writes integer bits whatever the dtype, so a float32 one-hot reads as 1.4e-45:
  // non-int32 one-hots are filled here over the wasm heap.
  const oneHot = tf.getKernel('OneHot', 'wasm');
  if (oneHot) {
    const intOneHot = oneHot.kernelFunc as unknown as KernelFn;
    tf.unregisterKernel('OneHot', 'wasm');
    tf.registerKernel({
      kernelName: 'OneHot',
      backendName: 'wasm',
      setupFunc: oneHot.setupFunc,
      disposeFunc: oneHot.disposeFunc,
      kernelFunc: ((args: KernelArgs) => {
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
      }) as unknown as tf.KernelFunc,
    });
  }
  const identity = tf.getKernel('Identity', 'wasm');
  if (identity) {
    const copyingIdentity = identity.kernelFunc as unknown as KernelFn;
    tf.unregisterKernel('Identity', 'wasm');
    tf.registerKernel({
      kernelName: 'Identity',
      backendName: 'wasm',
      kernelFunc: ((args: KernelArgs) => {
        const { x } = args.inputs as { x: TensorInfo };
        if (!options.shareIdentity || x.dtype === 'string') return copyingIdentity(args);
        // Tensors are immutable, so a clone may share the data; the reference count keeps it alive.
        (args.backend as WasmBackendLike).incRef(x.dataId);
        return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
      }) as unknown as tf.KernelFunc,
    });
  }
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
        dbValues[c] += g;
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
      mem.simd!.adam(a0, a1, a2, a3, a4, a5, a6, n4 * 4, config.stepSize, config.beta1, config.beta2, config.epsilon, 1 / config.sqrtBias2, config.gradScale);
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
