// The committed fused-kernels.generated.ts is what fused-kernels.wat assembles to, and the shared
// variant differs from the unshared one in its memory import only.
//
//   node --test tools/wasm/    (part of `npm test`: tools/wasm/project.json)

/* global WebAssembly, Buffer */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assembleFusedKernels, GENERATED_PATH, sharedVariant } from './build.mjs';

/** The base64 string of one `export const NAME = '...'` of the generated file, as bytes. */
function committedBytes(source, name) {
  const match = source.match(new RegExp(`export const ${name} = '([A-Za-z0-9+/=]*)';`));
  assert.ok(match, `fused-kernels.generated.ts exports ${name}`);
  return new Uint8Array(Buffer.from(match[1], 'base64'));
}

test('fused-kernels.generated.ts holds the bytes fused-kernels.wat assembles to (else run node tools/wasm/build.mjs)', async () => {
  const source = readFileSync(GENERATED_PATH, 'utf8');
  const assembled = await assembleFusedKernels();
  assert.deepEqual(committedBytes(source, 'FUSED_KERNELS_UNSHARED_MEMORY'), assembled.plain);
  assert.deepEqual(committedBytes(source, 'FUSED_KERNELS_SHARED_MEMORY'), assembled.shared);
});

test('the two variants link to their own kind of memory and export the same functions', async () => {
  const { plain, shared } = await assembleFusedKernels();
  const unsharedHeap = new WebAssembly.Memory({ initial: 1 });
  const sharedHeap = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
  const link = (bytes, memory) => new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  assert.throws(() => link(plain, sharedHeap), WebAssembly.LinkError);
  assert.throws(() => link(shared, unsharedHeap), WebAssembly.LinkError);
  const names = (bytes) => WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
  assert.deepEqual(names(plain), ['adam', 'denseBackward', 'lerp', 'transpose', 'gemm4x8', 'gemm4x8Panel', 'gemm1x8', 'packPanels16', 'packPanels32']);
  assert.deepEqual(names(shared), names(plain));
  assert.ok(Object.keys(link(plain, unsharedHeap).exports).length > 0 && Object.keys(link(shared, sharedHeap).exports).length > 0);
  // Same code: the shared variant is 3 bytes longer, the maximum's LEB128 (65536 = 80 80 04).
  assert.equal(shared.length, plain.length + 3);
});

test('the shared variant rewrites exactly the memory import', () => {
  const wat = '(module\n  (import "env" "memory" (memory 1))\n  (func (export "f")))\n';
  assert.equal(sharedVariant(wat), '(module\n  (import "env" "memory" (memory 1 65536 shared))\n  (func (export "f")))\n');
  assert.throws(() => sharedVariant('(module (memory 1))'), /exactly once/);
  assert.throws(() => sharedVariant(wat + wat), /exactly once/);
});
