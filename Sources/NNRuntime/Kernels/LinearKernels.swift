// The linear family: linear, addBias, matmul, transpose and linear's weight gradient — shape
// rules, gradient rules and kernels side by side (the head product's are in
// HeadProductKernels.swift). Every matrix product goes through `PlanScalar.gemm` or, with
// strided operands, `stridedGemm` (cblas_sgemm / cblas_dgemm).

// MARK: - Shape rules

extension Graph {
  static func linearFamilyShape(
    _ op: LinearOp, _ shapes: [[Int]]
  ) throws(GraphError) -> [Int] {
    switch op {
    case .linear:
      let (x, w) = (shapes[0], shapes[1])
      guard w.count == 2 else {
        throw GraphError(message: "linear: the weight must be a matrix [out, in], not shape "
                         + shapeText(w))
      }
      guard x.count == 2 else {
        throw GraphError(message: "linear: the input must be a batch [B, \(w[1])], not shape "
                         + "\(shapeText(x)) (weight shape \(shapeText(w)))")
      }
      guard x[1] == w[1] else {
        throw GraphError(message: "linear: input has \(x[1]) features but the weight expects "
                         + "\(w[1]) (weight shape \(shapeText(w)), input shape \(shapeText(x)))")
      }
      return [x[0], w[0]]
    case .addBias:
      let (x, b) = (shapes[0], shapes[1])
      guard b.count == 1, let last = x.last, last == b[0] else {
        throw GraphError(message: "bias: a bias of shape \(shapeText(b)) does not fit an input "
                         + "of shape \(shapeText(x)) (it must be [n] for inputs [..., n])")
      }
      return x
    case .matmul:
      let (a, b) = (shapes[0], shapes[1])
      if a.count > 2 || b.count > 2 { return try batchedMatmulShape(a, b) }
      guard (1...2).contains(a.count) && (1...2).contains(b.count) else {
        throw GraphError(message: "matmul: operands must have at least 1 axis, not shapes "
                         + "\(shapeText(a)) and \(shapeText(b))")
      }
      let inner = a[a.count - 1]
      let rows = b[0]
      guard inner == rows else {
        throw GraphError(message: "matmul: inner dimensions \(inner) and \(rows) differ "
                         + "(shapes \(shapeText(a)) and \(shapeText(b)))")
      }
      return (a.count == 2 ? [a[0]] : []) + (b.count == 2 ? [b[1]] : [])
    case .transpose:
      var x = shapes[0]
      if x.count >= 2 { x.swapAt(x.count - 1, x.count - 2) }
      return x
    case .headMatmul(let product):
      return try headProductShape(product, shapes)
    case .linearWeightGradient:
      let (g, x) = (shapes[0], shapes[1])
      guard g.count == 2, x.count == 2, g[0] == x[0] else {
        throw GraphError(message: "linear_weight_grad: gradient shape \(shapeText(g)) and input "
                         + "shape \(shapeText(x)) must be [B, out] and [B, in]")
      }
      return [g[1], x[1]]
    }
  }

  /// np.matmul of stacks of matrices `[..., m, k] @ [..., k, n]`, the leading axes
  /// broadcasting; a vector operand must be made a matrix first (the language's `@` does).
  static func batchedMatmulShape(_ a: [Int], _ b: [Int]) throws(GraphError) -> [Int] {
    guard !a.isEmpty, !b.isEmpty else {
      throw GraphError(message: "matmul: operands must have at least 1 axis, not shapes "
                       + "\(shapeText(a)) and \(shapeText(b))")
    }
    guard a.count >= 2, b.count >= 2 else {
      throw GraphError(message: "matmul: a vector times a stack of matrices needs the vector "
                       + "as a matrix (shapes \(shapeText(a)) and \(shapeText(b)))")
    }
    let (m, k) = (a[a.count - 2], a[a.count - 1])
    let (rows, n) = (b[b.count - 2], b[b.count - 1])
    guard k == rows else {
      throw GraphError(message: "matmul: inner dimensions \(k) and \(rows) differ "
                       + "(shapes \(shapeText(a)) and \(shapeText(b)))")
    }
    guard let batch = try? Tensor.broadcastShape(Array(a.dropLast(2)), Array(b.dropLast(2)))
    else {
      throw GraphError(message: "matmul: the leading axes of shapes \(shapeText(a)) and "
                       + "\(shapeText(b)) do not broadcast together")
    }
    return batch + [m, n]
  }
}

