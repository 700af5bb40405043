/**
 * A small WebAssembly SIMD module, assembled at run time, that works directly on the tfjs wasm
 * backend's heap (it imports that memory). It gives Bellman's fused kernels 128-bit SIMD loops:
 * scalar JS loops over the heap are 20-40x slower per element than wasm SIMD, which would cancel
 * what fusing saves. Every routine handles whole groups of 4 floats; callers finish the tails.
 */

// Opcodes (WebAssembly core + SIMD, the 0xfd prefix is added by `simd`).
const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32GeU: 0x4f,
  i32Sub: 0x6b,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  if: 0x04,
  else: 0x05,
} as const;
const SIMD = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  shuffle: 0x0d,
  i32x4Splat: 0x11,
  f32x4Splat: 0x13,
  f32x4Gt: 0x44,
  and: 0x4e,
  or: 0x50,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Max: 0xe9,
} as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A function body under construction. */
class Body {
  readonly bytes: number[] = [];
  get(i: number): this {
    this.bytes.push(OP.localGet, ...uleb(i));
    return this;
  }
  set(i: number): this {
    this.bytes.push(OP.localSet, ...uleb(i));
    return this;
  }
  tee(i: number): this {
    this.bytes.push(OP.localTee, ...uleb(i));
    return this;
  }
  i32(v: number): this {
    this.bytes.push(OP.i32Const, ...sleb(v));
    return this;
  }
  op(...codes: number[]): this {
    this.bytes.push(...codes);
    return this;
  }
  simd(code: number, ...immediates: number[]): this {
    this.bytes.push(0xfd, ...uleb(code), ...immediates);
    return this;
  }
  /** v128.load at (local a + local b). */
  load(a: number, b: number): this {
    return this.get(a).get(b).op(OP.i32Add).simd(SIMD.load, 2, 0);
  }
  /** v128.store of the value pushed by `value` at (local a + local b). */
  store(a: number, b: number, value: (body: this) => void): this {
    this.get(a).get(b).op(OP.i32Add);
    value(this);
    return this.simd(SIMD.store, 2, 0);
  }
  /** for (local i = 0; i < local end; i += step) { body } */
  forLoop(i: number, end: number, step: number, inner: (body: this) => void): this {
    this.i32(0).set(i);
    this.op(OP.block, 0x40, OP.loop, 0x40);
    this.get(i).get(end).op(OP.i32GeU, OP.brIf, 1);
    inner(this);
    this.get(i).i32(step).op(OP.i32Add).set(i);
    this.op(OP.br, 0, OP.end, OP.end);
    return this;
  }
}

interface FnSpec {
  name: string;
  params: number[];
  locals: number[];
  body: Body;
}

function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function str(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

/** The largest wasm32 memory, in 64 KiB pages. */
const MAX_PAGES = 65536;

/**
 * The limits of the memory import. A shared import must be declared shared and with a maximum; a
 * memory matches it when its own maximum is at most the declared one, so the wasm32 maximum
 * accepts any heap. An unshared import states only a minimum of one page.
 */
function memoryLimits(shared: boolean): number[] {
  return shared ? [0x03, ...uleb(1), ...uleb(MAX_PAGES)] : [0x00, ...uleb(1)];
}

function assemble(fns: FnSpec[], shared: boolean): Uint8Array<ArrayBuffer> {
  const types = vec(fns.map((f) => [0x60, ...vec(f.params.map((p) => [p])), 0x00]));
  const imports = vec([[...str('env'), ...str('memory'), 0x02, ...memoryLimits(shared)]]);
  const funcs = vec(fns.map((_, i) => uleb(i)));
  const exports = vec(fns.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]));
  const codes = vec(
    fns.map((f) => {
      const locals = vec(f.locals.map((t) => [...uleb(1), t]));
      const body = [...locals, ...f.body.bytes, OP.end];
      return [...uleb(body.length), ...body];
    }),
  );
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, codes),
  ]);
}

/**
 * adam(p, g, m, v, pOut, mOut, vOut, bytes, stepSize, beta1, 1 - beta1, beta2, 1 - beta2, epsilon,
 * 1/sqrtBias2, gradScale). Every constant comes from the caller, computed in float64 and rounded
 * once to float32 at the call: 1 - beta built here from float32 beta would be off by beta's
 * rounding error over 1 - beta (1 - f32(0.999) = 9.99987e-4, v low by 1.3e-5 relative), while the
 * JS loop that finishes the tail uses the exact value.
 */
