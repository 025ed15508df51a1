import Testing
@testable import NNRuntime

// Shape inference for every op, and the exact messages of its errors (they are shown to the
// user at the layer that caused them, so they name the op and both shapes).

/// The shape `op` infers on operands of `shapes`, or the error message.
private func infer(_ op: Op, _ shapes: [[Int]]) -> Result<[Int], GraphError> {
  var graph = Graph()
  let operands = shapes.enumerated().map { graph.input($0.offset, shape: $0.element) }
  do {
    let node = try graph.add(op, operands, tag: 42)
    return .success(graph.shape(of: node))
  } catch {
    return .failure(error)
  }
}

private func expectShape(
  _ op: Op, _ shapes: [[Int]], _ expected: [Int],
  sourceLocation: SourceLocation = #_sourceLocation
) {
  switch infer(op, shapes) {
  case .success(let shape): #expect(shape == expected, sourceLocation: sourceLocation)
  case .failure(let error):
    Issue.record("\(op.name): unexpected error \(error.message)", sourceLocation: sourceLocation)
  }
}

private func expectError(
  _ op: Op, _ shapes: [[Int]], _ message: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  switch infer(op, shapes) {
  case .success(let shape):
    Issue.record("\(op.name): expected an error, got \(shape)", sourceLocation: sourceLocation)
  case .failure(let error):
    #expect(error.message == message, sourceLocation: sourceLocation)
    #expect(error.tag == 42, sourceLocation: sourceLocation)
  }
}

@Test func linearFamilyShapes() {
  expectShape(.linear, [[5, 2], [4, 2]], [5, 4])
  expectError(.linear, [[1, 3], [4, 2]], "linear: input has 3 features but the weight expects 2 "
              + "(weight shape [4, 2], input shape [1, 3])")
  expectError(.linear, [[3], [4, 3]], "linear: the input must be a batch [B, 3], not shape [3] "
              + "(weight shape [4, 3])")
  expectError(.linear, [[2, 3], [3]],
              "linear: the weight must be a matrix [out, in], not shape [3]")
  expectShape(.addBias, [[5, 4], [4]], [5, 4])
  expectError(.addBias, [[5, 4], [3]], "bias: a bias of shape [3] does not fit an input of shape "
              + "[5, 4] (it must be [n] for inputs [..., n])")
  expectShape(.matmul, [[2, 3], [3, 4]], [2, 4])
  expectShape(.matmul, [[2, 3], [3]], [2])
  expectShape(.matmul, [[3], [3, 4]], [4])
  expectShape(.matmul, [[3], [3]], [])
  expectError(.matmul, [[2, 3], [4, 5]], "matmul: inner dimensions 3 and 4 differ "
              + "(shapes [2, 3] and [4, 5])")
  expectError(.matmul, [[2, 2, 3], [3]], "matmul: a vector times a stack of matrices needs the "
              + "vector as a matrix (shapes [2, 2, 3] and [3])")
  expectShape(.matmul, [[4, 2, 3], [4, 3, 5]], [4, 2, 5])
  expectShape(.matmul, [[2, 1, 2, 3], [4, 3, 5]], [2, 4, 2, 5])
  expectShape(.matmul, [[4, 2, 3], [3, 5]], [4, 2, 5])
  expectError(.matmul, [[2, 2, 3], [3, 3, 4]], "matmul: the leading axes of shapes [2, 2, 3] "
              + "and [3, 3, 4] do not broadcast together")
  expectError(.matmul, [[], [2, 3, 4]], "matmul: operands must have at least 1 axis, not shapes "
              + "[] and [2, 3, 4]")
  expectShape(.matmul, [[2, 1, 3, 4], [5, 4, 2]], [2, 5, 3, 2])
  expectShape(.transpose, [[2, 3, 4]], [2, 4, 3])
  expectShape(.transpose, [[3]], [3])
  expectShape(.linearWeightGradient, [[5, 4], [5, 2]], [4, 2])
  expectError(.linearWeightGradient, [[5, 4], [6, 2]], "linear_weight_grad: gradient shape "
              + "[5, 4] and input shape [6, 2] must be [B, out] and [B, in]")
}

@Test func activationFamilyShapes() {
  for activation in Activation.all {
    expectShape(.activation(activation), [[3, 4]], [3, 4])
    expectShape(.activationGradient(activation), [[3, 4], [3, 4]], [3, 4])
  }
  expectError(.activationGradient(.relu), [[3, 4], [4, 3]],
              "relu_grad: saved shape [3, 4] and gradient shape [4, 3] differ")
  expectShape(.dropout(0.5), [[3, 4]], [3, 4])
  expectError(.dropout(1.5), [[3, 4]], "dropout: the probability must be in [0, 1], not 1.5")
  expectShape(.dropoutGradient(0.5), [[3, 4], [3, 4]], [3, 4])
}

