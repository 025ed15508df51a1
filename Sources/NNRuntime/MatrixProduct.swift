// With Kernels/HeadProductKernels.swift (its strided products), the only file that talks to
// CBLAS (OpenBLAS): every other matrix product in the runtime comes here.
import CBLAS

extension Tensor {
  /// The matrix product with `np.matmul` semantics: 2-D × 2-D; a 1-D left operand is a row
  /// vector and a 1-D right operand a column vector, the added axis removed afterwards (so
  /// 1-D × 1-D is a 0-d dot product); higher ranks are stacks of matrices whose leading (batch)
  /// axes broadcast.
  public static func matmul(_ a: Tensor, _ b: Tensor) throws(TensorError) -> Tensor {
    let label = "matmul: \(shapeText(a.shape)) @ \(shapeText(b.shape))"
    guard a.rank >= 1 && b.rank >= 1 else {
      throw TensorError(.invalidArgument, "\(label): operands must have at least one axis")
    }
    let aShape = a.rank == 1 ? [1] + a.shape : a.shape
    let bShape = b.rank == 1 ? b.shape + [1] : b.shape
    let m = aShape[aShape.count - 2]
    let k = aShape[aShape.count - 1]
    let n = bShape[bShape.count - 1]
    let bRows = bShape[bShape.count - 2]
    guard k == bRows else {
      throw TensorError(.shapeMismatch, "\(label): inner dimensions \(k) and \(bRows) differ")
    }
    let aBatch = Array(aShape.dropLast(2))
    let bBatch = Array(bShape.dropLast(2))
    let batch: [Int]
    do {
      batch = try broadcastShape(aBatch, bBatch)
    } catch {
      throw TensorError(.shapeMismatch, "\(label): cannot broadcast batch dimensions "
                        + "\(shapeText(aBatch)) and \(shapeText(bBatch))")
    }
    var outShape = batch + [m, n]
    _ = try checkedAllocation(outShape)
    var result = Tensor(zeros: outShape)
    if result.count > 0 && k > 0 {
      let finished = result.fillProduct(a, b, batch: batch, aBatch: aBatch, bBatch: bBatch,
                                        m: m, n: n, k: k)
      if !finished { throw StopRequest.stopped }
    }
    // Drop the axes that 1-D promotion added.
    if b.rank == 1 { outShape.removeLast() }
    if a.rank == 1 { outShape.remove(at: outShape.count - (b.rank == 1 ? 1 : 2)) }
    result.shape = outShape
    return result
  }

  /// The multiply-adds of one block of a large eager product between two stop polls: a few
  /// milliseconds of BLAS, so a stop is honoured within one block however large the product.
  static let productBlock = 1 << 27

  /// `C = A · B` for row-major matrices, in blocks of rows of `productBlock` multiply-adds,
  /// asking `StopRequest` between blocks; false when it stopped (C then incomplete). Each row of
  /// C is one BLAS call's row either way, so the blocks do not change the result.
  private static func multiplyInBlocks(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
    m: Int, n: Int, k: Int
  ) -> Bool {
    let perRow = Swift.max(1, n.multipliedReportingOverflow(by: k).partialValue)
    let rows = Swift.max(1, productBlock / perRow)
    guard rows < m else {
      multiplyMatrices(a, b, into: c, m: m, n: n, k: k)
      return true
    }
    var start = 0
    while start < m {
      if StopRequest.isRequested { return false }
      let count = Swift.min(rows, m - start)
      multiplyMatrices(a + start * k, b, into: c + start * n, m: count, n: n, k: k)
      start += count
    }
    return true
  }

  /// Writes into this (fresh, unshared) tensor the batched product; all sizes are non-zero.
  /// False when a stop was asked for midway (`StopRequest`).
  private mutating func fillProduct(
    _ a: Tensor, _ b: Tensor, batch: [Int], aBatch: [Int], bBatch: [Int], m: Int, n: Int, k: Int
  ) -> Bool {
    let pa = a.storage.pointer
    let pb = b.storage.pointer
    let pc = storage.pointer
    let batchCount = batch.reduce(1, *)
    // A shared right matrix: fold the whole left stack into one tall product (one BLAS call).
    if bBatch.allSatisfy({ $0 == 1 }) && aBatch.reduce(1, *) == batchCount {
      return Tensor.multiplyInBlocks(pa, pb, into: pc, m: batchCount * m, n: n, k: k)
    }
    let aStrides = Tensor.broadcastStrides(aBatch, to: batch).map { $0 * m * k }
    let bStrides = Tensor.broadcastStrides(bBatch, to: batch).map { $0 * k * n }
    var index = [Int](repeating: 0, count: batch.count)
    var aOffset = 0
    var bOffset = 0
    for item in 0..<batchCount {
      guard Tensor.multiplyInBlocks(pa + aOffset, pb + bOffset, into: pc + item * m * n,
                                    m: m, n: n, k: k)
      else { return false }
      var axis = batch.count - 1
      while axis >= 0 {
        index[axis] += 1
        aOffset += aStrides[axis]
        bOffset += bStrides[axis]
        if index[axis] < batch[axis] { break }
        aOffset -= aStrides[axis] * batch[axis]
        bOffset -= bStrides[axis] * batch[axis]
        index[axis] = 0
        axis -= 1
      }
    }
    return true
  }

  /// `C = op(A) · op(B)` (or `C += …` when `accumulate`) for row-major matrices, where `op(A)`
  /// is `m × k` and `op(B)` is `k × n`; `transposeA` means `a` is stored as `k × m`, likewise
  /// `transposeB`. Zero sizes are handled here, never passed to BLAS (whose leading-dimension
  /// checks reject them).
  public static func multiplyMatrices(
    _ a: UnsafePointer<Float>, transposeA: Bool = false,
    _ b: UnsafePointer<Float>, transposeB: Bool = false,
    into c: UnsafeMutablePointer<Float>, m: Int, n: Int, k: Int, accumulate: Bool = false
  ) {
    if m == 0 || n == 0 { return }
    if k == 0 {
      if !accumulate { c.update(repeating: 0, count: m * n) }
      return
    }
    // Through the thread pool (MatrixProduct+Threads.swift), which splits large products.
    sgemm(a, transposeA: transposeA, b, transposeB: transposeB, into: c, m: m, n: n, k: k,
          accumulate: accumulate)
  }
}

extension Tensor {
  /// The Double form of `multiplyMatrices`, for plans that compute in 64 bits (gradient checks).
  public static func multiplyMatrices(
    _ a: UnsafePointer<Double>, transposeA: Bool = false,
    _ b: UnsafePointer<Double>, transposeB: Bool = false,
    into c: UnsafeMutablePointer<Double>, m: Int, n: Int, k: Int, accumulate: Bool = false
  ) {
    if m == 0 || n == 0 { return }
    if k == 0 {
      if !accumulate { c.update(repeating: 0, count: m * n) }
      return
    }
    // Through the thread pool (MatrixProduct+Threads.swift), which splits large products.
    dgemm(a, transposeA: transposeA, b, transposeB: transposeB, into: c, m: m, n: n, k: k,
          accumulate: accumulate)
  }
}

/// The BLAS library every matrix product goes through (OpenBLAS), for version lines and
/// benchmark reports: its speed depends on the kernel it picked for the processor.
public enum BLASLibrary {
  /// OpenBLAS's name for the kernel it chose at load time, e.g. "Haswell" or "Cooperlake"
  /// (`OPENBLAS_CORETYPE` overrides its choice).
  public static var coreName: String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name)
  }
}
