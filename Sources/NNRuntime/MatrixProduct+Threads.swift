import CBLAS

// Large products cut into one product per pool thread (Plan/Parallel.swift), each a plain
// single-threaded BLAS call on a block of C's rows or columns. OpenBLAS's own threads are
// off once the pool owns the cores: this is how a product still uses all of them.

extension Tensor {
  /// Below this many multiply-adds a product stays on one thread: OpenBLAS's own threshold
  /// (`SMP_THRESHOLD_MIN` · `GEMM_MULTITHREAD_THRESHOLD`, 65,536 · 4), a few µs of work.
  static let splitProductWork = 1 << 18

  /// C is cut at multiples of this many rows or columns, so that every block but the last is
  /// whole micro-tiles of the BLAS kernel (up to 16 wide on AVX-512).
  static let splitProductAlignment = 16

  /// Runs the product `multiplyMatrices` describes over the pool when it is large enough;
  /// false when it should run as one call. The longer of C's two axes is cut (for a tall
  /// activation times a weight, the weight's rows), each block reading whole rows or columns of
  /// A and B through their leading dimensions; every element of C sees the same inner loop as
  /// in one call.
  @inline(__always)
  static func splitProduct<T>(
    _ a: UnsafePointer<T>, transposeA: Bool, _ b: UnsafePointer<T>, transposeB: Bool,
    into c: UnsafeMutablePointer<T>, m: Int, n: Int, k: Int, width: Int?,
    splitting runner: SplitRunner,
    // (A's block, lda, B's block, ldb, C's block, rows, columns); C's rows are n apart.
    call: (UnsafePointer<T>, Int32, UnsafePointer<T>, Int32, UnsafeMutablePointer<T>,
           Int, Int) -> Void
  ) -> Bool {
    // The size first: a small model's products never reach the width's lazy global.
    guard m.multipliedReportingOverflow(by: n).partialValue
      .multipliedReportingOverflow(by: k).partialValue >= splitProductWork,
      (width ?? Parallel.width) > 1
    else { return false }
    let lda = Int32(transposeA ? m : k)
    let ldb = Int32(transposeB ? k : n)
    let alignment = splitProductAlignment
    let columns = n >= m
    let blocks = ((columns ? n : m) + alignment - 1) / alignment
    guard blocks > 1 else { return false }
    // Two non-escaping closures, one called inside the other: Swift asks for this to see
    // that `call` does not escape either.
    withoutActuallyEscaping(call) { call in
      runner(blocks, 1) { part in
        let first = part.lowerBound * alignment
        if columns {
          let span = Swift.min(part.upperBound * alignment, n) - first
          call(a, lda, transposeB ? b + first * k : b + first, ldb, c + first, m, span)
        } else {
          let height = Swift.min(part.upperBound * alignment, m) - first
          call(transposeA ? a + first : a + first * k, lda, b, ldb, c + first * n, height, n)
        }
      }
    }
    return true
  }

  /// `multiplyMatrices` for sizes already checked non-zero, over the pool when it pays.
  static func sgemm(
    _ a: UnsafePointer<Float>, transposeA: Bool, _ b: UnsafePointer<Float>, transposeB: Bool,
    into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool,
    width: Int? = nil, splitting runner: SplitRunner = Parallel.forEach
  ) {
    // One block of C: `rows` × `columns` at `c`, whose rows are all of C's `n` apart.
    func call(
      _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>, _ ldb: Int32,
      _ c: UnsafeMutablePointer<Float>, _ rows: Int, _ columns: Int
    ) {
      cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                  transposeB ? CblasTrans : CblasNoTrans, Int32(rows), Int32(columns), Int32(k),
                  1, a, lda, b, ldb, accumulate ? 1 : 0, c, Int32(n))
    }
    if splitProduct(a, transposeA: transposeA, b, transposeB: transposeB, into: c,
                    m: m, n: n, k: k, width: width, splitting: runner, call: call) { return }
    call(a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), c, m, n)
  }

  /// The Double form of `sgemm`.
  static func dgemm(
    _ a: UnsafePointer<Double>, transposeA: Bool, _ b: UnsafePointer<Double>, transposeB: Bool,
    into c: UnsafeMutablePointer<Double>, m: Int, n: Int, k: Int, accumulate: Bool,
    width: Int? = nil, splitting runner: SplitRunner = Parallel.forEach
  ) {
    // One block of C: `rows` × `columns` at `c`, whose rows are all of C's `n` apart.
    func call(
      _ a: UnsafePointer<Double>, _ lda: Int32, _ b: UnsafePointer<Double>, _ ldb: Int32,
      _ c: UnsafeMutablePointer<Double>, _ rows: Int, _ columns: Int
    ) {
      cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                  transposeB ? CblasTrans : CblasNoTrans, Int32(rows), Int32(columns), Int32(k),
                  1, a, lda, b, ldb, accumulate ? 1 : 0, c, Int32(n))
    }
    if splitProduct(a, transposeA: transposeA, b, transposeB: transposeB, into: c,
                    m: m, n: n, k: k, width: width, splitting: runner, call: call) { return }
    call(a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), c, m, n)
  }
}
