// The normalisation family: batch normalisation (per feature or per channel, over the batch)
// and layer normalisation (per sample, over its whole shape) — shape rules, gradient rules and
// kernels side by side.
//
// Batch normalisation follows PyTorch's BatchNorm1d/2d: a training plan normalises with the
// batch's mean and biased variance and moves the running statistics towards them
// (`running = (1 − momentum)·running + momentum·batch`, the UNBIASED variance for the running
// variance); an inference plan normalises with the running statistics. The running statistics
// are operands that live in the parameter store (see `Network.bufferParameters`); no gradient
// flows to them and the trainer keeps the optimizer's hands off them.

/// One normalisation layer over per-sample inputs of `shape`.
public struct NormalizationGeometry: Hashable, Sendable {
  /// Statistics over the batch (per feature / channel) or over each sample.
  public enum Kind: Hashable, Sendable {
    case batch, layer

    /// The name a script uses for it.
    public var name: String { self == .batch ? "batchnorm" : "layernorm" }
  }

  public var kind: Kind
  /// The per-sample shape: `[features]` or `[channels, height, width]` (any for layernorm).
  public var shape: [Int]
  public var epsilon: Double
  /// The weight of the batch statistics in the running statistics (batchnorm).
  public var momentum: Double

  public init(kind: Kind, shape: [Int], epsilon: Double = 1e-5, momentum: Double = 0.1) {
    self.kind = kind
    self.shape = shape
    self.epsilon = epsilon
    self.momentum = momentum
  }

  /// The shape of gamma and beta (and of the running statistics): `[features]` or `[channels]`
  /// for batchnorm, the per-sample shape for layernorm.
  public var parameterShape: [Int] { kind == .batch ? [shape.first ?? 1] : shape }

  /// Features or channels (batchnorm), or elements per sample (layernorm).
  var channels: Int { kind == .batch ? (shape.first ?? 1) : shape.reduce(1, *) }
  /// Elements of one channel of one sample (batchnorm: height × width, or 1).
  var spatial: Int { kind == .batch ? shape.dropFirst().reduce(1, *) : 1 }
  /// The number of operands of the forward op.
  var operandCount: Int { kind == .batch ? 5 : 3 }
}

// MARK: - Shape rules

extension Graph {
  static func normalizationFamilyShape(
    _ op: NormalizationOp, _ shapes: [[Int]]
  ) throws(GraphError) -> [Int] {
    let geometry: NormalizationGeometry
    switch op {
    case .normalize(let n), .normalizeInputGradient(let n), .normalizeScaleGradient(let n):
      geometry = n
    }
    let x = shapes[0]
    guard x.count == geometry.shape.count + 1, Array(x.dropFirst()) == geometry.shape else {
      throw GraphError(message: "\(op.name): the input must be a batch [B, "
                       + "\(geometry.shape.map(String.init).joined(separator: ", "))], "
                       + "not shape \(shapeText(x))")
    }
    // Every other operand is a parameter of the parameter shape or the upstream gradient.
    let parameterShape = geometry.parameterShape
    for shape in shapes.dropFirst() where shape != parameterShape && shape != x {
      throw GraphError(message: "\(op.name): operand shape \(shapeText(shape)) fits neither the "
                       + "input \(shapeText(x)) nor the parameters \(shapeText(parameterShape))")
    }
    if case .normalizeScaleGradient = op { return parameterShape }
    return x
  }
}

// MARK: - Gradient rules

extension Graph {
  mutating func normalizationFamilyGradient(
    _ op: NormalizationOp, _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    let inputs = self[node].inputs
    var result: [Contribution] = []
    switch op {
    case .normalize(let geometry):
      // y = γ·x̂ + β. Training: dx = γ·σ⁻¹/n·(n·g − Σg − x̂·Σ(g·x̂)) over each group;
      // inference (batchnorm): dx = γ·g/√(running var + ε). dγ = Σ g·x̂, dβ = Σ g. No gradient
      // reaches the running statistics.
      let statistics = Array(inputs.dropFirst(3))
      if needs[0] {
        result.append((inputs[0], try gradientNode(
          .normalizeInputGradient(geometry), [inputs[0], inputs[1], g] + statistics, for: node)))
      }
      if needs[1] {
        result.append((inputs[1], try gradientNode(
          .normalizeScaleGradient(geometry), [inputs[0], g] + statistics, for: node)))
      }
      if needs[2] {
        let beta: NodeID
        if geometry.kind == .batch, geometry.shape.count > 1 {
          let kept = [geometry.channels] + Array(repeating: 1, count: geometry.shape.count - 1)
          let perChannel = try gradientNode(.sumToShape(kept), [g], for: node)
          beta = try gradientNode(.reshape([geometry.channels]), [perChannel], for: node)
        } else {
          beta = try gradientNode(.sumToShape(geometry.parameterShape), [g], for: node)
        }
        result.append((inputs[2], beta))
      }
    case .normalizeInputGradient, .normalizeScaleGradient:
      throw noSecondDerivative(node)
    }
    return result
  }
}