function adamFn(): FnSpec {
  const [p, g, m, v, po, mo, vo, bytes] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [stepSize, b1, oneMinusB1, b2, oneMinusB2, eps, invBias2, scale] = [8, 9, 10, 11, 12, 13, 14, 15];
  const off = 16;
  const [vStep, vB1, v1B1, vB2, v1B2, vEps, vInv, vScale, vg, vm, vv] = [17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];
  const b = new Body();
  const splat = (from: number, to: number) => b.get(from).simd(SIMD.f32x4Splat).set(to);
  splat(stepSize, vStep);
  splat(b1, vB1);
  splat(oneMinusB1, v1B1);
  splat(b2, vB2);
  splat(oneMinusB2, v1B2);
  splat(eps, vEps);
  splat(invBias2, vInv);
  splat(scale, vScale);
  b.forLoop(off, bytes, 16, (x) => {
    x.load(g, off).get(vScale).simd(SIMD.f32x4Mul).set(vg);
    x.get(vB1).load(m, off).simd(SIMD.f32x4Mul).get(v1B1).get(vg).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(vm);
    x.get(vB2).load(v, off).simd(SIMD.f32x4Mul).get(v1B2).get(vg).get(vg).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(vv);
    x.store(mo, off, (y) => y.get(vm));
    x.store(vo, off, (y) => y.get(vv));
    x.store(po, off, (y) =>
      y
        .load(p, off)
        .get(vStep)
        .get(vm)
        .simd(SIMD.f32x4Mul)
        .get(vv)
        .simd(SIMD.f32x4Sqrt)
        .get(vInv)
        .simd(SIMD.f32x4Mul)
        .get(vEps)
        .simd(SIMD.f32x4Add)
        .simd(SIMD.f32x4Div)
        .simd(SIMD.f32x4Sub),
    );
  });
  return {
    name: 'adam',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32],
    locals: [I32, V128, V128, V128, V128, V128, V128, V128, V128, V128, V128, V128],
    body: b,
  };
}

/**
 * denseBackward(dy, y, dz, db, rows, rowBytes, vecBytes, linear): over the first vecBytes of each
 * row, dz = dy where y > 0 (everywhere if linear != 0) else 0, and db += dz. db must start at 0.
 */
function denseBackwardFn(): FnSpec {
  const [dy, y, dz, db, rows, rowBytes, vecBytes, linear] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [r, j, base, at, vMask, vg] = [8, 9, 10, 11, 12, 13];
  const b = new Body();
  // All-ones lanes when linear, zeros otherwise: i32x4.splat(-linear).
  b.i32(0).get(linear).op(0x6b).simd(SIMD.i32x4Splat).set(vMask);
  b.forLoop(r, rows, 1, (x) => {
    x.get(r).get(rowBytes).op(OP.i32Mul).set(base);
    x.forLoop(j, vecBytes, 16, (z) => {
      z.get(base).get(j).op(OP.i32Add).set(at);
      z.load(dy, at).load(y, at).i32(0).simd(SIMD.i32x4Splat).simd(SIMD.f32x4Gt).get(vMask).simd(SIMD.or).simd(SIMD.and).set(vg);
      z.store(dz, at, (w) => w.get(vg));
      z.store(db, j, (w) => w.load(db, j).get(vg).simd(SIMD.f32x4Add));
    });
  });
  return {
    name: 'denseBackward',
    params: [I32, I32, I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, V128, V128],
    body: b,
  };
}

/** lerp(target, source, out, bytes, tau): out = tau * source + (1 - tau) * target. */
function lerpFn(): FnSpec {
  const [t, s, o, bytes, tau] = [0, 1, 2, 3, 4];
  const [off, vTau, vKeep] = [5, 6, 7];
  const b = new Body();
  b.get(tau).simd(SIMD.f32x4Splat).set(vTau);
  b.op(0x43, ...f32Bytes(1)).simd(SIMD.f32x4Splat).get(vTau).simd(SIMD.f32x4Sub).set(vKeep);
  b.forLoop(off, bytes, 16, (x) => {
    x.store(o, off, (y) => y.get(vTau).load(s, off).simd(SIMD.f32x4Mul).get(vKeep).load(t, off).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add));
  });
  return { name: 'lerp', params: [I32, I32, I32, I32, F32], locals: [I32, V128, V128], body: b };
}