// MARK: - Gradient rules

extension Graph {
  mutating func linearFamilyGradient(
    _ op: LinearOp, _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    let inputs = self[node].inputs
    var result: [Contribution] = []
    switch op {
    case .linear:
      // y = x · wᵀ: dx = g · w, dw = gᵀ · x.
      if needs[0] {
        result.append((inputs[0], try gradientNode(.matmul, [g, inputs[1]], for: node)))
      }
      if needs[1] {
        result.append((inputs[1],
                       try gradientNode(.linearWeightGradient, [g, inputs[0]], for: node)))
      }
    case .addBias:
      if needs[0] { result.append((inputs[0], g)) }
      if needs[1] {
        let biasShape = shape(of: inputs[1])
        result.append((inputs[1], try reduce(g, to: biasShape, for: node)))
      }
    case .matmul:
      result = try matmulGradient(node, g, needs: needs)
    case .transpose:
      result.append((inputs[0], try gradientNode(.transpose, [g], for: node)))
    case .headMatmul(let product):
      result = try headProductGradient(product, node, g, needs: needs)
    case .linearWeightGradient:
      throw noSecondDerivative(node)
    }
    return result
  }

  /// np.matmul's gradient for each rank combination; a 1-D operand is a row (left) or column
  /// (right) vector, so its gradient is an outer product or a matrix-vector product.
  private mutating func matmulGradient(
    _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    let (a, b) = (self[node].inputs[0], self[node].inputs[1])
    let (aShape, bShape) = (shape(of: a), shape(of: b))
    var result: [Contribution] = []
    func column(_ x: NodeID, _ graph: inout Graph) throws(GraphError) -> NodeID {
      let length = graph.shape(of: x)[0]
      return try graph.gradientNode(.reshape([length, 1]), [x], for: node)
    }
    func row(_ x: NodeID, _ graph: inout Graph) throws(GraphError) -> NodeID {
      let length = graph.shape(of: x)[0]
      return try graph.gradientNode(.reshape([1, length]), [x], for: node)
    }
    if aShape.count > 2 || bShape.count > 2 {
      // Stacks: the 2-D rule per matrix, then summed over any leading axes that broadcast.
      if needs[0] {
        let bT = try gradientNode(.transpose, [b], for: node)
        let part = try gradientNode(.matmul, [g, bT], for: node)
        result.append((a, try reduce(part, to: aShape, for: node)))
      }
      if needs[1] {
        let aT = try gradientNode(.transpose, [a], for: node)
        let part = try gradientNode(.matmul, [aT, g], for: node)
        result.append((b, try reduce(part, to: bShape, for: node)))
      }
      return result
    }
    switch (aShape.count, bShape.count) {
    case (2, 2):
      if needs[0] {
        let bT = try gradientNode(.transpose, [b], for: node)
        result.append((a, try gradientNode(.matmul, [g, bT], for: node)))
      }
      if needs[1] {
        let aT = try gradientNode(.transpose, [a], for: node)
        result.append((b, try gradientNode(.matmul, [aT, g], for: node)))
      }
    case (2, 1):
      // y[m] = A[m, k] · v[k]: dA = g ⊗ v, dv = Aᵀ · g.
      if needs[0] {
        let (left, right) = (try column(g, &self), try row(b, &self))
        let outer = try gradientNode(.multiply, [left, right], for: node)
        result.append((a, outer))
      }
      if needs[1] {
        let aT = try gradientNode(.transpose, [a], for: node)
        result.append((b, try gradientNode(.matmul, [aT, g], for: node)))
      }
    case (1, 2):
      // y[n] = v[k] · B[k, n]: dv = B · g, dB = v ⊗ g.
      if needs[0] { result.append((a, try gradientNode(.matmul, [b, g], for: node))) }
      if needs[1] {
        let (left, right) = (try column(a, &self), try row(g, &self))
        let outer = try gradientNode(.multiply, [left, right], for: node)
        result.append((b, outer))
      }
    default:
      // A dot product: g is 0-d and broadcasts.
      if needs[0] { result.append((a, try gradientNode(.multiply, [g, b], for: node))) }
      if needs[1] { result.append((b, try gradientNode(.multiply, [g, a], for: node))) }
    }
    return result
  }
}

