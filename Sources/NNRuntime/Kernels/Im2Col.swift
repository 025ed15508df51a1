// im2col and its adjoint col2im for one sample of a convolution, into or out of that sample's
// block of a batched column matrix: the block's rows are `rowStride` elements apart, so the
// blocks of consecutive samples sit side by side and one GEMM covers them all.
//
// No inner loop tests bounds. Each (channel, ki, kj) row of the block is the input plane
// shifted by (ki − padTop, kj − padLeft): the output rows and columns whose input lies outside
// are found first (`valid`) and zeroed, and the rest copied. With stride 1 and "same" width the
// shifted plane is one contiguous run, copied (or, in col2im, added) in one pass; the elements
// that run wraps across a row's edge are then zeroed column by column: one copy per block row
// rather than a library call per output row of 16 or 32 elements.

extension ConvolutionGeometry {
  /// The outputs `o` of an axis whose input `o·stride − pad + k` lies inside `0..<size`:
  /// `lower..<upper`, empty when none does.
  @inline(__always)
  private static func valid(
    _ k: Int, pad: Int, size: Int, stride: Int, outputs: Int
  ) -> (lower: Int, upper: Int) {
    let (first, last) = (pad - k, size - 1 + pad - k)
    guard last >= 0 else { return (0, 0) }
    let lower = first <= 0 ? 0 : (first + stride - 1) / stride
    let upper = Swift.min(outputs, last / stride + 1)
    return (Swift.min(lower, upper), upper)
  }

  /// Whether each block row is one contiguous run of the shifted input plane.
  private var contiguousRows: Bool { strideX == 1 && strideY == 1 && outWidth == width }

  /// Unrolls one sample's receptive fields: row (c, ki, kj), column (oy, ox) of the block gets
  /// x[c, oy·sy − padTop + ki, ox·sx − padLeft + kj], zero outside the input.
  func im2col<T: PlanScalar>(
    _ x: UnsafePointer<T>, into columns: UnsafeMutablePointer<T>, rowStride: Int
  ) {
    var row = 0
    for c in 0..<inChannels {
      let plane = x + c * height * width
      for ki in 0..<kernelHeight {
        let (top, bottom) = Self.valid(ki, pad: padTop, size: height, stride: strideY,
                                       outputs: outHeight)
        for kj in 0..<kernelWidth {
          let destination = columns + row * rowStride
          row += 1
          let (left, right) = Self.valid(kj, pad: padLeft, size: width, stride: strideX,
                                         outputs: outWidth)
          // Rows whose input is all padding: above `top`, from `bottom`, or all when no
          // column is valid.
          let (zeroTop, zeroBottom) = left < right ? (top, bottom) : (outHeight, outHeight)
          if zeroTop > 0 { destination.update(repeating: 0, count: zeroTop * outWidth) }
          if zeroBottom < outHeight {
            (destination + zeroBottom * outWidth)
              .update(repeating: 0, count: (outHeight - zeroBottom) * outWidth)
          }
          guard top < bottom, left < right else { continue }
          if contiguousRows {
            let shifted = plane + (ki - padTop) * width + kj - padLeft
            let (start, end) = (top * outWidth + left, (bottom - 1) * outWidth + right)
            (destination + start).update(from: shifted + start, count: end - start)
            zeroEdges(destination, rows: top..<bottom, left: left, right: right)
            continue
          }
          for oy in top..<bottom {
            let line = destination + oy * outWidth
            let source = plane + (oy * strideY - padTop + ki) * width + kj - padLeft
            for ox in 0..<left { line[ox] = 0 }
            for ox in left..<right { line[ox] = source[ox &* strideX] }
            for ox in right..<outWidth { line[ox] = 0 }
          }
        }
      }
    }
  }

  /// The adjoint of `im2col`: dx (one sample, overwritten) gets the sum of every block entry
  /// taken from each of its elements. The block's entries for padding are zeroed on the way.
  func col2im<T: PlanScalar>(
    _ columns: UnsafeMutablePointer<T>, rowStride: Int, into dx: UnsafeMutablePointer<T>
  ) {
    dx.update(repeating: 0, count: inChannels * height * width)
    var row = 0
    for c in 0..<inChannels {
      let plane = dx + c * height * width
      for ki in 0..<kernelHeight {
        let (top, bottom) = Self.valid(ki, pad: padTop, size: height, stride: strideY,
                                       outputs: outHeight)
        for kj in 0..<kernelWidth {
          let source = columns + row * rowStride
          row += 1
          let (left, right) = Self.valid(kj, pad: padLeft, size: width, stride: strideX,
                                         outputs: outWidth)
          guard top < bottom, left < right else { continue }
          if contiguousRows {
            // Zeroing the entries that wrap across a row's edge lets one pass add the rest.
            zeroEdges(source, rows: top..<bottom, left: left, right: right)
            // Indexing a shifted pointer, not `t + shift`: an index sum is overflow-checked,
            // which keeps LLVM from vectorising the loop.
            let shifted = plane + (ki - padTop) * width + kj - padLeft
            let (start, end) = (top * outWidth + left, (bottom - 1) * outWidth + right)
            for t in start..<end { shifted[t] += source[t] }
            continue
          }
          for oy in top..<bottom {
            let line = source + oy * outWidth
            let destination = plane + (oy * strideY - padTop + ki) * width + kj - padLeft
            for ox in left..<right { destination[ox &* strideX] += line[ox] }
          }
        }
      }
    }
  }

  /// Zeroes columns `..<left` and `right...` of block rows `rows` (strided stores: one or two
  /// elements per row).
  @inline(__always)
  private func zeroEdges<T: PlanScalar>(
    _ block: UnsafeMutablePointer<T>, rows: Range<Int>, left: Int, right: Int
  ) {
    for ox in 0..<left { for oy in rows { block[oy * outWidth + ox] = 0 } }
    for ox in right..<outWidth { for oy in rows { block[oy * outWidth + ox] = 0 } }
  }
}