/**
 * transpose(src, dst, rows4, cols4, rows, cols): the top-left rows4 x cols4 corner (multiples of
 * 4) of a rows x cols matrix, transposed in 4 x 4 register blocks.
 */
function transposeFn(): FnSpec {
  const [src, dst, rows4, cols4, rows, cols] = [0, 1, 2, 3, 4, 5];
  const [i, j, srcRow, dstCol, a0, a1, a2, a3, t0, t1, t2, t3, srcStride, dstStride] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const lo = [0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23];
  const hi = [8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31];
  const first = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
  const second = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];
  const b = new Body();
  b.get(cols).i32(4).op(OP.i32Mul).set(srcStride);
  b.get(rows).i32(4).op(OP.i32Mul).set(dstStride);
  b.forLoop(i, rows4, 4, (x) => {
    // srcRow = src + i * cols * 4
    x.get(src).get(i).get(srcStride).op(OP.i32Mul).op(OP.i32Add).set(srcRow);
    x.forLoop(j, cols4, 4, (y) => {
      const rowAt = (k: number, into: number) => {
        y.get(srcRow).get(j).i32(4).op(OP.i32Mul).op(OP.i32Add);
        if (k > 0) y.get(srcStride).i32(k).op(OP.i32Mul).op(OP.i32Add);
        y.simd(SIMD.load, 2, 0).set(into);
      };
      rowAt(0, a0);
      rowAt(1, a1);
      rowAt(2, a2);
      rowAt(3, a3);
      y.get(a0).get(a1).simd(SIMD.shuffle, ...lo).set(t0);
      y.get(a0).get(a1).simd(SIMD.shuffle, ...hi).set(t1);
      y.get(a2).get(a3).simd(SIMD.shuffle, ...lo).set(t2);
      y.get(a2).get(a3).simd(SIMD.shuffle, ...hi).set(t3);
      // dstCol = dst + (j * rows + i) * 4
      y.get(dst).get(j).get(dstStride).op(OP.i32Mul).op(OP.i32Add).get(i).i32(4).op(OP.i32Mul).op(OP.i32Add).set(dstCol);
      const put = (k: number, left: number, right: number, lanes: number[]) => {
        y.get(dstCol);
        if (k > 0) y.get(dstStride).i32(k).op(OP.i32Mul).op(OP.i32Add);
        y.get(left).get(right).simd(SIMD.shuffle, ...lanes).simd(SIMD.store, 2, 0);
      };
      put(0, t0, t2, first);
      put(1, t0, t2, second);
      put(2, t1, t3, first);
      put(3, t1, t3, second);
    });
  });
  return {
    name: 'transpose',
    params: [I32, I32, I32, I32, I32, I32],
    locals: [I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128, I32, I32],
    body: b,
  };
}

/**
 * How a GEMM kernel walks A: `strided` reads A[i, k] at a + i * aRowStride + k * aColStride for any
 * strides; `panel` reads a tile's `rows` rows at consecutive floats (a + i * aRowStride + 4 r, then
 * + aColStride per k step): A^T in place (aRowStride 4) or A packed in panels (packPanels16). One
 * address update per k step instead of one per row: at 4 x 8 a step is 16 SIMD arithmetic
 * instructions, and the per-row updates of the strided form add a quarter to them.
 */
export type GemmLayout = 'strided' | 'panel';

/**
 * gemm{rows}x{4 * vectors}(a, b, c, m, nBytes, k, aRowStride, aColStride, bRowStride, cRowStride, init, bias, relu, bPanelStride):
 * C[i, j] = start + sum_k A[i, k] B[k, j] for i < m (a multiple of `rows`) and the first nBytes of
 * each row of C (a multiple of 16 * vectors), every stride in bytes. start is 0 (init 0), C itself
 * (init 1: accumulate) or bias[j] (init 2, bias a float address); relu != 0 stores max(C, 0).
 * B is read in column panels of 4 * vectors floats: panel p's row k at b + p * bPanelStride +
 * k * bRowStride (row-major B: bPanelStride = 16 * vectors; packed B: bRowStride = 16 * vectors,
 * bPanelStride = k * bRowStride). For each panel the kernel sweeps every tile of rows x (4 *
 * vectors) outputs, which keeps its sums in registers while k runs; A's entries are splat loads
 * and B's rows vector loads.
 */