// MARK: - Kernels

/// linear (+ bias) (+ activation): one GEMM, then bias and activation in one pass over rows.
struct DenseKernel<T: PlanScalar> {
  let input: UnsafeMutablePointer<T>
  let weight: UnsafeMutablePointer<T>
  let bias: UnsafeMutablePointer<T>?
  let output: UnsafeMutablePointer<T>
  let rows: Int
  let inFeatures: Int
  let outFeatures: Int
  let activation: Activation?

  func run() {
    T.gemm(input, transposeA: false, weight, transposeB: true, into: output,
           m: rows, n: outFeatures, k: inFeatures, accumulate: false)
    if let activation {
      ActivationKernel<T>.apply(activation, input: output, bias: bias, output: output,
                                rows: rows, columns: outFeatures)
    } else if let bias {
      BiasKernel(input: output, bias: bias, output: output, rows: rows, columns: outFeatures).run()
    }
  }
}

/// C = op(A) · op(B), or C += … when accumulating.
struct GemmKernel<T: PlanScalar> {
  let a: UnsafeMutablePointer<T>
  let transposeA: Bool
  let b: UnsafeMutablePointer<T>
  let transposeB: Bool
  let c: UnsafeMutablePointer<T>
  let m: Int
  let n: Int
  let k: Int
  let accumulate: Bool

  func run() {
    T.gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: c,
           m: m, n: n, k: k, accumulate: accumulate)
  }
}

/// One GEMM per matrix of a stack: np.matmul's stacks (the operands' leading axes broadcasting
/// to the output's) and the head products, whose matrices are strided blocks of wider tensors.
struct BatchedGemmKernel<T: PlanScalar> {
  let a: UnsafeMutablePointer<T>
  let transposeA: Bool
  let lda: Int
  let b: UnsafeMutablePointer<T>
  let transposeB: Bool
  let ldb: Int
  let c: UnsafeMutablePointer<T>
  let ldc: Int
  let m: Int
  let n: Int
  let k: Int
  let scale: T
  /// Per product: the element offset of its A, B and C matrices.
  let aOffsets: [Int]
  let bOffsets: [Int]
  let cOffsets: [Int]

  init(
    a: UnsafeMutablePointer<T>, transposeA: Bool, lda: Int, b: UnsafeMutablePointer<T>,
    transposeB: Bool, ldb: Int, c: UnsafeMutablePointer<T>, ldc: Int, m: Int, n: Int, k: Int,
    scale: T, aOffsets: [Int], bOffsets: [Int], cOffsets: [Int]
  ) {
    (self.a, self.transposeA, self.lda, self.b, self.transposeB, self.ldb) =
      (a, transposeA, lda, b, transposeB, ldb)
    (self.c, self.ldc, self.m, self.n, self.k, self.scale) = (c, ldc, m, n, k, scale)
    (self.aOffsets, self.bOffsets, self.cOffsets) = (aOffsets, bOffsets, cOffsets)
  }

  /// np.matmul of contiguous stacks.
  init(
    a: UnsafeMutablePointer<T>, transposeA: Bool, b: UnsafeMutablePointer<T>,
    transposeB: Bool, c: UnsafeMutablePointer<T>, aShape: [Int], bShape: [Int],
    outputShape: [Int]
  ) {
    let m = aShape[aShape.count - 2]
    let k = aShape[aShape.count - 1]
    let n = bShape[bShape.count - 1]
    // Matrices as elements: walk the output's leading axes, reading each operand's through
    // its broadcast strides.
    let batch = Array(outputShape.dropLast(2))
    let index = BroadcastIndex(operands: [Array(aShape.dropLast(2)), Array(bShape.dropLast(2))],
                               output: batch)
    var aOffsets: [Int] = []
    var bOffsets: [Int] = []
    for row in 0..<index.rows {
      for j in 0..<index.rowLength {
        aOffsets.append((index.offset(0, row) + j * index.innerStrides[0]) * m * k)
        bOffsets.append((index.offset(1, row) + j * index.innerStrides[1]) * k * n)
      }
    }
    // A folded transpose reads the untransposed source, whose rows are m (or k) long.
    self.init(a: a, transposeA: transposeA, lda: transposeA ? m : k, b: b,
              transposeB: transposeB, ldb: transposeB ? k : n, c: c, ldc: n, m: m, n: n, k: k,
              scale: 1, aOffsets: aOffsets, bOffsets: bOffsets,
              cOffsets: aOffsets.indices.map { $0 * m * n })
  }

