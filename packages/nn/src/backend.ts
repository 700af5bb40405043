import * as tf from '@tensorflow/tfjs-core';
// The cpu backend registers itself on import: the fallback of last resort, in every environment.
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone defines no gradients. package.json maps this to tfjs-core's own gradient
// registrations for bundlers, and to @tensorflow/tfjs under Node, whose tfjs-core build lacks them.
import '#tfjs-gradients';
import { BellmanError } from '@bellman/core';
import { prepareWasmSimd, registerCpuKernels, registerWasmKernelPatches, setKernelWarning, type SimdStatus } from './kernels.js';

export type BackendName = 'auto' | 'wasm' | 'cpu' | 'tensorflow' | 'webgl' | 'webgpu';

const BACKEND_NAMES: readonly BackendName[] = ['auto', 'wasm', 'cpu', 'tensorflow', 'webgl', 'webgpu'];

/** The binaries of @tensorflow/tfjs-backend-wasm; which one loads depends on SIMD and threads support. */
export const WASM_BINARIES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;
export type WasmBinaryName = (typeof WASM_BINARIES)[number];

/**
 * Where the page serves tfjs-backend-wasm's binaries: a URL prefix ending in '/' (the three files
 * under it), or one URL per file name. Passed to tfjs-backend-wasm's `setWasmPaths`.
 */
export type WasmPaths = string | Partial<Record<WasmBinaryName, string>>;

/** Where initBackend and the kernels report what they chose and what they could not do. */
export interface BackendLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface BackendInfo {
  /** The tfjs backend now active ('wasm', 'cpu', 'tensorflow', 'webgl', 'webgpu'). */
  name: string;
  /** One line saying what runs and why. */
  reason: string;
  /** On wasm: whether Bellman's SIMD kernels run on the tfjs heap. */
  simd?: SimdStatus;
}

export interface InitBackendOptions {
  backend?: BackendName;
  /** Where the browser fetches tfjs-backend-wasm's .wasm files (see WasmPaths). Node reads them from node_modules. */
  wasmPaths?: WasmPaths;
  /** Log the reason line through `logger.info` (default false). */
  verbose?: boolean;
  /**
   * Receives the reason line (with `verbose`) and warnings: a slow fallback, kernels that could not
   * load. Default: the console (the reason line on stderr under Node, console.info in a browser).
   */
  logger?: BackendLogger;
  /** Log nothing, not even warnings (default false). */
  quiet?: boolean;
}

/** A backend that was asked for and cannot run here; `context.backend` names it. */
export class BackendError extends BellmanError {
  constructor(message: string, context: { backend: string; [key: string]: string | number | boolean }, options?: { cause?: unknown }) {
    super(message, context, options);
    this.name = 'BackendError';
  }
}

// Under Node the reason line goes to stderr, beside the warnings, so that stdout keeps only results.
const consoleLogger: BackendLogger = {
  info: (message) => (isNode() ? console.error(message) : console.info(message)),
  warn: (message) => console.warn(message),
};
const silentLogger: BackendLogger = { info: () => {}, warn: () => {} };

let current: BackendInfo | null = null;

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

async function tryImport(specifier: string): Promise<boolean> {
  try {
    await import(/* webpackIgnore: true */ /* @vite-ignore */ specifier);
    return true;
  } catch {
    return false;
  }
}

/** What to serve, and how to say where, when the wasm binaries do not load. */
function wasmServingHint(): string {
  return (
    `serve ${WASM_BINARIES.join(', ')} from node_modules/@tensorflow/tfjs-backend-wasm/dist/ and pass their location: ` +
    "initBackend({ wasmPaths: '/assets/tfjs/' }) (a URL prefix ending in '/') or a map from each file name to its URL"
  );
}

async function useWasm(wasmPaths: WasmPaths | undefined): Promise<SimdStatus | undefined> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const shownPaths = wasmPaths === undefined ? 'unset' : JSON.stringify(wasmPaths);
  if (wasmPaths !== undefined) {
    try {
      wasm.setWasmPaths(wasmPaths);
    } catch (err) {
      throw new BackendError(
        `wasmPaths ${shownPaths} comes too late: tfjs fixes where the wasm binaries are when its wasm backend first initialises, so pass wasmPaths to the first initBackend call`,
        { backend: 'wasm', wasmPaths: shownPaths },
        { cause: err },
      );
    }
  }
  if (!(await tf.setBackend('wasm'))) {
    const where =
      wasmPaths !== undefined
        ? `check wasmPaths ${shownPaths}: it must lead to ${WASM_BINARIES.join(', ')} (from node_modules/@tensorflow/tfjs-backend-wasm/dist/)`
        : isNode()
          ? 'the binaries in node_modules/@tensorflow/tfjs-backend-wasm/dist/ did not load (reinstall the package)'
          : wasmServingHint();
    throw new BackendError(`the tfjs wasm backend did not initialise (tfjs logged the cause above): ${where}`, { backend: 'wasm', wasmPaths: shownPaths });
  }
  registerWasmKernelPatches();
  return prepareWasmSimd() ?? undefined;
}

async function useCpu(): Promise<void> {
  if (!(await tf.setBackend('cpu'))) throw new BackendError('the tfjs cpu backend did not initialise', { backend: 'cpu' });
  // The cpu backend prints a multi-line hint on first use in Node; initBackend's own line says it.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  registerCpuKernels();
}

