// The activation family: activations, dropout and their gradients — shape rules, gradient
// rules and kernels side by side. Sigmoid never overflows exp; softmax subtracts the row max.

// MARK: - Shape rules

extension Graph {
  static func activationFamilyShape(
    _ op: ActivationOp, _ shapes: [[Int]]
  ) throws(GraphError) -> [Int] {
    switch op {
    case .activation:
      return shapes[0]
    case .causalSoftmax:
      let x = shapes[0]
      guard x.count >= 2, x[x.count - 1] == x[x.count - 2] else {
        throw GraphError(message: "causal_softmax: needs square matrices [..., T, T], not "
                         + "shape \(shapeText(x))")
      }
      return x
    case .dropout(let p):
      guard p >= 0 && p <= 1 else {
        throw GraphError(
          message: "dropout: the probability must be in [0, 1], not \(formatNumber(p))")
      }
      return shapes[0]
    case .activationGradient, .dropoutGradient:
      guard shapes[0] == shapes[1] else {
        throw GraphError(message: "\(op.name): saved shape \(shapeText(shapes[0])) and "
                         + "gradient shape \(shapeText(shapes[1])) differ")
      }
      return shapes[0]
    }
  }
}

// MARK: - Gradient rules

extension Graph {
  mutating func activationFamilyGradient(
    _ op: ActivationOp, _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    let input = self[node].inputs[0]
    switch op {
    case .activation(.identity):
      return [(input, g)]
    case .activation(let activation):
      let saved = activation.gradientUsesOutput ? node : input
      return [(input, try gradientNode(.activationGradient(activation), [saved, g], for: node))]
    case .causalSoftmax:
      // Masked entries are 0 in the output, so softmax's gradient gives them 0 too.
      return [(input, try gradientNode(.activationGradient(.softmax), [node, g], for: node))]
    case .dropout(let p):
      return [(input, try gradientNode(.dropoutGradient(p), [node, g], for: node))]
    case .activationGradient, .dropoutGradient:
      throw noSecondDerivative(node)
    }
  }
}

// MARK: - Kernels

/// Elements per thread below which an element-wise kernel is not split over the pool (a few
/// µs of work: the hand-off costs about one).
let elementwiseGrain = 1 << 14

/// `elementwiseGrain` in rows of `columns` elements.
@inline(__always)
func elementwiseRowGrain(_ columns: Int) -> Int {
  Swift.max(1, elementwiseGrain / Swift.max(columns, 1))
}

/// An activation over rows × columns (softmax works row by row).
struct ActivationKernel<T: PlanScalar> {
  let activation: Activation
  let input: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>
  let rows: Int
  let columns: Int
  /// Softmax of square matrices' rows, row t over columns 0...t (`causal_softmax`).
  var causal = false

  func run() {
    if causal {
      // Row t of each T × T matrix (T = columns): the rows run matrix after matrix.
      for row in 0..<rows {
        let x = input + row * columns
        let y = output + row * columns
        let visible = row % columns + 1
        Self.softmaxRow(x, y, visible)
        (y + visible).update(repeating: 0, count: columns - visible)
      }
      return
    }
    Self.apply(activation, input: input, bias: nil, output: output, rows: rows, columns: columns)
  }

  /// output = f(input + bias) in one pass; `output` may equal `input`.
  static func apply(
    _ activation: Activation, input: UnsafeMutablePointer<T>, bias: UnsafeMutablePointer<T>?,
    output: UnsafeMutablePointer<T>, rows: Int, columns: Int
  ) {
    // Softmax works on rows; every other activation is its scalar function (Activations.swift).
    if case .softmax = activation {
      if bias != nil { map(input, bias, output, rows, columns) { $0 } }
      let source = bias != nil ? output : input
      for row in 0..<rows { softmaxRow(source + row * columns, output + row * columns, columns) }
    } else {
      // Split by rows over the pool; each range runs the one specialised loop.
      Parallel.forEach(rows, grain: elementwiseRowGrain(columns)) { part in
        let offset = part.lowerBound * columns
        activation.withForward { (f: (T) -> T) in
          map(input + offset, bias, output + offset, part.count, columns, f)
        }
      }
    }
  }

  @inline(__always)
  private static func map(
    _ input: UnsafeMutablePointer<T>, _ bias: UnsafeMutablePointer<T>?,
    _ output: UnsafeMutablePointer<T>, _ rows: Int, _ columns: Int, _ f: (T) -> T
  ) {
    if let bias {
      for row in 0..<rows {
        let x = input + row * columns
        let y = output + row * columns
        for j in 0..<columns { y[j] = f(x[j] + bias[j]) }
      }
    } else {
      for i in 0..<rows * columns { output[i] = f(input[i]) }
    }
  }

  /// Softmax of one row by log-sum-exp: subtracting the max keeps every exp ≤ 1.
  @inline(__always)
  static func softmaxRow(
    _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ count: Int
  ) {
    guard count > 0 else { return }
    var largest = x[0]
    for j in 1..<count where x[j] > largest { largest = x[j] }
    var total: T = 0
    for j in 0..<count {
      let e = T.exponential(x[j] - largest)
      y[j] = e
      total += e
    }
    let scale = 1 / total
    for j in 0..<count { y[j] *= scale }
  }
}

