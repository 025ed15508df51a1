// The reduction family: sum, mean, and the shape plumbing autodiff needs (sumToShape,
// broadcast, reshape) — shape rules, gradient rules and kernels side by side. Sum and mean over
// an axis are a sum down to the shape with that axis set to 1, so one kernel serves them all.

// MARK: - Shape rules

extension Graph {
  static func reductionFamilyShape(
    _ op: ReductionOp, _ shapes: [[Int]]
  ) throws(GraphError) -> [Int] {
    let x = shapes[0]
    switch op {
    case .sum(let axis), .mean(let axis):
      guard let axis else { return [] }
      let normalized = try normalizedAxis(axis, of: x, op: op)
      var result = x
      result.remove(at: normalized)
      return result
    case .sumToShape(let shape):
      guard (try? Tensor.broadcastShape(shape, x)) == x else {
        throw GraphError(message: "sum_to_shape: shape \(shapeText(shape)) does not broadcast to "
                         + "the input shape \(shapeText(x))")
      }
      return shape
    case .broadcast(let shape, _):
      guard (try? Tensor.broadcastShape(x, shape)) == shape else {
        throw GraphError(message: "broadcast: cannot broadcast shape \(shapeText(x)) to "
                         + shapeText(shape))
      }
      return shape
    case .reshape(let shape):
      guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == x.reduce(1, *) else {
        throw GraphError(message: "reshape: cannot reshape shape \(shapeText(x)) to "
                         + shapeText(shape))
      }
      return shape
    }
  }

  /// `axis` made non-negative, or an error naming the op, the axis and the shape.
  static func normalizedAxis(
    _ axis: Int, of shape: [Int], op: ReductionOp
  ) throws(GraphError) -> Int {
    let normalized = axis < 0 ? axis + shape.count : axis
    guard normalized >= 0 && normalized < shape.count else {
      throw GraphError(message: "\(op.name): axis \(axis) is out of range for shape "
                       + shapeText(shape))
    }
    return normalized
  }

  /// The shape `x` reduces to with the reduced axes kept as 1 (the sum-to-shape target).
  static func keptShape(_ x: [Int], axis: Int?) -> [Int] {
    guard let axis else { return x.map { _ in 1 } }
    var result = x
    result[axis < 0 ? axis + x.count : axis] = 1
    return result
  }
}

// MARK: - Gradient rules

extension Graph {
  mutating func reductionFamilyGradient(
    _ op: ReductionOp, _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    let input = self[node].inputs[0]
    let inputShape = shape(of: input)
    switch op {
    case .sum(let axis), .mean(let axis):
      let kept = Graph.keptShape(inputShape, axis: axis)
      let reduced = inputShape.reduce(1, *) / Swift.max(kept.reduce(1, *), 1)
      var scale = 1.0
      if case .mean = op { scale = 1 / Double(reduced) }
      let reshaped = try gradientNode(.reshape(kept), [g], for: node)
      return [(input, try gradientNode(.broadcast(inputShape, scale: scale), [reshaped],
                                       for: node))]
    case .sumToShape:
      return [(input, try gradientNode(.broadcast(inputShape, scale: 1), [g], for: node))]
    case .broadcast(_, let scale):
      var gradient = try reduce(g, to: inputShape, for: node)
      if scale != 1 {
        let factor = try add(.constant(Tensor(scalar: Float(scale))), [])
        gradient = try gradientNode(.multiply, [gradient, factor], for: node)
      }
      return [(input, gradient)]
    case .reshape:
      return [(input, try gradientNode(.reshape(inputShape), [g], for: node))]
    }
  }
}

// MARK: - Kernels

/// Sums an input down to a shape that broadcasts to it, times `scale` (sum, mean, sumToShape).
struct ReduceKernel<T: PlanScalar> {
  let input: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>
  let outputCount: Int
  let scale: T
  /// Walks the input; operand 0 is the output, read through its broadcast strides.
  let index: BroadcastIndex
  /// With several threads and a large input (a convolution's bias gradient, summing a whole
  /// batch of planes): one output-sized sum per thread, each over a contiguous share of the
  /// rows, added in thread order afterwards — the same bits for a given thread count.
  let partials: ScratchBuffer<T>?
  let workers: Int