@Test func arithmeticFamilyShapes() {
  for op in [Op.add, .subtract, .multiply, .divide, .power] {
    expectShape(op, [[3, 1, 4], [2, 1]], [3, 2, 4])
    expectShape(op, [[], [2, 3]], [2, 3])
    expectError(op, [[2, 3], [4]], "\(op.name): cannot broadcast shapes [2, 3] and [4]")
  }
  for op in [Op.negate, .exp, .log, .sqrt, .abs, .sign] {
    expectShape(op, [[2, 3]], [2, 3])
    expectShape(op, [[]], [])
  }
}

@Test func reductionFamilyShapes() {
  expectShape(.sum(axis: nil), [[2, 3]], [])
  expectShape(.sum(axis: 0), [[2, 3]], [3])
  expectShape(.mean(axis: -1), [[2, 3]], [2])
  expectError(.sum(axis: 2), [[2, 3]], "sum: axis 2 is out of range for shape [2, 3]")
  expectError(.mean(axis: -3), [[2, 3]], "mean: axis -3 is out of range for shape [2, 3]")
  expectShape(.sumToShape([3]), [[2, 3]], [3])
  expectError(.sumToShape([2]), [[2, 3]], "sum_to_shape: shape [2] does not broadcast to the "
              + "input shape [2, 3]")
  expectShape(.broadcast([2, 3], scale: 1), [[3]], [2, 3])
  expectError(.broadcast([2, 3], scale: 1), [[2]],
              "broadcast: cannot broadcast shape [2] to [2, 3]")
  expectShape(.reshape([6]), [[2, 3]], [6])
  expectError(.reshape([4]), [[2, 3]], "reshape: cannot reshape shape [2, 3] to [4]")
}

@Test func lossFamilyShapes() {
  for kind in [LossKind.mse, .sse, .mae, .huber(delta: 1), .bce] {
    expectShape(.loss(kind), [[4, 2], [4, 2]], [])
    expectError(.loss(kind), [[4, 1], [4]], "\(kind.name): prediction shape [4, 1] and target "
                + "shape [4] differ")
    expectShape(.lossGradient(kind, fromLogits: false), [[4, 2], [4, 2], []], [4, 2])
  }
  expectShape(.loss(.crossEntropy), [[4, 3], [4]], [])
  expectShape(.loss(.crossEntropy), [[4, 3], [4, 3]], [])
  expectShape(.loss(.crossEntropy), [[3], []], [])
  expectError(.loss(.crossEntropy), [[4, 3], [4, 1]], "cross_entropy: the target must have shape "
              + "[4] (class indices) or [4, 3] (probabilities), not [4, 1] (prediction shape "
              + "[4, 3])")
  // Per-position logits [B, T, C] take indices [B, T] or rows [B, T, C].
  expectShape(.loss(.crossEntropy), [[2, 4, 3], [2, 4]], [])
  expectShape(.loss(.crossEntropy), [[2, 4, 3], [2, 4, 3]], [])
  expectShape(.lossGradient(.crossEntropy, fromLogits: true), [[2, 4, 3], [2, 4], []], [2, 4, 3])
  expectError(.loss(.crossEntropy), [[2, 4, 3, 2], [2, 4, 3]], "cross_entropy: the prediction "
              + "must be logits [B, C] or [B, T, C], not shape [2, 4, 3, 2]")
  expectError(.lossGradient(.mse, fromLogits: false), [[2], [2], [2]], "mse_grad: the upstream "
              + "gradient must be a scalar, not shape [2]")
}

@Test func leavesAndArity() {
  var graph = Graph()
  let x = graph.input(0, shape: [2, 3], tag: 7)
  let w = graph.parameter(0, shape: [4, 3])
  let c = try! graph.add(.constant(Tensor([1, 2, 3])), [])
  #expect(graph.shape(of: x) == [2, 3])
  #expect(graph.shape(of: w) == [4, 3])
  #expect(graph.shape(of: c) == [3])
  #expect(graph[x].tag == 7)
  #expect(graph.nodes.count == 3)
  #expect(throws: GraphError(message: "add: expects 2 operands, got 1", tag: 3)) {
    try graph.add(.add, [x], tag: 3)
  }
  #expect(throws: GraphError(message: "input: add inputs and parameters with Graph.input")) {
    try graph.add(.input(1), [])
  }
  #expect(Activation.leakyRelu(alpha: 0.1).name == "leaky_relu")
  #expect(Activation.gelu.isReLUFamily && !Activation.sigmoid.isReLUFamily)
  #expect(LossKind.crossEntropy.name == "cross_entropy")
}
