import * as tf from '@tensorflow/tfjs';
import { jest } from '@jest/globals';
import { BackendError, WASM_BINARIES, initBackend, simdStatus, type BackendLogger } from '../src/index.js';

function recordingLogger(): BackendLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) };
}

describe('initBackend', () => {
  it('rejects an unknown backend with the names it knows', async () => {
    const err = await initBackend({ backend: 'metal' as never }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as BackendError).message).toMatch(/unknown backend "metal" \(expected auto, wasm, cpu, tensorflow, webgl, webgpu\)/);
    expect((err as BackendError).context).toEqual({ backend: 'metal' });
  });

  it('says that webgl needs a browser, and how to get webgpu', async () => {
    await expect(initBackend({ backend: 'webgl' })).rejects.toThrow(/backend webgl requested but not registered: tfjs-backend-webgl registers itself only in a browser/);
    await expect(initBackend({ backend: 'webgpu' })).rejects.toThrow(/install @tensorflow\/tfjs-backend-webgpu@4\.22\.0 and import it/);
  });

  it('sends the reason line to the logger with verbose, and nothing when quiet', async () => {
    const logger = recordingLogger();
    const info = await initBackend({ backend: 'cpu', verbose: true, logger });
    expect(logger.lines).toEqual(['info backend cpu: requested']);
    expect(info.name).toBe('cpu');
    const quiet = recordingLogger();
    await initBackend({ backend: 'wasm', verbose: true, logger: quiet, quiet: true });
    expect(quiet.lines).toEqual([]);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('writes the reason line to stderr under Node when no logger is given', async () => {
    const stderr = jest.spyOn(console, 'error').mockImplementation(() => {});
    const stdout = jest.spyOn(console, 'info').mockImplementation(() => {});
    try {
      await initBackend({ backend: 'cpu', verbose: true });
      expect(stderr.mock.calls).toEqual([['backend cpu: requested']]);
      expect(stdout).not.toHaveBeenCalled();
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
  });

  it('links the SIMD kernels to the wasm heap and says so', async () => {
    const info = await initBackend({ backend: 'wasm', quiet: true });
    expect(info.simd).toEqual({ active: true, sharedMemory: false, reason: 'Bellman SIMD kernels on the tfjs wasm heap' });
    expect(info.reason).toMatch(/; Bellman SIMD kernels on the tfjs wasm heap$/);
    expect(simdStatus()).toEqual(info.simd);
  });

  it('lists the wasm binaries a page must serve', () => {
    expect(WASM_BINARIES).toEqual(['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']);
  });
});
