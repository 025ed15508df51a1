// The pooling family: max and average pooling over 2-D windows and their gradients — shape
// rules, gradient rules and kernels side by side. Windows never extend past the input (no
// padding; the output size rounds down, as PyTorch's MaxPool2d and AvgPool2d).

/// One pooling layer's windows over a per-sample input `[channels, height, width]`.
public struct PoolingGeometry: Hashable, Sendable {
  /// Maximum or mean of each window.
  public enum Kind: Hashable, Sendable {
    case max, average

    /// The name a script uses for it.
    public var name: String { self == .max ? "maxpool" : "avgpool" }
  }

  public var kind: Kind
  public var channels: Int
  public var height: Int
  public var width: Int
  public var sizeY: Int
  public var sizeX: Int
  public var strideY: Int
  public var strideX: Int
  public var outHeight: Int
  public var outWidth: Int

  /// The windows of `size` every `stride` over a `[channels, height, width]` input; the caller
  /// has checked that the window fits.
  public init(kind: Kind, input: [Int], size: [Int], stride: [Int]) {
    self.kind = kind
    channels = input[0]
    height = input[1]
    width = input[2]
    sizeY = size[0]
    sizeX = size[1]
    strideY = stride[0]
    strideX = stride[1]
    outHeight = (height - sizeY) / strideY + 1
    outWidth = (width - sizeX) / strideX + 1
  }

  /// `[channels, height, width]`.
  public var inputShape: [Int] { [channels, height, width] }
  /// `[channels, outHeight, outWidth]`.
  public var outputShape: [Int] { [channels, outHeight, outWidth] }
}

// MARK: - Shape rules

extension Graph {
  static func poolingFamilyShape(
    _ op: PoolingOp, _ shapes: [[Int]]
  ) throws(GraphError) -> [Int] {
    switch op {
    case .pool2d(let geometry):
      let x = shapes[0]
      guard x.count == 4, Array(x.dropFirst()) == geometry.inputShape else {
        throw GraphError(message: "\(op.name): the input must be a batch [B, "
                         + "\(geometry.inputShape.map(String.init).joined(separator: ", "))], "
                         + "not shape \(shapeText(x))")
      }
      return [x[0]] + geometry.outputShape
    case .pool2dGradient(let geometry):
      let (x, g) = (shapes[0], shapes[1])
      guard x.count == 4, Array(x.dropFirst()) == geometry.inputShape, g.count == 4,
        g[0] == x[0], Array(g.dropFirst()) == geometry.outputShape
      else {
        throw GraphError(message: "\(op.name): input shape \(shapeText(x)) or gradient shape "
                         + "\(shapeText(g)) does not fit the pooling")
      }
      return x
    }
  }
}

// MARK: - Gradient rules

extension Graph {
  mutating func poolingFamilyGradient(
    _ op: PoolingOp, _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    switch op {
    case .pool2d(let geometry):
      // max: g goes to the first maximum of each window; average: g / window size to each.
      guard needs[0] else { return [] }
      let x = self[node].inputs[0]
      return [(x, try gradientNode(.pool2dGradient(geometry), [x, g], for: node))]
    case .pool2dGradient:
      throw noSecondDerivative(node)
    }
  }
}

// MARK: - Kernels

/// Pooling or its gradient over a batch of `planes` (batch × channels) input planes, a plane at
/// a time: each plane writes only its own output (or input-gradient) plane, so the planes split
/// over threads through `Parallel.forEach`.
struct PoolingKernel<T: PlanScalar> {
  let geometry: PoolingGeometry
  let planes: Int
  let gradient: Bool
  let input: UnsafeMutablePointer<T>
  /// The upstream gradient, for the gradient kernel.
  let upstream: UnsafeMutablePointer<T>?
  let output: UnsafeMutablePointer<T>

  func run() {
    let g = geometry
    let (inSize, outSize) = (g.height * g.width, g.outHeight * g.outWidth)
    let tiles2x2 = g.sizeY == 2 && g.sizeX == 2 && g.strideY == 2 && g.strideX == 2
    Parallel.forEach(planes, grain: 4) { range in
      for plane in range {
        let (x, out) = (input + plane * inSize, plane * outSize)
        switch (g.kind, gradient) {
        case (.max, false) where tiles2x2: max2x2Plane(x, output + out)
        case (.max, true) where tiles2x2:
          max2x2GradientPlane(x, upstream! + out, output + plane * inSize)
        case (.max, false): maxPlane(x, output + out)
        case (.max, true): maxGradientPlane(x, upstream! + out, output + plane * inSize)
        case (.average, false): averagePlane(x, output + out)
        case (.average, true): averageGradientPlane(upstream! + out, output + plane * inSize)
        }
      }
    }
  }

  /// The flat index in the plane of the first maximum of window (oy, ox).
  @inline(__always)
  private func argmax(_ x: UnsafeMutablePointer<T>, _ oy: Int, _ ox: Int) -> Int {
    let g = geometry
    let (top, left) = (oy * g.strideY, ox * g.strideX)
    var best = top * g.width + left
    var largest = x[best]
    for i in top..<(top + g.sizeY) {
      for j in left..<(left + g.sizeX) where x[i * g.width + j] > largest {
        best = i * g.width + j
        largest = x[best]
      }
    }
    return best
  }

