import * as tf from '@tensorflow/tfjs';
import { registerCpuKernels, registerWasmKernelPatches } from './kernels.js';

export type BackendName = 'auto' | 'wasm' | 'cpu' | 'tensorflow';

export interface BackendInfo {
  /** The tfjs backend now active ('wasm', 'cpu', 'tensorflow'). */
  name: string;
  /** One line saying what runs and why. */
  reason: string;
}

export interface InitBackendOptions {
  backend?: BackendName;
  /** Print the reason line to stderr (default false). */
  verbose?: boolean;
}

let current: BackendInfo | null = null;

async function tryImport(specifier: string): Promise<boolean> {
  try {
    await import(/* webpackIgnore: true */ specifier);
    return true;
  } catch {
    return false;
  }
}

async function useWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('tfjs wasm backend failed to initialise');
  registerWasmKernelPatches();
}

async function useCpu(): Promise<void> {
  const ok = await tf.setBackend('cpu');
  if (!ok) throw new Error('tfjs cpu backend failed to initialise');
  // The cpu backend prints a multi-line hint on first use in Node; initBackend's own line says it.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  registerCpuKernels();
}

/**
 * Select the TensorFlow.js backend. `auto` tries @tensorflow/tfjs-node-gpu, then
 * @tensorflow/tfjs-node (optional peers), then wasm, then cpu.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const wanted = options.backend ?? 'auto';
  if (!['auto', 'wasm', 'cpu', 'tensorflow'].includes(wanted)) {
    throw new RangeError(`initBackend: unknown backend "${wanted}" (expected auto, wasm, cpu or tensorflow)`);
  }
  if (current && (wanted === 'auto' || wanted === current.name) && tf.getBackend() === current.name) return current;
  let info: BackendInfo;
  const notes: string[] = [];
  if (wanted === 'tensorflow' || wanted === 'auto') {
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      if (await tryImport(pkg)) {
        if (await tf.setBackend('tensorflow')) {
          info = { name: 'tensorflow', reason: `backend tensorflow: native libtensorflow from ${pkg}` };
          return finish(info, options);
        }
      }
      notes.push(`${pkg} not installed`);
    }
    if (wanted === 'tensorflow') {
      throw new Error('backend tensorflow requested but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node can be loaded; install one of them');
    }
  }
  if (wanted === 'wasm' || wanted === 'auto') {
    try {
      await useWasm();
      info = {
        name: 'wasm',
        reason: wanted === 'wasm' ? 'backend wasm: requested' : `backend wasm: ${notes.join(', ')}; wasm is the portable default`,
      };
      return finish(info, options);
    } catch (err) {
      if (wanted === 'wasm') throw err;
      notes.push(`wasm failed (${(err as Error).message})`);
    }
  }
  await useCpu();
  info = { name: 'cpu', reason: wanted === 'cpu' ? 'backend cpu: requested' : `backend cpu: ${notes.join(', ')}` };
  return finish(info, options);
}

function finish(info: BackendInfo, options: InitBackendOptions): BackendInfo {
  current = info;
  if (options.verbose) console.error(info.reason);
  return info;
}

export function currentBackend(): BackendInfo | null {
  return current;
}