// MARK: - Kernels

/// Batch or layer normalisation, or one of its gradients, over a batch of `batch` samples.
struct NormalizationKernel<T: PlanScalar> {
  enum Role { case forward, inputGradient, scaleGradient }

  let geometry: NormalizationGeometry
  let role: Role
  /// Batch statistics (and running-statistics updates) rather than the running statistics.
  let training: Bool
  let batch: Int
  let input: UnsafeMutablePointer<T>
  let gamma: UnsafeMutablePointer<T>?
  let beta: UnsafeMutablePointer<T>?
  let upstream: UnsafeMutablePointer<T>?
  let runningMean: UnsafeMutablePointer<T>?
  let runningVariance: UnsafeMutablePointer<T>?
  let output: UnsafeMutablePointer<T>

  func run() {
    switch geometry.kind {
    case .batch: runBatch()
    case .layer: runLayer()
    }
  }

  /// The mean and 1/√(biased variance + ε) of `count` values at `index(0..<count)`, and the
  /// biased variance.
  @inline(__always)
  private func statistics(count: Int, _ index: (Int) -> Int) -> (mean: T, inverse: T, variance: T) {
    var total: T = 0
    for i in 0..<count { total += input[index(i)] }
    let mean = total / T(count)
    var squares: T = 0
    for i in 0..<count {
      let d = input[index(i)] - mean
      squares += d * d
    }
    let variance = squares / T(count)
    return (mean, 1 / (variance + T(geometry.epsilon)).squareRoot(), variance)
  }

  private func runBatch() {
    let channels = geometry.channels
    let spatial = geometry.spatial
    let n = batch * spatial
    for c in 0..<channels {
      func index(_ i: Int) -> Int { ((i / spatial) * channels + c) * spatial + i % spatial }
      var mean: T
      var inverse: T
      if training {
        let s = statistics(count: n, index)
        (mean, inverse) = (s.mean, s.inverse)
        if role == .forward, let runningMean, let runningVariance {
          let m = T(geometry.momentum)
          let unbiased = n > 1 ? s.variance * T(n) / T(n - 1) : s.variance
          runningMean[c] = (1 - m) * runningMean[c] + m * s.mean
          runningVariance[c] = (1 - m) * runningVariance[c] + m * unbiased
        }
      } else {
        mean = runningMean![c]
        inverse = 1 / (runningVariance![c] + T(geometry.epsilon)).squareRoot()
      }
      switch role {
      case .forward:
        let scale = gamma![c] * inverse
        let shift = beta![c] - mean * scale
        for i in 0..<n {
          let k = index(i)
          output[k] = input[k] * scale + shift
        }
      case .scaleGradient:
        var total: T = 0
        for i in 0..<n {
          let k = index(i)
          total += upstream![k] * (input[k] - mean) * inverse
        }
        output[c] = total
      case .inputGradient:
        let g = upstream!
        let scale = gamma![c] * inverse
        if !training {
          for i in 0..<n {
            let k = index(i)
            output[k] = g[k] * scale
          }
          continue
        }
        var sumG: T = 0
        var sumGX: T = 0
        for i in 0..<n {
          let k = index(i)
          sumG += g[k]
          sumGX += g[k] * (input[k] - mean) * inverse
        }
        let count = T(n)
        for i in 0..<n {
          let k = index(i)
          let xhat = (input[k] - mean) * inverse
          output[k] = scale / count * (count * g[k] - sumG - xhat * sumGX)
        }
      }
    }
  }

  private func runLayer() {
    let n = geometry.channels
    let epsilon = T(geometry.epsilon)
    if role == .scaleGradient { output.update(repeating: 0, count: n) }
    for b in 0..<batch {
      let x = input + b * n
      let (mean, inverse) = Self.layerStatistics(x, n, epsilon: epsilon)
      switch role {
      case .forward:
        let (y, gamma, beta) = (output + b * n, gamma!, beta!)
        for j in 0..<n { y[j] = gamma[j] * (x[j] - mean) * inverse + beta[j] }
      case .scaleGradient:
        let g = upstream! + b * n
        for j in 0..<n { output[j] += g[j] * (x[j] - mean) * inverse }
      case .inputGradient:
        let (g, gamma) = (upstream! + b * n, gamma!)
        let (sumD, sumDX) = Self.gradientSums(g, gamma, x, n, mean: mean, inverse: inverse)
        let count = T(n)
        let dx = output + b * n
        for j in 0..<n {
          let xhat = (x[j] - mean) * inverse
          dx[j] = inverse / count * (count * g[j] * gamma[j] - sumD - xhat * sumDX)
        }
      }
    }
  }