  // maxpool(2), the common case, unrolled: in the general loops below the two-element window
  // rows cost more in loop overhead than in comparisons. The comparisons keep the general
  // order (row by row, strictly greater), so the same element wins. Indices use wrapping
  // arithmetic (they cannot overflow: they address the plane), so LLVM can vectorise.

  private func max2x2Plane(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>) {
    let g = geometry
    for oy in 0..<g.outHeight {
      let (upper, lower, out) = (x + 2 * oy * g.width, x + (2 * oy + 1) * g.width,
                                 y + oy * g.outWidth)
      for ox in 0..<g.outWidth {
        var largest = upper[2 &* ox]
        largest = upper[2 &* ox &+ 1] > largest ? upper[2 &* ox &+ 1] : largest
        largest = lower[2 &* ox] > largest ? lower[2 &* ox] : largest
        largest = lower[2 &* ox &+ 1] > largest ? lower[2 &* ox &+ 1] : largest
        out[ox] = largest
      }
    }
  }

  /// Writes every element of `dx`: the window's gradient at its first maximum, zero elsewhere
  /// (and in a last row or column no window covers).
  private func max2x2GradientPlane(
    _ x: UnsafeMutablePointer<T>, _ dy: UnsafeMutablePointer<T>, _ dx: UnsafeMutablePointer<T>
  ) {
    let g = geometry
    for oy in 0..<g.outHeight {
      let (top, bottom) = (2 * oy * g.width, (2 * oy + 1) * g.width)
      for ox in 0..<g.outWidth {
        // Four zeros, then the share stored at the winner's index, chosen by integer selects:
        // which element wins is random, so branches on it (or on float selects, which LLVM
        // lowers to branches here) mispredict.
        let (left, right) = (2 &* ox, 2 &* ox &+ 1)
        let positions = (top &+ left, top &+ right, bottom &+ left, bottom &+ right)
        let values = (x[positions.0], x[positions.1], x[positions.2], x[positions.3])
        let largest1 = values.1 > values.0 ? values.1 : values.0
        let largest2 = values.2 > largest1 ? values.2 : largest1
        var winner = values.1 > values.0 ? positions.1 : positions.0
        winner = values.2 > largest1 ? positions.2 : winner
        winner = values.3 > largest2 ? positions.3 : winner
        (dx[positions.0], dx[positions.1], dx[positions.2], dx[positions.3]) = (0, 0, 0, 0)
        dx[winner] = dy[oy * g.outWidth &+ ox]
      }
      if g.width % 2 == 1 {
        dx[top + g.width - 1] = 0
        dx[bottom + g.width - 1] = 0
      }
    }
    if g.height % 2 == 1 {
      (dx + (g.height - 1) * g.width).update(repeating: 0, count: g.width)
    }
  }

  private func maxPlane(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>) {
    let g = geometry
    for oy in 0..<g.outHeight {
      for ox in 0..<g.outWidth { y[oy * g.outWidth + ox] = x[argmax(x, oy, ox)] }
    }
  }

  /// Each window's gradient goes to its first maximum; `dx` is overwritten.
  private func maxGradientPlane(
    _ x: UnsafeMutablePointer<T>, _ dy: UnsafeMutablePointer<T>, _ dx: UnsafeMutablePointer<T>
  ) {
    let g = geometry
    dx.update(repeating: 0, count: g.height * g.width)
    for oy in 0..<g.outHeight {
      for ox in 0..<g.outWidth { dx[argmax(x, oy, ox)] += dy[oy * g.outWidth + ox] }
    }
  }

  private func averagePlane(_ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>) {
    let g = geometry
    let scale = 1 / T(g.sizeY * g.sizeX)
    for oy in 0..<g.outHeight {
      for ox in 0..<g.outWidth {
        let (top, left) = (oy * g.strideY, ox * g.strideX)
        var total: T = 0
        for i in top..<(top + g.sizeY) {
          for j in left..<(left + g.sizeX) { total += x[i * g.width + j] }
        }
        y[oy * g.outWidth + ox] = total * scale
      }
    }
  }

  /// Each window's gradient, divided by the window size, to every element of it; `dx` is
  /// overwritten.
  private func averageGradientPlane(
    _ dy: UnsafeMutablePointer<T>, _ dx: UnsafeMutablePointer<T>
  ) {
    let g = geometry
    let scale = 1 / T(g.sizeY * g.sizeX)
    dx.update(repeating: 0, count: g.height * g.width)
    for oy in 0..<g.outHeight {
      for ox in 0..<g.outWidth {
        let (top, left) = (oy * g.strideY, ox * g.strideX)
        let share = dy[oy * g.outWidth + ox] * scale
        for i in top..<(top + g.sizeY) {
          for j in left..<(left + g.sizeX) { dx[i * g.width + j] += share }
        }
      }
    }
  }
}

extension Kernel {
  /// The kernel of one node of the pooling family.
  static func poolingFamily(_ op: PoolingOp, _ operands: KernelOperands<T>) -> Kernel {
    let p = operands.inputs
    let x = operands.inputShapes[0]
    switch op {
    case .pool2d(let geometry):
      return .pooling(PoolingKernel(geometry: geometry, planes: x[0] * x[1], gradient: false,
                                    input: p[0], upstream: nil, output: operands.output))
    case .pool2dGradient(let geometry):
      return .pooling(PoolingKernel(geometry: geometry, planes: x[0] * x[1], gradient: true,
                                    input: p[0], upstream: p[1], output: operands.output))
    }
  }
}
