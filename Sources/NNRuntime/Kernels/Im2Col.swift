// im2col and its adjoint col2im for one sample of a convolution, into or out of that sample's
// block of a batched column matrix: the block's rows are `rowStride` elements apart, so the
// blocks of consecutive samples sit side by side and one GEMM covers them all. Each line of
// the unrolled matrix is copied as its zero-padding head and tail around one contiguous (or, for
// a stride above 1, strided) run of the input row, so the inner loops carry no bounds test.

extension ConvolutionGeometry {
  /// The output columns `ox` whose input column `ox·strideX − padLeft + kj` lies inside the
  /// input: `lower..<upper` (empty when none does).
  @inline(__always)
  func validColumns(_ kj: Int) -> (lower: Int, upper: Int) {
    let first = padLeft - kj
    let last = width - 1 + padLeft - kj
    guard last >= 0 else { return (0, 0) }
    let lower = first <= 0 ? 0 : (first + strideX - 1) / strideX
    let upper = Swift.min(outWidth, last / strideX + 1)
    return (Swift.min(lower, upper), upper)
  }

  /// Unrolls one sample's receptive fields: row (c, ki, kj), column (oy, ox) of the block gets
  /// x[c, oy·sy − padTop + ki, ox·sx − padLeft + kj], zero outside the input.
  func im2col<T: PlanScalar>(
    _ x: UnsafePointer<T>, into columns: UnsafeMutablePointer<T>, rowStride: Int
  ) {
    var row = 0
    for c in 0..<inChannels {
      let plane = x + c * height * width
      for ki in 0..<kernelHeight {
        for kj in 0..<kernelWidth {
          let destination = columns + row * rowStride
          row += 1
          let (lower, upper) = validColumns(kj)
          let offset = kj - padLeft
          for oy in 0..<outHeight {
            let line = destination + oy * outWidth
            let iy = oy * strideY - padTop + ki
            guard iy >= 0 && iy < height, lower < upper else {
              line.update(repeating: 0, count: outWidth)
              continue
            }
            let source = plane + iy * width + offset
            if lower > 0 { line.update(repeating: 0, count: lower) }
            if strideX == 1 {
              (line + lower).update(from: source + lower, count: upper - lower)
            } else {
              for ox in lower..<upper { line[ox] = source[ox * strideX] }
            }
            if upper < outWidth { (line + upper).update(repeating: 0, count: outWidth - upper) }
          }
        }
      }
    }
  }

  /// The adjoint of `im2col`: dx (one sample, overwritten) gets the sum of every block entry
  /// taken from each of its elements.
  func col2im<T: PlanScalar>(
    _ columns: UnsafePointer<T>, rowStride: Int, into dx: UnsafeMutablePointer<T>
  ) {
    dx.update(repeating: 0, count: inChannels * height * width)
    var row = 0
    for c in 0..<inChannels {
      let plane = dx + c * height * width
      for ki in 0..<kernelHeight {
        for kj in 0..<kernelWidth {
          let source = columns + row * rowStride
          row += 1
          let (lower, upper) = validColumns(kj)
          guard lower < upper else { continue }
          let offset = kj - padLeft
          for oy in 0..<outHeight {
            let iy = oy * strideY - padTop + ki
            guard iy >= 0 && iy < height else { continue }
            let line = source + oy * outWidth
            let destination = plane + iy * width + offset
            if strideX == 1 {
              for ox in lower..<upper { destination[ox] += line[ox] }
            } else {
              for ox in lower..<upper { destination[ox * strideX] += line[ox] }
            }
          }
        }
      }
    }
  }
}