/** A GPU backend: webgl is loaded on demand from @tensorflow/tfjs-backend-webgl; webgpu must be imported by the page. */
async function useGpu(name: 'webgl' | 'webgpu'): Promise<void> {
  const needs = name === 'webgl' ? 'a browser with WebGL 1 or 2' : 'a browser with WebGPU (navigator.gpu)';
  if (name === 'webgl' && !tf.findBackendFactory('webgl')) await import('@tensorflow/tfjs-backend-webgl');
  if (!tf.findBackendFactory(name)) {
    const why = name === 'webgl' ? `tfjs-backend-webgl registers itself only in a browser; it needs ${needs}` : 'install @tensorflow/tfjs-backend-webgpu@4.22.0 and import it before initBackend';
    throw new BackendError(`backend ${name} requested but not registered: ${why}`, { backend: name });
  }
  if (!(await tf.setBackend(name))) {
    throw new BackendError(`the tfjs ${name} backend did not initialise: it needs ${needs}`, { backend: name });
  }
}

/** GPU backends this page could use, for the reason line of `auto` (nothing is loaded here). */
function gpuCandidates(): ('webgpu' | 'webgl')[] {
  const found: ('webgpu' | 'webgl')[] = [];
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu && tf.findBackendFactory('webgpu')) found.push('webgpu');
  const Canvas = (globalThis as { OffscreenCanvas?: new (w: number, h: number) => { getContext(kind: string): unknown } }).OffscreenCanvas;
  try {
    if (Canvas && (new Canvas(1, 1).getContext('webgl2') ?? new Canvas(1, 1).getContext('webgl'))) found.push('webgl');
  } catch {
    // No WebGL here: nothing to offer.
  }
  return found;
}

function withSimd(reason: string, simd: SimdStatus | undefined): string {
  return simd ? `${reason}; ${simd.reason}` : reason;
}

/**
 * Select the TensorFlow.js backend. `auto` under Node tries @tensorflow/tfjs-node-gpu, then
 * @tensorflow/tfjs-node (optional peers), then wasm, then cpu. In a browser it takes wasm
 * (Bellman's SIMD kernels, the same numbers as Node), then a GPU backend (webgpu if the page
 * registered it, webgl), then cpu. The reason line says which it chose and why; a fallback to a
 * much slower backend, or kernels that could not load, is also a warning.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const wanted = options.backend ?? 'auto';
  if (!BACKEND_NAMES.includes(wanted)) {
    throw new BackendError(`initBackend: unknown backend "${String(wanted)}" (expected ${BACKEND_NAMES.join(', ')})`, { backend: String(wanted) });
  }
  const logger = options.quiet ? silentLogger : (options.logger ?? consoleLogger);
  setKernelWarning((message) => logger.warn(message));
  if (current && (wanted === 'auto' || wanted === current.name) && tf.getBackend() === current.name) return current;
  const finish = (info: BackendInfo, warning = false): BackendInfo => {
    current = info;
    if (warning) logger.warn(info.reason);
    else if (options.verbose) logger.info(info.reason);
    return info;
  };
  if (wanted === 'cpu') {
    await useCpu();
    return finish({ name: 'cpu', reason: 'backend cpu: requested' });
  }
  if (wanted === 'webgl' || wanted === 'webgpu') {
    await useGpu(wanted);
    return finish({ name: wanted, reason: `backend ${wanted}: requested (tfjs's own ops; Bellman's fused kernels are wasm and cpu only)` });
  }
  if (wanted === 'wasm') {
    const simd = await useWasm(options.wasmPaths);
    return finish({ name: 'wasm', reason: withSimd('backend wasm: requested', simd), simd });
  }
  const notes: string[] = [];
  if (wanted === 'tensorflow' || isNode()) {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      if ((await tryImport(pkg)) && (await tf.setBackend('tensorflow'))) {
        return finish({ name: 'tensorflow', reason: `backend tensorflow: native libtensorflow from ${pkg}` });
      }
      notes.push(`${pkg} not installed`);
    }
    if (wanted === 'tensorflow') {
      throw new BackendError('backend tensorflow requested but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node can be loaded; install one of them', { backend: 'tensorflow' });
    }
  }
  // auto from here on.
  const gpus = isNode() ? [] : gpuCandidates();
  try {
    const simd = await useWasm(options.wasmPaths);
    const why = isNode()
      ? `${notes.join(', ')}; wasm is the portable default`
      : `in a browser wasm runs Bellman's fused SIMD kernels and gives Node's numbers${gpus.length > 0 ? ` (${gpus.join(' and ')} also available here: initBackend({ backend: '${gpus[0]}' }) for models large enough to gain from a GPU)` : ''}`;
    return finish({ name: 'wasm', reason: withSimd(`backend wasm: ${why}`, simd), simd });
  } catch (err) {
    notes.push(`wasm did not initialise (${(err as Error).message})`);
  }
  for (const gpu of gpus) {
    try {
      await useGpu(gpu);
      return finish({ name: gpu, reason: `backend ${gpu}: ${notes.join(', ')}; ${gpu} instead, without Bellman's fused kernels` }, true);
    } catch (err) {
      notes.push(`${gpu} did not initialise (${(err as Error).message})`);
    }
  }
  await useCpu();
  return finish({ name: 'cpu', reason: `backend cpu, about 20x slower than wasm: ${notes.join(', ')}` }, true);
}

export function currentBackend(): BackendInfo | null {
  return current;
}