  /// Elements below which a reduction runs on one thread (the fork-join costs microseconds).
  static var splitElements: Int { 1 << 16 }

  init(
    input: UnsafeMutablePointer<T>, output: UnsafeMutablePointer<T>, outputCount: Int,
    scale: T, index: BroadcastIndex, workers: Int = Parallel.width
  ) {
    (self.input, self.output, self.outputCount, self.scale, self.index) =
      (input, output, outputCount, scale, index)
    let large = index.rows * index.rowLength >= Self.splitElements
    self.workers = large ? Swift.max(1, Swift.min(workers, index.rows)) : 1
    partials = self.workers > 1 ? ScratchBuffer(count: self.workers * outputCount) : nil
  }

  func run() {
    if let partials {
      let (workers, rows, count) = (workers, index.rows, outputCount)
      Parallel.forEach(workers) { parts in
        for worker in parts {
          sum(WorkerPool.range(worker, of: workers, count: rows),
              into: partials.pointer + worker * count)
        }
      }
      output.update(from: partials.pointer, count: count)
      for worker in 1..<workers {
        let partial = partials.pointer + worker * count
        for i in 0..<count { output[i] += partial[i] }
      }
    } else {
      sum(0..<index.rows, into: output)
    }
    if scale != 1 {
      for i in 0..<outputCount { output[i] *= scale }
    }
  }

  /// The rows `rows` of the input summed into `target` (`outputCount` values).
  private func sum(_ rows: Range<Int>, into target: UnsafeMutablePointer<T>) {
    target.update(repeating: 0, count: outputCount)
    let length = index.rowLength
    let inner = index.innerStrides[0]
    for row in rows {
      let x = input + row * length
      let y = target + index.offset(0, row)
      if inner == 0 {
        var total: T = 0
        for j in 0..<length { total += x[j] }
        y[0] += total
      } else {
        for j in 0..<length { y[j] += x[j] }
      }
    }
  }
}

/// Broadcasts an input to a larger shape, times `scale`.
struct BroadcastKernel<T: PlanScalar> {
  let input: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>
  let scale: T
  /// Walks the output; operand 0 is the input.
  let index: BroadcastIndex

  func run() {
    let length = index.rowLength
    let inner = index.innerStrides[0]
    for row in 0..<index.rows {
      let x = input + index.offset(0, row)
      let y = output + row * length
      if inner == 0 {
        let value = x[0] * scale
        for j in 0..<length { y[j] = value }
      } else {
        for j in 0..<length { y[j] = x[j] * scale }
      }
    }
  }
}

extension Kernel {
  /// The kernel of one node of the reduction family (reshape is an alias, never a kernel).
  static func reductionFamily(_ op: ReductionOp, _ operands: KernelOperands<T>) -> Kernel {
    let x = operands.inputShapes[0]
    let p = operands.inputs
    func reduce(to target: [Int], scale: Double) -> Kernel {
      .reduce(ReduceKernel(input: p[0], output: operands.output,
                           outputCount: target.reduce(1, *), scale: T(scale),
                           index: BroadcastIndex(operands: [target], output: x)))
    }
    switch op {
    case .sum(let axis):
      return reduce(to: Graph.keptShape(x, axis: axis), scale: 1)
    case .mean(let axis):
      let kept = Graph.keptShape(x, axis: axis)
      let reduced = x.reduce(1, *) / Swift.max(kept.reduce(1, *), 1)
      // An empty mean is NaN, as in NumPy.
      return reduce(to: kept, scale: reduced == 0 ? .nan : 1 / Double(reduced))
    case .sumToShape(let shape):
      return reduce(to: shape, scale: 1)
    case .broadcast(let shape, let scale):
      return .broadcast(BroadcastKernel(input: p[0], output: operands.output, scale: T(scale),
                                        index: BroadcastIndex(operands: [x], output: shape)))
    case .reshape:
      return .copy(CopyKernel(source: p[0], destination: operands.output,
                              count: x.reduce(1, *)))
    }
  }
}