function gemmFn(rows: number, vectors: number, layout: GemmLayout): FnSpec {
  const [a, b, c, m, nBytes, k, aRowStride, aColStride, bRowStride, cRowStride, init, bias, relu, bPanelStride] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  let next = 14;
  const i = next++;
  const jb = next++;
  const kk = next++;
  const pb = next++;
  const pc = next++;
  const panel = next++;
  const pa = Array.from({ length: rows }, () => next++);
  const firstVector = next;
  const acc = Array.from({ length: rows * vectors }, () => next++);
  const bv = Array.from({ length: vectors }, () => next++);
  const splat = next++;
  const zero = next++;
  const vectorCount = next - firstVector;
  const body = new Body();
  // Alignment hint 4 bytes (float rows need not be 16-byte aligned), then the offset.
  const memarg = (offset: number) => [2, ...uleb(offset)];
  const rowOfC = (y: Body, r: number) => {
    y.get(pc);
    if (r > 0) y.get(cRowStride).i32(r).op(OP.i32Mul).op(OP.i32Add);
  };
  const addTo = (y: Body, local: number, amount: number) => y.get(local).get(amount).op(OP.i32Add).set(local);
  body.op(0x43, ...f32Bytes(0)).simd(SIMD.f32x4Splat).set(zero);
  body.get(b).set(panel);
  body.forLoop(jb, nBytes, 16 * vectors, (x) => {
    x.forLoop(i, m, rows, (y) => {
      // pa[r] = a + (i + r) * aRowStride; pb = this panel; pc = c + i * cRowStride + jb
      y.get(a).get(i).get(aRowStride).op(OP.i32Mul).op(OP.i32Add).set(pa[0]!);
      if (layout === 'strided') for (let r = 1; r < rows; r++) y.get(pa[r - 1]!).get(aRowStride).op(OP.i32Add).set(pa[r]!);
      y.get(panel).set(pb);
      y.get(c).get(i).get(cRowStride).op(OP.i32Mul).op(OP.i32Add).get(jb).op(OP.i32Add).set(pc);
      for (let r = 0; r < rows; r++) {
        for (let v = 0; v < vectors; v++) {
          // init == 0 ? zero : init == 1 ? C[row r] : bias
          y.get(init).op(OP.i32Eqz, OP.if, V128).get(zero).op(OP.else);
          y.get(init).i32(1).op(OP.i32Eq, OP.if, V128);
          rowOfC(y, r);
          y.simd(SIMD.load, ...memarg(16 * v));
          y.op(OP.else).get(bias).get(jb).op(OP.i32Add).simd(SIMD.load, ...memarg(16 * v)).op(OP.end);
          y.op(OP.end).set(acc[r * vectors + v]!);
        }
      }
      y.get(k).set(kk);
      y.get(kk).op(OP.i32Eqz, OP.if, 0x40).op(OP.else);
      y.op(OP.loop, 0x40);
      for (let v = 0; v < vectors; v++) y.get(pb).simd(SIMD.load, ...memarg(16 * v)).set(bv[v]!);
      for (let r = 0; r < rows; r++) {
        y.get(pa[layout === 'panel' ? 0 : r]!).simd(SIMD.load32Splat, ...memarg(layout === 'panel' ? 4 * r : 0)).set(splat);
        for (let v = 0; v < vectors; v++) {
          const t = acc[r * vectors + v]!;
          y.get(t).get(splat).get(bv[v]!).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(t);
        }
        if (layout === 'strided') addTo(y, pa[r]!, aColStride);
      }
      if (layout === 'panel') addTo(y, pa[0]!, aColStride);
      addTo(y, pb, bRowStride);
      y.get(kk).i32(1).op(OP.i32Sub).tee(kk).op(OP.brIf, 0);
      y.op(OP.end, OP.end);
      y.get(relu).op(OP.if, 0x40);
      for (const t of acc) y.get(t).get(zero).simd(SIMD.f32x4Max).set(t);
      y.op(OP.end);
      for (let r = 0; r < rows; r++) {
        for (let v = 0; v < vectors; v++) {
          rowOfC(y, r);
          y.get(acc[r * vectors + v]!).simd(SIMD.store, ...memarg(16 * v));
        }
      }
    });
    addTo(x, panel, bPanelStride);
  });
  return {
    name: `gemm${rows}x${4 * vectors}${layout === 'panel' ? 'Panel' : ''}`,
    params: Array.from({ length: 14 }, () => I32),
    locals: [...Array.from({ length: 6 + rows }, () => I32), ...Array.from({ length: vectorCount }, () => V128)],
    body,
  };
}

