// Eager tensor operations run the plan's kernels: `Tensor.apply` takes any op of the IR, infers
// its shape with the graph's shape rule and runs the family kernel a plan would bind, so an op
// has one implementation and one set of numerics whether a script calls it on a tensor, on a
// number (in Double) or inside a traced function.

extension Kernel {
  /// The kernel of one node, dispatched to its family; nil for sources (inputs, parameters and
  /// constants are buffers, not kernels).
  static func family(_ op: Op, _ operands: KernelOperands<T>) -> Kernel? {
    switch op {
    case .source: nil
    case .linearAlgebra(let op): .linearFamily(op, operands)
    case .activations(let op): .activationFamily(op, operands)
    case .arithmetic(let op): .arithmeticFamily(op, operands)
    case .reductions(let op): .reductionFamily(op, operands)
    case .losses(let op): .lossFamily(op, operands)
    case .sequences(let op): .sequenceFamily(op, operands)
    case .convolutions(let op): .convolutionFamily(op, operands)
    case .pooling(let op): .poolingFamily(op, operands)
    case .normalization(let op): .normalizationFamily(op, operands)
    case .shaping(let op): .shapingFamily(op, operands)
    case .selection(let op): .selectionFamily(op, operands)
    }
  }

  /// Runs `op` once, outside any plan, as an inference plan would (batchnorm reads its running
  /// statistics). The caller has checked the shapes and refused dropout.
  static func runEagerly(
    _ op: Op, inputs: [UnsafeMutablePointer<T>], shapes: [[Int]],
    output: UnsafeMutablePointer<T>, outputShape: [Int]
  ) {
    var rowOffset = 0
    withUnsafePointer(to: &rowOffset) { rowOffset in
      let operands = KernelOperands(inputs: inputs, inputShapes: shapes, output: output,
                                    outputShape: outputShape, rowOffset: rowOffset)
      guard let kernel = family(op, operands) else { return }
      // No kernel that runs eagerly draws from the generator (dropout is refused).
      var random = RandomGenerator(seed: 0)
      kernel.run(&random)
    }
  }
}

extension Op {
  /// Why the op cannot run on its own, outside a plan; nil when it can.
  var eagerRefusal: String? {
    switch self {
    case .source(.input), .source(.parameter):
      "\(name) nodes exist only in a graph"
    case .activations(.dropout), .activations(.dropoutGradient):
      "\(name) runs only inside a training plan, which draws and keeps its mask"
    case .source(.constant), .linearAlgebra, .activations(.activation),
         .activations(.causalSoftmax), .activations(.activationGradient), .arithmetic,
         .reductions, .losses, .sequences, .convolutions, .pooling, .normalization, .shaping,
         .selection:
      nil
    }
  }
}

extension Tensor {
  /// `op` applied to `operands` now, by the kernel a plan runs for it; the result's shape
  /// comes from the graph's shape rule, so a mismatch is the same error a graph reports.
  public static func apply(_ op: Op, _ operands: [Tensor]) throws(GraphError) -> Tensor {
    if let refusal = op.eagerRefusal { throw GraphError(message: refusal) }
    let shape = try Graph.inferShape(op, operands.map(\.shape))
    if case .source(.constant(let tensor)) = op { return tensor }
    return run(op, operands, shape: shape)
  }

  /// The shape `op` gives operands of `shapes` (the graph's shape rule), or its error: so a
  /// caller can size the result against its limits before `apply` allocates it.
  public static func shape(of op: Op, _ shapes: [[Int]]) throws(GraphError) -> [Int] {
    try Graph.inferShape(op, shapes)
  }

  /// `apply` once the shape is known to be right.
  static func run(_ op: Op, _ operands: [Tensor], shape: [Int]) -> Tensor {
    let result = TensorStorage(count: shape.reduce(1, *))
    // Kernels read their operands and write only `output`.
    withExtendedLifetime(operands) {
      Kernel<Float>.runEagerly(op, inputs: operands.map(\.storage.pointer),
                               shapes: operands.map(\.shape), output: result.pointer,
                               outputShape: shape)
    }
    return Tensor(shape: shape, storage: result)
  }

  /// A unary element-wise op of the IR on one number, computed in Double by the same kernel
  /// (a script's numbers are 64-bit).
  public static func apply(_ op: Op, toNumber x: Double) throws(GraphError) -> Double {
    if let refusal = op.eagerRefusal { throw GraphError(message: refusal) }
    let shape = try Graph.inferShape(op, [[]])
    guard shape.isEmpty else {
      throw GraphError(message: "\(op.name) of a number is not a number")
    }
    var input = x
    var output = 0.0
    withUnsafeMutablePointer(to: &input) { input in
      withUnsafeMutablePointer(to: &output) { output in
        Kernel<Double>.runEagerly(op, inputs: [input], shapes: [[]], output: output,
                                  outputShape: [])
      }
    }
    return output
  }
}