  func run() {
    for item in aOffsets.indices {
      stridedGemm(a + aOffsets[item], transposeA: transposeA, lda: lda, b + bOffsets[item],
                  transposeB: transposeB, ldb: ldb, into: c + cOffsets[item], ldc: ldc,
                  m: m, n: n, k: k, scale: scale)
    }
  }
}

/// x + b on every row.
struct BiasKernel<T: PlanScalar> {
  let input: UnsafeMutablePointer<T>
  let bias: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>
  let rows: Int
  let columns: Int

  func run() {
    Parallel.forEach(rows, grain: elementwiseRowGrain(columns)) { part in
      for row in part {
        let x = input + row * columns
        let y = output + row * columns
        for j in 0..<columns { y[j] = x[j] + bias[j] }
      }
    }
  }
}

/// Swaps the last two axes of a stack of matrices.
struct TransposeKernel<T: PlanScalar> {
  let input: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>
  let batch: Int
  let rows: Int
  let columns: Int

  func run() {
    let size = rows * columns
    for item in 0..<batch {
      let x = input + item * size
      let y = output + item * size
      for i in 0..<rows {
        for j in 0..<columns { y[j * rows + i] = x[i * columns + j] }
      }
    }
  }
}

extension Kernel {
  /// The kernel of one node of the linear family.
  static func linearFamily(_ op: LinearOp, _ operands: KernelOperands<T>) -> Kernel {
    let shapes = operands.inputShapes
    let p = operands.inputs
    switch op {
    case .linear:
      return .dense(DenseKernel(input: p[0], weight: p[1], bias: nil, output: operands.output,
                                rows: shapes[0][0], inFeatures: shapes[0][1],
                                outFeatures: shapes[1][0], activation: nil))
    case .addBias:
      let columns = shapes[1][0]
      let rows = columns == 0 ? 0 : shapes[0].reduce(1, *) / columns
      return .addBias(BiasKernel(input: p[0], bias: p[1], output: operands.output,
                                 rows: rows, columns: columns))
    case .matmul:
      let (a, b) = (shapes[0], shapes[1])
      if a.count > 2 || b.count > 2 {
        return .batchedGemm(BatchedGemmKernel(
          a: p[0], transposeA: operands.transposed[0], b: p[1],
          transposeB: operands.transposed[1], c: operands.output, aShape: a, bShape: b,
          outputShape: operands.outputShape))
      }
      let m = a.count == 2 ? a[0] : 1
      let k = a[a.count - 1]
      let n = b.count == 2 ? b[1] : 1
      return .gemm(GemmKernel(a: p[0], transposeA: operands.transposed[0], b: p[1],
                              transposeB: operands.transposed[1], c: operands.output,
                              m: m, n: n, k: k, accumulate: false))
    case .transpose:
      let x = shapes[0]
      let rows = x[x.count - 2]
      let columns = x[x.count - 1]
      return .transpose(TransposeKernel(input: p[0], output: operands.output,
                                        batch: x.dropLast(2).reduce(1, *),
                                        rows: rows, columns: columns))
    case .headMatmul(let product):
      return .headProduct(product, operands)
    case .linearWeightGradient:
      let (g, x) = (shapes[0], shapes[1])
      return .gemm(GemmKernel(a: p[0], transposeA: true, b: p[1], transposeB: false,
                              c: operands.output, m: g[1], n: x[1], k: g[0], accumulate: false))
    }
  }
}