/**
 * packPanels{16 * vectors}(src, dst, rows, srcRowStride, panels): copies `panels` column panels of
 * 4 * vectors floats from a row-major matrix (rows x panels * 4 * vectors, row stride in bytes) to
 * dst, panel after panel, each one rows x (4 * vectors) contiguous. A GEMM reads a packed panel as
 * one sequential stream: read in place, a panel's rows lie a row stride apart, and with
 * power-of-two widths (256, 1024 floats) they fall into a few cache sets and evict each other.
 * Panels are copied in groups that span a 64-byte cache line of the source, row by row, so that
 * each source line is read once.
 */
function packPanelsFn(vectors: number): FnSpec {
  const [src, dst, rows, srcRowStride, panels] = [0, 1, 2, 3, 4];
  const [p0, q, g, count, from, to, panelBytes] = [5, 6, 7, 8, 9, 10, 11];
  const width = 16 * vectors;
  const group = Math.max(1, 64 / width);
  const b = new Body();
  b.get(rows).i32(width).op(OP.i32Mul).set(panelBytes);
  b.forLoop(p0, panels, group, (x) => {
    // count = min(group, panels - p0)
    x.i32(group).get(panels).get(p0).op(OP.i32Sub).tee(count).i32(group).get(count).op(OP_I32_LT_U, OP_SELECT).set(count);
    x.forLoop(q, rows, 1, (y) => {
      // from = src + q * srcRowStride + p0 * width; to = dst + p0 * panelBytes + q * width
      y.get(src).get(q).get(srcRowStride).op(OP.i32Mul).op(OP.i32Add).get(p0).i32(width).op(OP.i32Mul).op(OP.i32Add).set(from);
      y.get(dst).get(p0).get(panelBytes).op(OP.i32Mul).op(OP.i32Add).get(q).i32(width).op(OP.i32Mul).op(OP.i32Add).set(to);
      y.forLoop(g, count, 1, (z) => {
        for (let v = 0; v < vectors; v++) z.get(to).get(from).simd(SIMD.load, 2, ...uleb(16 * v)).simd(SIMD.store, 2, ...uleb(16 * v));
        z.get(from).i32(width).op(OP.i32Add).set(from);
        z.get(to).get(panelBytes).op(OP.i32Add).set(to);
      });
    });
  });
  return { name: `packPanels${width}`, params: [I32, I32, I32, I32, I32], locals: [I32, I32, I32, I32, I32, I32, I32], body: b };
}

const OP_I32_LT_U = 0x49;
const OP_SELECT = 0x1b;

function f32Bytes(x: number): number[] {
  return [...new Uint8Array(new Float32Array([x]).buffer)];
}

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
  /** (src, dst, rows, srcRowStride, panels): column panels of 4 floats, packed (see packPanelsFn). */
  packPanels16: PackRoutine;
  /** The same with panels of 8 floats. */
  packPanels32: PackRoutine;
}

export type PackRoutine = (src: number, dst: number, rows: number, srcRowStride: number, panels: number) => void;

/** (a, b, c, m, nBytes, k, aRowStride, aColStride, bRowStride, cRowStride, init, bias, relu, bPanelStride), see gemmFn. */
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
 * The module's bytes (exported for tests that validate it). `sharedMemory`: import a shared memory,
 * as the heap of tfjs's threaded wasm build is (a shared and an unshared import never link to the
 * other kind of memory).
 */
export function simdModuleBytes(sharedMemory = false): Uint8Array<ArrayBuffer> {
  return assemble(
    [adamFn(), denseBackwardFn(), lerpFn(), transposeFn(), gemmFn(4, 2, 'strided'), gemmFn(4, 2, 'panel'), gemmFn(1, 2, 'strided'), packPanelsFn(1), packPanelsFn(2)],
    sharedMemory,
  );
}

/** Whether `memory` is a shared heap (tfjs's threaded build under cross-origin isolation). */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** The routines over a heap, or why they could not be built on it. */
export type SimdInstance = { routines: SimdRoutines; error?: undefined } | { routines: null; error: Error };

/** Instantiate the routines over `memory`, built to import it as it is (shared or not). */
export function instantiateSimdRoutines(memory: WebAssembly.Memory): SimdInstance {
  try {
    const module = new WebAssembly.Module(simdModuleBytes(isSharedMemory(memory)));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return { routines: instance.exports as unknown as SimdRoutines };
  } catch (err) {
    return { routines: null, error: err instanceof Error ? err : new Error(String(err)) };
  }
}