  /// The mean and 1/√(biased variance + ε) of one row. Each sum keeps four partial sums: one
  /// chain of dependent adds runs at the adder's latency, four independent ones at its
  /// throughput, and the optimiser may vectorise them (it may not reorder one chain).
  @inline(__always)
  private static func layerStatistics(
    _ x: UnsafeMutablePointer<T>, _ n: Int, epsilon: T
  ) -> (mean: T, inverse: T) {
    var (s0, s1, s2, s3): (T, T, T, T) = (0, 0, 0, 0)
    var j = 0
    while j + 4 <= n {
      s0 += x[j]; s1 += x[j + 1]; s2 += x[j + 2]; s3 += x[j + 3]
      j += 4
    }
    while j < n { s0 += x[j]; j += 1 }
    let mean = ((s0 + s1) + (s2 + s3)) / T(n)
    var (q0, q1, q2, q3): (T, T, T, T) = (0, 0, 0, 0)
    j = 0
    while j + 4 <= n {
      let (d0, d1, d2, d3) = (x[j] - mean, x[j + 1] - mean, x[j + 2] - mean, x[j + 3] - mean)
      q0 += d0 * d0; q1 += d1 * d1; q2 += d2 * d2; q3 += d3 * d3
      j += 4
    }
    while j < n { let d = x[j] - mean; q0 += d * d; j += 1 }
    let variance = ((q0 + q1) + (q2 + q3)) / T(n)
    return (mean, 1 / (variance + epsilon).squareRoot())
  }

  /// Σ g·γ and Σ g·γ·x̂ over one row, with four partial sums each (see `layerStatistics`).
  @inline(__always)
  private static func gradientSums(
    _ g: UnsafeMutablePointer<T>, _ gamma: UnsafeMutablePointer<T>,
    _ x: UnsafeMutablePointer<T>, _ n: Int, mean: T, inverse: T
  ) -> (T, T) {
    var d: (T, T, T, T) = (0, 0, 0, 0)
    var dx: (T, T, T, T) = (0, 0, 0, 0)
    var j = 0
    while j + 4 <= n {
      let (a0, a1) = (g[j] * gamma[j], g[j + 1] * gamma[j + 1])
      let (a2, a3) = (g[j + 2] * gamma[j + 2], g[j + 3] * gamma[j + 3])
      d.0 += a0; d.1 += a1; d.2 += a2; d.3 += a3
      dx.0 += a0 * ((x[j] - mean) * inverse)
      dx.1 += a1 * ((x[j + 1] - mean) * inverse)
      dx.2 += a2 * ((x[j + 2] - mean) * inverse)
      dx.3 += a3 * ((x[j + 3] - mean) * inverse)
      j += 4
    }
    while j < n {
      let a = g[j] * gamma[j]
      d.0 += a
      dx.0 += a * ((x[j] - mean) * inverse)
      j += 1
    }
    return ((d.0 + d.1) + (d.2 + d.3), (dx.0 + dx.1) + (dx.2 + dx.3))
  }
}

extension Kernel {
  /// The kernel of one node of the normalisation family.
  static func normalizationFamily(_ op: NormalizationOp, _ operands: KernelOperands<T>) -> Kernel {
    let p = operands.inputs
    let batch = operands.inputShapes[0].first ?? 1
    switch op {
    case .normalize(let geometry):
      let batchNorm = geometry.kind == .batch
      return .normalization(NormalizationKernel(
        geometry: geometry, role: .forward, training: operands.training || !batchNorm,
        batch: batch, input: p[0], gamma: p[1], beta: p[2], upstream: nil,
        runningMean: batchNorm ? p[3] : nil, runningVariance: batchNorm ? p[4] : nil,
        output: operands.output))
    case .normalizeInputGradient(let geometry):
      let batchNorm = geometry.kind == .batch
      return .normalization(NormalizationKernel(
        geometry: geometry, role: .inputGradient, training: operands.training || !batchNorm,
        batch: batch, input: p[0], gamma: p[1], beta: nil, upstream: p[2],
        runningMean: batchNorm ? p[3] : nil, runningVariance: batchNorm ? p[4] : nil,
        output: operands.output))
    case .normalizeScaleGradient(let geometry):
      let batchNorm = geometry.kind == .batch
      return .normalization(NormalizationKernel(
        geometry: geometry, role: .scaleGradient, training: operands.training || !batchNorm,
        batch: batch, input: p[0], gamma: nil, beta: nil, upstream: p[1],
        runningMean: batchNorm ? p[2] : nil, runningVariance: batchNorm ? p[3] : nil,
        output: operands.output))
    }
  }
}
