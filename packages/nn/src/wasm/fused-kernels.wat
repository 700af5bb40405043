;; Bellman's fused kernels: 128-bit SIMD loops that work directly on the tfjs wasm backend's heap,
;; which the module imports as its memory. Scalar JS loops over the heap are 20-40x slower per
;; element than wasm SIMD, which would cancel what fusing saves. Every routine handles whole groups
;; of 4 floats; callers finish the tails.
;;
;; Every address and length is in bytes. Floats need not be 16-byte aligned, so every v128 load and
;; store says align=4.
;;
;; tools/wasm/build.mjs assembles this file into fused-kernels.generated.ts, once as written and
;; once with the memory import below declared shared (see that script).
(module
  (import "env" "memory" (memory 1))

  ;; adam(p, g, m, v, pOut, mOut, vOut, bytes, stepSize, beta1, 1 - beta1, beta2, 1 - beta2,
  ;;      epsilon, 1 / sqrt(bias2), gradScale):
  ;;   grad = gradScale * g
  ;;   mOut = beta1 m + (1 - beta1) grad
  ;;   vOut = beta2 v + (1 - beta2) grad^2
  ;;   pOut = p - stepSize mOut / (sqrt(vOut) / sqrt(bias2) + epsilon)
  ;; over `bytes` of each array. Every constant comes from the caller, computed in float64 and
  ;; rounded once to float32 at the call: 1 - beta built here from float32 beta would be off by
  ;; beta's rounding error over 1 - beta (1 - f32(0.999) = 9.99987e-4, v low by 1.3e-5 relative),
  ;; while the JS loop that finishes the tail uses the exact value.
  (func (export "adam")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32)
    (param $pOut i32) (param $mOut i32) (param $vOut i32) (param $bytes i32)
    (param $stepSize f32) (param $beta1 f32) (param $oneMinusBeta1 f32) (param $beta2 f32)
    (param $oneMinusBeta2 f32) (param $epsilon f32) (param $invSqrtBias2 f32) (param $gradScale f32)
    (local $off i32)
    (local $vStep v128) (local $vBeta1 v128) (local $vOneMinusBeta1 v128) (local $vBeta2 v128)
    (local $vOneMinusBeta2 v128) (local $vEpsilon v128) (local $vInvSqrtBias2 v128)
    (local $vGradScale v128) (local $grad v128) (local $newM v128) (local $newV v128)
    (local.set $vStep (f32x4.splat (local.get $stepSize)))
    (local.set $vBeta1 (f32x4.splat (local.get $beta1)))
    (local.set $vOneMinusBeta1 (f32x4.splat (local.get $oneMinusBeta1)))
    (local.set $vBeta2 (f32x4.splat (local.get $beta2)))
    (local.set $vOneMinusBeta2 (f32x4.splat (local.get $oneMinusBeta2)))
    (local.set $vEpsilon (f32x4.splat (local.get $epsilon)))
    (local.set $vInvSqrtBias2 (f32x4.splat (local.get $invSqrtBias2)))
    (local.set $vGradScale (f32x4.splat (local.get $gradScale)))
    (local.set $off (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $off) (local.get $bytes)))
        (local.set $grad
          (f32x4.mul (v128.load align=4 (i32.add (local.get $g) (local.get $off))) (local.get $vGradScale)))
        (local.set $newM
          (f32x4.add
            (f32x4.mul (local.get $vBeta1) (v128.load align=4 (i32.add (local.get $m) (local.get $off))))
            (f32x4.mul (local.get $vOneMinusBeta1) (local.get $grad))))
        (local.set $newV
          (f32x4.add
            (f32x4.mul (local.get $vBeta2) (v128.load align=4 (i32.add (local.get $v) (local.get $off))))
            (f32x4.mul (local.get $vOneMinusBeta2) (f32x4.mul (local.get $grad) (local.get $grad)))))
        (v128.store align=4 (i32.add (local.get $mOut) (local.get $off)) (local.get $newM))
        (v128.store align=4 (i32.add (local.get $vOut) (local.get $off)) (local.get $newV))
        (v128.store align=4 (i32.add (local.get $pOut) (local.get $off))
          (f32x4.sub
            (v128.load align=4 (i32.add (local.get $p) (local.get $off)))
            (f32x4.div
              (f32x4.mul (local.get $vStep) (local.get $newM))
              (f32x4.add
                (f32x4.mul (f32x4.sqrt (local.get $newV)) (local.get $vInvSqrtBias2))
                (local.get $vEpsilon)))))
        (local.set $off (i32.add (local.get $off) (i32.const 16)))
        (br $next))))

  ;; denseBackward(dy, y, dz, db, rows, rowBytes, vecBytes, linear): the backward pass of a dense
  ;; layer's activation and bias. Over the first vecBytes of each of `rows` rows (rowBytes apart):
  ;; dz = dy where y > 0 (everywhere if linear != 0) else 0, and db += dz. db must start at 0.
  (func (export "denseBackward")
    (param $dy i32) (param $y i32) (param $dz i32) (param $db i32)
    (param $rows i32) (param $rowBytes i32) (param $vecBytes i32) (param $linear i32)
    (local $row i32) (local $col i32) (local $rowStart i32) (local $at i32)
    (local $passAll v128) (local $grad v128)
    ;; All-ones lanes when linear, zeros otherwise: i32x4.splat(-linear).
    (local.set $passAll (i32x4.splat (i32.sub (i32.const 0) (local.get $linear))))
    (local.set $row (i32.const 0))
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $rowStart (i32.mul (local.get $row) (local.get $rowBytes)))
        (local.set $col (i32.const 0))
        (block $colsDone
          (loop $nextCol
            (br_if $colsDone (i32.ge_u (local.get $col) (local.get $vecBytes)))
            (local.set $at (i32.add (local.get $rowStart) (local.get $col)))
            ;; dy masked by (y > 0) | passAll
            (local.set $grad
              (v128.and
                (v128.load align=4 (i32.add (local.get $dy) (local.get $at)))
                (v128.or
                  (f32x4.gt (v128.load align=4 (i32.add (local.get $y) (local.get $at))) (i32x4.splat (i32.const 0)))
                  (local.get $passAll))))
            (v128.store align=4 (i32.add (local.get $dz) (local.get $at)) (local.get $grad))
            (v128.store align=4 (i32.add (local.get $db) (local.get $col))
              (f32x4.add (v128.load align=4 (i32.add (local.get $db) (local.get $col))) (local.get $grad)))
            (local.set $col (i32.add (local.get $col) (i32.const 16)))
            (br $nextCol)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $nextRow))))

  ;; lerp(target, source, out, bytes, tau): out = tau source + (1 - tau) target, over `bytes` (the
  ;; soft update of a target network).
  (func (export "lerp")
    (param $target i32) (param $source i32) (param $out i32) (param $bytes i32) (param $tau f32)
    (local $off i32) (local $vTau v128) (local $vKeep v128)
    (local.set $vTau (f32x4.splat (local.get $tau)))
    (local.set $vKeep (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $vTau)))
    (local.set $off (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $off) (local.get $bytes)))
        (v128.store align=4 (i32.add (local.get $out) (local.get $off))
          (f32x4.add
            (f32x4.mul (local.get $vTau) (v128.load align=4 (i32.add (local.get $source) (local.get $off))))
            (f32x4.mul (local.get $vKeep) (v128.load align=4 (i32.add (local.get $target) (local.get $off))))))
        (local.set $off (i32.add (local.get $off) (i32.const 16)))
        (br $next))))

  ;; transpose(src, dst, rows4, cols4, rows, cols): the top-left rows4 x cols4 corner (multiples
  ;; of 4, counted in floats) of a row-major rows x cols float matrix, transposed into the
  ;; cols x rows matrix at dst in 4 x 4 register blocks: load 4 rows, interleave them with two
  ;; rounds of shuffles, store 4 columns.
  (func (export "transpose")
    (param $src i32) (param $dst i32) (param $rows4 i32) (param $cols4 i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $j i32) (local $srcRow i32) (local $dstCol i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $srcStride i32) (local $dstStride i32)
    (local.set $srcStride (i32.mul (local.get $cols) (i32.const 4)))
    (local.set $dstStride (i32.mul (local.get $rows) (i32.const 4)))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $nextRows
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows4)))
        (local.set $srcRow (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $srcStride))))
        (local.set $j (i32.const 0))
        (block $colsDone
          (loop $nextCols
            (br_if $colsDone (i32.ge_u (local.get $j) (local.get $cols4)))
            ;; a_k = src[i + k, j .. j + 3]
            (local.set $a0
              (v128.load align=4 (i32.add (local.get $srcRow) (i32.mul (local.get $j) (i32.const 4)))))
            (local.set $a1
              (v128.load align=4
                (i32.add
                  (i32.add (local.get $srcRow) (i32.mul (local.get $j) (i32.const 4)))
                  (i32.mul (local.get $srcStride) (i32.const 1)))))
            (local.set $a2
              (v128.load align=4
                (i32.add
                  (i32.add (local.get $srcRow) (i32.mul (local.get $j) (i32.const 4)))
                  (i32.mul (local.get $srcStride) (i32.const 2)))))
            (local.set $a3
              (v128.load align=4
                (i32.add
                  (i32.add (local.get $srcRow) (i32.mul (local.get $j) (i32.const 4)))
                  (i32.mul (local.get $srcStride) (i32.const 3)))))
            ;; t0 = a0[0] a1[0] a0[1] a1[1], t1 = a0[2] a1[2] a0[3] a1[3]; t2, t3 the same of a2, a3
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a0) (local.get $a1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a0) (local.get $a1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a2) (local.get $a3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a2) (local.get $a3)))
            ;; dstCol = the address of dst[j, i]; dst[j + k, i .. i + 3] = src[i .. i + 3, j + k]
            (local.set $dstCol
              (i32.add
                (i32.add (local.get $dst) (i32.mul (local.get $j) (local.get $dstStride)))
                (i32.mul (local.get $i) (i32.const 4))))
            (v128.store align=4 (local.get $dstCol)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $dstCol) (i32.mul (local.get $dstStride) (i32.const 1)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store align=4 (i32.add (local.get $dstCol) (i32.mul (local.get $dstStride) (i32.const 2)))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store align=4 (i32.add (local.get $dstCol) (i32.mul (local.get $dstStride) (i32.const 3)))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $nextCols)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $nextRows))))

  ;; The GEMM kernels. gemm{rows}x8(a, b, c, m, nBytes, k, aRowStride, aColStride, bRowStride,
  ;; cRowStride, init, bias, relu, bPanelStride):
  ;;   C[i, j] = start + sum_k A[i, k] B[k, j]
  ;; for i < m (a multiple of `rows`) and the first nBytes of each row of C (a multiple of 32).
  ;; start is 0 (init 0), C itself (init 1: accumulate) or bias[j] (init 2, bias a float address);
  ;; relu != 0 stores max(C, 0). B is read in column panels of 8 floats: panel p's row k at
  ;; b + p * bPanelStride + k * bRowStride (row-major B: bPanelStride = 32; packed B: bRowStride =
  ;; 32, bPanelStride = k * bRowStride). For each panel the kernel sweeps every tile of rows x 8
  ;; outputs, which keeps the tile's sums in registers ($sum<row><half>) while k runs; A's entries
  ;; are splat loads and B's rows vector loads.
  ;;
  ;; How a kernel walks A: gemm4x8 and gemm1x8 read A[i, k] at a + i * aRowStride + k * aColStride
  ;; for any strides; gemm4x8Panel reads a tile's 4 rows at consecutive floats (a + i * aRowStride
  ;; + 4 r, then + aColStride per k step): A^T in place (aRowStride 4) or A packed in panels
  ;; (packPanels16). One address update per k step instead of one per row: at 4 x 8 a step is 16
  ;; SIMD arithmetic instructions, and the per-row updates of the strided form add a quarter to them.

  ;; gemm4x8: tiles of 4 x 8, A read per row (any strides).
  (func (export "gemm4x8")
    (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $nBytes i32) (param $k i32)
    (param $aRowStride i32) (param $aColStride i32) (param $bRowStride i32) (param $cRowStride i32)
    (param $init i32) (param $bias i32) (param $relu i32) (param $bPanelStride i32)
    (local $i i32) (local $jb i32) (local $kLeft i32) (local $pb i32) (local $pc i32) (local $panel i32)
    (local $pa0 i32) (local $pa1 i32) (local $pa2 i32) (local $pa3 i32)
    (local $sum00 v128) (local $sum01 v128) (local $sum10 v128) (local $sum11 v128)
    (local $sum20 v128) (local $sum21 v128) (local $sum30 v128) (local $sum31 v128)
    (local $bRow0 v128) (local $bRow1 v128) (local $aSplat v128) (local $zero v128)
    (local.set $zero (f32x4.splat (f32.const 0)))
    (local.set $panel (local.get $b))
    (local.set $jb (i32.const 0))
    (block $panelsDone
      (loop $nextPanel
        (br_if $panelsDone (i32.ge_u (local.get $jb) (local.get $nBytes)))
        (local.set $i (i32.const 0))
        (block $tilesDone
          (loop $nextTile
            (br_if $tilesDone (i32.ge_u (local.get $i) (local.get $m)))
            ;; pa<r> = row i + r of A; pb = this panel of B; pc = C[i, jb]
            (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRowStride))))
            (local.set $pa1 (i32.add (local.get $pa0) (local.get $aRowStride)))
            (local.set $pa2 (i32.add (local.get $pa1) (local.get $aRowStride)))
            (local.set $pa3 (i32.add (local.get $pa2) (local.get $aRowStride)))
            (local.set $pb (local.get $panel))
            (local.set $pc (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $cRowStride))) (local.get $jb)))
            ;; sums start at init == 0 ? 0 : init == 1 ? C : bias
            (local.set $sum00 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load align=4 (local.get $pc)))
                (else (v128.load align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum01 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load offset=16 align=4 (local.get $pc)))
                (else (v128.load offset=16 align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum10 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 1)))))
                (else (v128.load align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum11 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load offset=16 align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 1)))))
                (else (v128.load offset=16 align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum20 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 2)))))
                (else (v128.load align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum21 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load offset=16 align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 2)))))
                (else (v128.load offset=16 align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum30 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 3)))))
                (else (v128.load align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum31 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load offset=16 align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 3)))))
                (else (v128.load offset=16 align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $kLeft (local.get $k))
            (if (i32.eqz (local.get $kLeft))
              (then)
              (else
                (loop $nextK
                  ;; sum<r><h> += A[i + r, k] * B[k, half h]
                  (local.set $bRow0 (v128.load align=4 (local.get $pb)))
                  (local.set $bRow1 (v128.load offset=16 align=4 (local.get $pb)))
                  (local.set $aSplat (v128.load32_splat (local.get $pa0)))
                  (local.set $sum00 (f32x4.add (local.get $sum00) (f32x4.mul (local.get $aSplat) (local.get $bRow0))))
                  (local.set $sum01 (f32x4.add (local.get $sum01) (f32x4.mul (local.get $aSplat) (local.get $bRow1))))
                  (local.set $pa0 (i32.add (local.get $pa0) (local.get $aColStride)))
                  (local.set $aSplat (v128.load32_splat (local.get $pa1)))
                  (local.set $sum10 (f32x4.add (local.get $sum10) (f32x4.mul (local.get $aSplat) (local.get $bRow0))))
                  (local.set $sum11 (f32x4.add (local.get $sum11) (f32x4.mul (local.get $aSplat) (local.get $bRow1))))
                  (local.set $pa1 (i32.add (local.get $pa1) (local.get $aColStride)))
                  (local.set $aSplat (v128.load32_splat (local.get $pa2)))
                  (local.set $sum20 (f32x4.add (local.get $sum20) (f32x4.mul (local.get $aSplat) (local.get $bRow0))))
                  (local.set $sum21 (f32x4.add (local.get $sum21) (f32x4.mul (local.get $aSplat) (local.get $bRow1))))
                  (local.set $pa2 (i32.add (local.get $pa2) (local.get $aColStride)))
                  (local.set $aSplat (v128.load32_splat (local.get $pa3)))
                  (local.set $sum30 (f32x4.add (local.get $sum30) (f32x4.mul (local.get $aSplat) (local.get $bRow0))))
                  (local.set $sum31 (f32x4.add (local.get $sum31) (f32x4.mul (local.get $aSplat) (local.get $bRow1))))
                  (local.set $pa3 (i32.add (local.get $pa3) (local.get $aColStride)))
                  (local.set $pb (i32.add (local.get $pb) (local.get $bRowStride)))
                  (br_if $nextK (local.tee $kLeft (i32.sub (local.get $kLeft) (i32.const 1)))))))
            (if (local.get $relu)
              (then
                (local.set $sum00 (f32x4.max (local.get $sum00) (local.get $zero)))
                (local.set $sum01 (f32x4.max (local.get $sum01) (local.get $zero)))
                (local.set $sum10 (f32x4.max (local.get $sum10) (local.get $zero)))
                (local.set $sum11 (f32x4.max (local.get $sum11) (local.get $zero)))
                (local.set $sum20 (f32x4.max (local.get $sum20) (local.get $zero)))
                (local.set $sum21 (f32x4.max (local.get $sum21) (local.get $zero)))
                (local.set $sum30 (f32x4.max (local.get $sum30) (local.get $zero)))
                (local.set $sum31 (f32x4.max (local.get $sum31) (local.get $zero)))))
            (v128.store align=4 (local.get $pc) (local.get $sum00))
            (v128.store offset=16 align=4 (local.get $pc) (local.get $sum01))
            (v128.store align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 1))) (local.get $sum10))
            (v128.store offset=16 align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 1))) (local.get $sum11))
            (v128.store align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 2))) (local.get $sum20))
            (v128.store offset=16 align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 2))) (local.get $sum21))
            (v128.store align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 3))) (local.get $sum30))
            (v128.store offset=16 align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 3))) (local.get $sum31))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $nextTile)))
        (local.set $panel (i32.add (local.get $panel) (local.get $bPanelStride)))
        (local.set $jb (i32.add (local.get $jb) (i32.const 32)))
        (br $nextPanel))))

  ;; gemm4x8Panel: tiles of 4 x 8, a tile's 4 rows of A at consecutive floats (A^T in place, or
  ;; packed A).
  (func (export "gemm4x8Panel")
    (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $nBytes i32) (param $k i32)
    (param $aRowStride i32) (param $aColStride i32) (param $bRowStride i32) (param $cRowStride i32)
    (param $init i32) (param $bias i32) (param $relu i32) (param $bPanelStride i32)
    (local $i i32) (local $jb i32) (local $kLeft i32) (local $pb i32) (local $pc i32) (local $panel i32)
    (local $pa0 i32)
    (local $sum00 v128) (local $sum01 v128) (local $sum10 v128) (local $sum11 v128)
    (local $sum20 v128) (local $sum21 v128) (local $sum30 v128) (local $sum31 v128)
    (local $bRow0 v128) (local $bRow1 v128) (local $aSplat v128) (local $zero v128)
    (local.set $zero (f32x4.splat (f32.const 0)))
    (local.set $panel (local.get $b))
    (local.set $jb (i32.const 0))
    (block $panelsDone
      (loop $nextPanel
        (br_if $panelsDone (i32.ge_u (local.get $jb) (local.get $nBytes)))
        (local.set $i (i32.const 0))
        (block $tilesDone
          (loop $nextTile
            (br_if $tilesDone (i32.ge_u (local.get $i) (local.get $m)))
            ;; pa0 = A's 4 rows from i on; pb = this panel of B; pc = C[i, jb]
            (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRowStride))))
            (local.set $pb (local.get $panel))
            (local.set $pc (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $cRowStride))) (local.get $jb)))
            ;; sums start at init == 0 ? 0 : init == 1 ? C : bias
            (local.set $sum00 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load align=4 (local.get $pc)))
                (else (v128.load align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum01 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load offset=16 align=4 (local.get $pc)))
                (else (v128.load offset=16 align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum10 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 1)))))
                (else (v128.load align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum11 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load offset=16 align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 1)))))
                (else (v128.load offset=16 align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum20 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 2)))))
                (else (v128.load align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum21 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load offset=16 align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 2)))))
                (else (v128.load offset=16 align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum30 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 3)))))
                (else (v128.load align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum31 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load offset=16 align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 3)))))
                (else (v128.load offset=16 align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $kLeft (local.get $k))
            (if (i32.eqz (local.get $kLeft))
              (then)
              (else
                (loop $nextK
                  ;; sum<r><h> += A[i + r, k] * B[k, half h]
                  (local.set $bRow0 (v128.load align=4 (local.get $pb)))
                  (local.set $bRow1 (v128.load offset=16 align=4 (local.get $pb)))
                  (local.set $aSplat (v128.load32_splat (local.get $pa0)))
                  (local.set $sum00 (f32x4.add (local.get $sum00) (f32x4.mul (local.get $aSplat) (local.get $bRow0))))
                  (local.set $sum01 (f32x4.add (local.get $sum01) (f32x4.mul (local.get $aSplat) (local.get $bRow1))))
                  (local.set $aSplat (v128.load32_splat offset=4 (local.get $pa0)))
                  (local.set $sum10 (f32x4.add (local.get $sum10) (f32x4.mul (local.get $aSplat) (local.get $bRow0))))
                  (local.set $sum11 (f32x4.add (local.get $sum11) (f32x4.mul (local.get $aSplat) (local.get $bRow1))))
                  (local.set $aSplat (v128.load32_splat offset=8 (local.get $pa0)))
                  (local.set $sum20 (f32x4.add (local.get $sum20) (f32x4.mul (local.get $aSplat) (local.get $bRow0))))
                  (local.set $sum21 (f32x4.add (local.get $sum21) (f32x4.mul (local.get $aSplat) (local.get $bRow1))))
                  (local.set $aSplat (v128.load32_splat offset=12 (local.get $pa0)))
                  (local.set $sum30 (f32x4.add (local.get $sum30) (f32x4.mul (local.get $aSplat) (local.get $bRow0))))
                  (local.set $sum31 (f32x4.add (local.get $sum31) (f32x4.mul (local.get $aSplat) (local.get $bRow1))))
                  (local.set $pa0 (i32.add (local.get $pa0) (local.get $aColStride)))
                  (local.set $pb (i32.add (local.get $pb) (local.get $bRowStride)))
                  (br_if $nextK (local.tee $kLeft (i32.sub (local.get $kLeft) (i32.const 1)))))))
            (if (local.get $relu)
              (then
                (local.set $sum00 (f32x4.max (local.get $sum00) (local.get $zero)))
                (local.set $sum01 (f32x4.max (local.get $sum01) (local.get $zero)))
                (local.set $sum10 (f32x4.max (local.get $sum10) (local.get $zero)))
                (local.set $sum11 (f32x4.max (local.get $sum11) (local.get $zero)))
                (local.set $sum20 (f32x4.max (local.get $sum20) (local.get $zero)))
                (local.set $sum21 (f32x4.max (local.get $sum21) (local.get $zero)))
                (local.set $sum30 (f32x4.max (local.get $sum30) (local.get $zero)))
                (local.set $sum31 (f32x4.max (local.get $sum31) (local.get $zero)))))
            (v128.store align=4 (local.get $pc) (local.get $sum00))
            (v128.store offset=16 align=4 (local.get $pc) (local.get $sum01))
            (v128.store align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 1))) (local.get $sum10))
            (v128.store offset=16 align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 1))) (local.get $sum11))
            (v128.store align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 2))) (local.get $sum20))
            (v128.store offset=16 align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 2))) (local.get $sum21))
            (v128.store align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 3))) (local.get $sum30))
            (v128.store offset=16 align=4 (i32.add (local.get $pc) (i32.mul (local.get $cRowStride) (i32.const 3))) (local.get $sum31))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $nextTile)))
        (local.set $panel (i32.add (local.get $panel) (local.get $bPanelStride)))
        (local.set $jb (i32.add (local.get $jb) (i32.const 32)))
        (br $nextPanel))))

  ;; gemm1x8: one row of A at a time (the last m % 4 rows), any strides.
  (func (export "gemm1x8")
    (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $nBytes i32) (param $k i32)
    (param $aRowStride i32) (param $aColStride i32) (param $bRowStride i32) (param $cRowStride i32)
    (param $init i32) (param $bias i32) (param $relu i32) (param $bPanelStride i32)
    (local $i i32) (local $jb i32) (local $kLeft i32) (local $pb i32) (local $pc i32) (local $panel i32)
    (local $pa0 i32)
    (local $sum00 v128) (local $sum01 v128)
    (local $bRow0 v128) (local $bRow1 v128) (local $aSplat v128) (local $zero v128)
    (local.set $zero (f32x4.splat (f32.const 0)))
    (local.set $panel (local.get $b))
    (local.set $jb (i32.const 0))
    (block $panelsDone
      (loop $nextPanel
        (br_if $panelsDone (i32.ge_u (local.get $jb) (local.get $nBytes)))
        (local.set $i (i32.const 0))
        (block $tilesDone
          (loop $nextTile
            (br_if $tilesDone (i32.ge_u (local.get $i) (local.get $m)))
            ;; pa0 = row i of A; pb = this panel of B; pc = C[i, jb]
            (local.set $pa0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRowStride))))
            (local.set $pb (local.get $panel))
            (local.set $pc (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $cRowStride))) (local.get $jb)))
            ;; sums start at init == 0 ? 0 : init == 1 ? C : bias
            (local.set $sum00 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load align=4 (local.get $pc)))
                (else (v128.load align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $sum01 (if (result v128) (i32.eqz (local.get $init)) (then (local.get $zero))
              (else (if (result v128) (i32.eq (local.get $init) (i32.const 1))
                (then (v128.load offset=16 align=4 (local.get $pc)))
                (else (v128.load offset=16 align=4 (i32.add (local.get $bias) (local.get $jb))))))))
            (local.set $kLeft (local.get $k))
            (if (i32.eqz (local.get $kLeft))
              (then)
              (else
                (loop $nextK
                  ;; sum0<h> += A[i, k] * B[k, half h]
                  (local.set $bRow0 (v128.load align=4 (local.get $pb)))
                  (local.set $bRow1 (v128.load offset=16 align=4 (local.get $pb)))
                  (local.set $aSplat (v128.load32_splat (local.get $pa0)))
                  (local.set $sum00 (f32x4.add (local.get $sum00) (f32x4.mul (local.get $aSplat) (local.get $bRow0))))
                  (local.set $sum01 (f32x4.add (local.get $sum01) (f32x4.mul (local.get $aSplat) (local.get $bRow1))))
                  (local.set $pa0 (i32.add (local.get $pa0) (local.get $aColStride)))
                  (local.set $pb (i32.add (local.get $pb) (local.get $bRowStride)))
                  (br_if $nextK (local.tee $kLeft (i32.sub (local.get $kLeft) (i32.const 1)))))))
            (if (local.get $relu)
              (then
                (local.set $sum00 (f32x4.max (local.get $sum00) (local.get $zero)))
                (local.set $sum01 (f32x4.max (local.get $sum01) (local.get $zero)))))
            (v128.store align=4 (local.get $pc) (local.get $sum00))
            (v128.store offset=16 align=4 (local.get $pc) (local.get $sum01))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $nextTile)))
        (local.set $panel (i32.add (local.get $panel) (local.get $bPanelStride)))
        (local.set $jb (i32.add (local.get $jb) (i32.const 32)))
        (br $nextPanel))))

  ;; packPanels{16 | 32}(src, dst, rows, srcRowStride, panels): copies `panels` column panels of
  ;; 4 or 8 floats (16 or 32 bytes) from a row-major matrix (rows x panels panel widths, row stride
  ;; in bytes) to dst, panel after panel, each one rows x width contiguous. A GEMM reads a packed
  ;; panel as one sequential stream: read in place, a panel's rows lie a row stride apart, and with
  ;; power-of-two widths (256, 1024 floats) they fall into a few cache sets and evict each other.
  ;; Panels are copied in groups that span a 64-byte cache line of the source, row by row, so that
  ;; each source line is read once.

  ;; packPanels16: panels of 4 floats, copied 4 at a time (64 bytes of each source row).
  (func (export "packPanels16")
    (param $src i32) (param $dst i32) (param $rows i32) (param $srcRowStride i32) (param $panels i32)
    (local $firstPanel i32) (local $row i32) (local $p i32) (local $count i32) (local $from i32) (local $to i32)
    (local $panelBytes i32)
    (local.set $panelBytes (i32.mul (local.get $rows) (i32.const 16)))
    (local.set $firstPanel (i32.const 0))
    (block $groupsDone
      (loop $nextGroup
        (br_if $groupsDone (i32.ge_u (local.get $firstPanel) (local.get $panels)))
        ;; count = min(4, panels - firstPanel)
        (local.set $count
          (select (i32.const 4) (local.tee $count (i32.sub (local.get $panels) (local.get $firstPanel)))
            (i32.lt_u (i32.const 4) (local.get $count))))
        (local.set $row (i32.const 0))
        (block $rowsDone
          (loop $nextRow
            (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
            ;; from = src[row, firstPanel's columns]; to = dst[panel firstPanel, row]
            (local.set $from
              (i32.add
                (i32.add (local.get $src) (i32.mul (local.get $row) (local.get $srcRowStride)))
                (i32.mul (local.get $firstPanel) (i32.const 16))))
            (local.set $to
              (i32.add
                (i32.add (local.get $dst) (i32.mul (local.get $firstPanel) (local.get $panelBytes)))
                (i32.mul (local.get $row) (i32.const 16))))
            (local.set $p (i32.const 0))
            (block $panelsDone
              (loop $nextPanel
                (br_if $panelsDone (i32.ge_u (local.get $p) (local.get $count)))
                    (v128.store align=4 (local.get $to) (v128.load align=4 (local.get $from)))
                (local.set $from (i32.add (local.get $from) (i32.const 16)))
                (local.set $to (i32.add (local.get $to) (local.get $panelBytes)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $nextPanel)))
            (local.set $row (i32.add (local.get $row) (i32.const 1)))
            (br $nextRow)))
        (local.set $firstPanel (i32.add (local.get $firstPanel) (i32.const 4)))
        (br $nextGroup))))

  ;; packPanels32: panels of 8 floats, copied 2 at a time (64 bytes of each source row).
  (func (export "packPanels32")
    (param $src i32) (param $dst i32) (param $rows i32) (param $srcRowStride i32) (param $panels i32)
    (local $firstPanel i32) (local $row i32) (local $p i32) (local $count i32) (local $from i32) (local $to i32)
    (local $panelBytes i32)
    (local.set $panelBytes (i32.mul (local.get $rows) (i32.const 32)))
    (local.set $firstPanel (i32.const 0))
    (block $groupsDone
      (loop $nextGroup
        (br_if $groupsDone (i32.ge_u (local.get $firstPanel) (local.get $panels)))
        ;; count = min(2, panels - firstPanel)
        (local.set $count
          (select (i32.const 2) (local.tee $count (i32.sub (local.get $panels) (local.get $firstPanel)))
            (i32.lt_u (i32.const 2) (local.get $count))))
        (local.set $row (i32.const 0))
        (block $rowsDone
          (loop $nextRow
            (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
            ;; from = src[row, firstPanel's columns]; to = dst[panel firstPanel, row]
            (local.set $from
              (i32.add
                (i32.add (local.get $src) (i32.mul (local.get $row) (local.get $srcRowStride)))
                (i32.mul (local.get $firstPanel) (i32.const 32))))
            (local.set $to
              (i32.add
                (i32.add (local.get $dst) (i32.mul (local.get $firstPanel) (local.get $panelBytes)))
                (i32.mul (local.get $row) (i32.const 32))))
            (local.set $p (i32.const 0))
            (block $panelsDone
              (loop $nextPanel
                (br_if $panelsDone (i32.ge_u (local.get $p) (local.get $count)))
                    (v128.store align=4 (local.get $to) (v128.load align=4 (local.get $from)))
                    (v128.store offset=16 align=4 (local.get $to) (v128.load offset=16 align=4 (local.get $from)))
                (local.set $from (i32.add (local.get $from) (i32.const 32)))
                (local.set $to (i32.add (local.get $to) (local.get $panelBytes)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $nextPanel)))
            (local.set $row (i32.add (local.get $row) (i32.const 1)))
            (br $nextRow)))
        (local.set $firstPanel (i32.add (local.get $firstPanel) (i32.const 2)))
        (br $nextGroup))))
)