/// dL/dx of an activation from `saved` (its output or input, see `gradientUsesOutput`) and the
/// upstream gradient.
struct ActivationGradientKernel<T: PlanScalar> {
  let activation: Activation
  let saved: UnsafeMutablePointer<T>
  let gradient: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>
  let rows: Int
  let columns: Int

  func run() {
    let count = rows * columns
    let (s, g, out) = (saved, gradient, output)
    // Softmax's gradient mixes a row; every other activation's is its scalar derivative.
    if case .softmax = activation {
      // dx = y ⊙ (g − Σ g·y) per row.
      for row in 0..<rows {
        let y = s + row * columns
        let gr = g + row * columns
        let o = out + row * columns
        var dot: T = 0
        for j in 0..<columns { dot += gr[j] * y[j] }
        for j in 0..<columns { o[j] = y[j] * (gr[j] - dot) }
      }
    } else {
      // g is loaded before the test: a load under the condition would be a branch per
      // element, which LLVM can neither vectorise nor predict (relu's mask is random).
      Parallel.forEach(count, grain: elementwiseGrain) { part in
        activation.withBackward { (derivative: (T, T) -> T) in
          for i in part {
            let gi = g[i]
            out[i] = derivative(s[i], gi)
          }
        }
      }
    }
  }
}

/// Inverted dropout: each element is kept with probability 1 − p and scaled by 1/(1 − p); the
/// mask (0 or the scale) is kept in the arena for the gradient.
struct DropoutKernel<T: PlanScalar> {
  let probability: Double
  let input: UnsafeMutablePointer<T>
  let mask: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>
  let rows: Int
  let rowLength: Int
  /// The plan's row offset: the index of this batch's first row within the global batch.
  let rowOffset: UnsafePointer<Int>

  /// Each row's mask comes from its own stream, keyed by one draw from `random` and the row's
  /// index in the global batch. A data-parallel rank holding rows k… of a global batch thus
  /// draws exactly the masks one process running the whole batch draws for those rows, and
  /// every run consumes one value of `random` whatever its batch size, so all ranks' generators
  /// stay in step.
  func run(_ random: inout RandomGenerator) {
    // p = 1 drops everything (PyTorch gives zeros rather than 0 · ∞).
    let scale: T = probability < 1 ? T(1 / (1 - probability)) : 0
    let key = random.next()
    let first = rowOffset.pointee
    for row in 0..<rows {
      var stream = RandomGenerator(seed: key ^ (UInt64(first + row) &* 0x9E37_79B9_7F4A_7C15))
      let base = row * rowLength
      for i in base..<(base + rowLength) {
        let m: T = stream.uniform() < probability ? 0 : scale
        mask[i] = m
        output[i] = input[i] * m
      }
    }
  }
}

/// g · mask, the mask saved by the forward dropout.
struct DropoutGradientKernel<T: PlanScalar> {
  let mask: UnsafeMutablePointer<T>
  let gradient: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>
  let count: Int

  func run() {
    Parallel.forEach(count, grain: elementwiseGrain) { part in
      for i in part { output[i] = gradient[i] * mask[i] }
    }
  }
}

extension Kernel {
  /// The kernel of one node of the activation family (in a training plan; inference plans
  /// alias dropout away before asking).
  static func activationFamily(_ op: ActivationOp, _ operands: KernelOperands<T>) -> Kernel {
    let shape = operands.outputShape
    let columns = shape.last ?? 1
    let count = shape.reduce(1, *)
    let rows = columns == 0 ? 0 : count / columns
    let p = operands.inputs
    switch op {
    case .activation(let activation):
      return .activation(ActivationKernel(activation: activation, input: p[0],
                                          output: operands.output, rows: rows, columns: columns))
    case .causalSoftmax:
      return .activation(ActivationKernel(activation: .softmax, input: p[0],
                                          output: operands.output, rows: rows, columns: columns,
                                          causal: true))
    case .activationGradient(let activation):
      return .activationGradient(ActivationGradientKernel(
        activation: activation, saved: p[0], gradient: p[1], output: operands.output,
        rows: rows, columns: columns))
    case .dropout(let probability):
      // Rows are the batch's samples (the first axis), whatever the sample's shape.
      let batch = shape.first ?? 1
      return .dropout(DropoutKernel(probability: probability, input: p[0],
                                    mask: operands.auxiliary!, output: operands.output,
                                    rows: batch, rowLength: batch == 0 ? 0 : count / batch,
                                    rowOffset: operands.rowOffset))
    case .dropoutGradient:
      // inputs[0] is the dropout node; the compiler passes its mask as that operand.
      return .dropoutGradient(DropoutGradientKernel(mask: p[0], gradient: p[1],
                                                    output: operands.output, count: count))
    }
  }
}
