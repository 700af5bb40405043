// In a file of its own: a failed wasm initialisation cannot be retried in the same tfjs engine.
import { jest } from '@jest/globals';
import { BackendError, initBackend, type BackendLogger } from '../src/index.js';

describe('initBackend with wasm binaries that do not load', () => {
  beforeAll(() => {
    // tfjs prints the underlying cause (the missing file) itself.
    jest.spyOn(console, 'warn').mockImplementation(() => {});
  });

  it('wasm: says which files wasmPaths must lead to', async () => {
    const err = await initBackend({ backend: 'wasm', wasmPaths: '/nowhere/' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    const message = (err as BackendError).message;
    expect(message).toMatch(/^the tfjs wasm backend did not initialise/);
    expect(message).toMatch(/check wasmPaths "\/nowhere\/": it must lead to tfjs-backend-wasm\.wasm, tfjs-backend-wasm-simd\.wasm, tfjs-backend-wasm-threaded-simd\.wasm/);
    expect((err as BackendError).context).toEqual({ backend: 'wasm', wasmPaths: '"/nowhere/"' });
  });

  it('auto: falls back to cpu with a warning that says how much slower and why', async () => {
    const lines: string[] = [];
    const logger: BackendLogger = { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) };
    const info = await initBackend({ backend: 'auto', wasmPaths: '/elsewhere/', logger });
    expect(info.name).toBe('cpu');
    expect(info.reason).toMatch(/^backend cpu, about 20x slower than wasm: @tensorflow\/tfjs-node-gpu not installed, @tensorflow\/tfjs-node not installed, wasm did not initialise \(wasmPaths "\/elsewhere\/" comes too late/);
    expect(lines).toEqual([`warn ${info.reason}`]);
  });
});
