import Testing
@testable import NNRuntime

// Every op's gradient against central finite differences, in Double through a Plan<Double>.
// Each case builds a small graph whose operands are parameters filled from a seeded generator;
// a non-scalar result is reduced by a weighted sum with random weights, so every output element
// contributes with a different weight.

/// Where an operand's random values are drawn from (kinks and poles stay away).
enum Domain: Sendable {
  /// ±[0.2, 1.2]: away from the kinks of relu, abs, sign.
  case signed
  /// [0.5, 2]: for log, sqrt, divide, power's base.
  case positive
  /// [0.15, 0.85]: probabilities for unfused bce.
  case probability
  /// Integers in [0, classes): class indices for cross-entropy (not differentiated).
  case classIndex(Int)
  /// Rows summing to 1 (cross-entropy probability targets).
  case distribution
}

/// One gradient-check case: operand shapes and domains, and how to build the result.
struct GradientCase: Sendable {
  var operands: [([Int], Domain)]
  /// Operands that are targets only (not differentiated).
  var fixed: Set<Int> = []
  var build: @Sendable (inout Graph, [NodeID]) throws -> NodeID
}

/// The largest relative error between backprop and central differences, and the largest
/// gradient magnitude (so a check cannot pass vacuously on all-zero gradients).
func gradientCheck(_ c: GradientCase, seed: UInt64 = 7) throws -> (error: Double, size: Double) {
  var random = RandomGenerator(seed: seed)
  var graph = Graph()
  let shapes = c.operands.map(\.0)
  let operands = shapes.enumerated().map { graph.parameter($0.offset, shape: $0.element) }
  var result = try c.build(&graph, operands)
  let resultShape = graph.shape(of: result)
  if !resultShape.isEmpty {
    let count = resultShape.reduce(1, *)
    let weights = Tensor(shape: resultShape,
                         scalars: (0..<count).map { _ in Float(random.uniform() * 2 - 1) })
    let w = try graph.add(.constant(weights), [])
    result = try graph.add(.sum(axis: nil), [try graph.add(.multiply, [result, w])])
  }
  let targets = operands.enumerated().filter { !c.fixed.contains($0.offset) }.map(\.element)
  let gradients = try graph.differentiate(result, withRespectTo: targets)
  var perParameter = [NodeID?](repeating: nil, count: shapes.count)
  for (target, gradient) in zip(targets, gradients) { perParameter[target.index] = gradient }
  // Parameter nodes are the first nodes, so node index i is parameter i.
  let store = ParameterStore<Double>(shapes: shapes)
  for (i, (shape, domain)) in c.operands.enumerated() {
    store.assign(i, sample(shape, domain, &random))
  }
  let plan = try Plan(graph: graph, outputs: [result], gradients: perParameter,
                      parameters: store, training: true)
  func evaluate() -> Double {
    var generator = RandomGenerator(seed: 99)  // the same dropout mask every time
    plan.run(random: &generator)
    return plan.values(result)[0]
  }
  _ = evaluate()
  let analytic = Array(plan.gradientBuffer)
  var worst = 0.0
  let step = 1e-6
  for i in 0..<store.count {
    let parameter = store.offsets.lastIndex { $0 <= i }!
    if c.fixed.contains(parameter) { continue }
    let saved = store.pointer[i]
    store.pointer[i] = saved + step
    let plus = evaluate()
    store.pointer[i] = saved - step
    let minus = evaluate()
    store.pointer[i] = saved
    let numeric = (plus - minus) / (2 * step)
    let error = Swift.abs(numeric - analytic[i])
      / Swift.max(Swift.abs(numeric), Swift.abs(analytic[i]), 1e-2)
    worst = Swift.max(worst, error)
  }
  return (worst, analytic.map { Swift.abs($0) }.max() ?? 0)
}

func sample(_ shape: [Int], _ domain: Domain, _ random: inout RandomGenerator) -> [Double] {
  let count = shape.reduce(1, *)
  switch domain {
  case .signed:
    return (0..<count).map { _ in
      let magnitude = 0.2 + random.uniform()
      return random.uniform() < 0.5 ? -magnitude : magnitude
    }
  case .positive:
    return (0..<count).map { _ in 0.5 + 1.5 * random.uniform() }
  case .probability:
    return (0..<count).map { _ in 0.15 + 0.7 * random.uniform() }
  case .classIndex(let classes):
    return (0..<count).map { _ in Double(random.integer(below: classes)) }
  case .distribution:
    let columns = shape.last ?? 1
    var values = (0..<count).map { _ in 0.1 + random.uniform() }
    for row in 0..<(count / columns) {
      let total = values[row * columns..<(row + 1) * columns].reduce(0, +)
      for j in 0..<columns { values[row * columns + j] /= total }
    }
    return values
  }
}

/// Builds `op` applied directly to the operands.
func direct(_ op: Op, _ operands: [([Int], Domain)], fixed: Set<Int> = []) -> GradientCase {
  GradientCase(operands: operands, fixed: fixed) { graph, nodes in try graph.add(op, nodes) }
}

let gradientCases: [String: GradientCase] = {
  var cases: [String: GradientCase] = [:]
  cases["linear"] = direct(.linear, [([3, 4], .signed), ([5, 4], .signed)])
  cases["addBias"] = direct(.addBias, [([3, 4], .signed), ([4], .signed)])
  cases["linear+bias+relu (fused)"] = GradientCase(
    operands: [([3, 4], .signed), ([5, 4], .signed), ([5], .signed)]) { graph, nodes in
      let z = try graph.add(.linear, [nodes[0], nodes[1]])
      let b = try graph.add(.addBias, [z, nodes[2]])
      return try graph.add(.activation(.tanh), [b])
    }
  // Every declared activation, and the hyperparameters that change how the gradient is read.
  let activations = Activation.all + [.elu(alpha: -0.5), .leakyRelu(alpha: 0.1),
                                      .leakyRelu(alpha: -0.2)]
  for activation in activations {
    cases["activation \(activation)"] = direct(.activation(activation), [([3, 5], .signed)])
  }
  cases["dropout"] = direct(.dropout(0.4), [([6, 5], .signed)])
  for (name, op) in [("add", Op.add), ("subtract", .subtract), ("multiply", .multiply)] {
    cases[name] = direct(op, [([3, 4], .signed), ([3, 4], .signed)])
    cases[name + " broadcast"] = direct(op, [([3, 1, 4], .signed), ([2, 1], .signed)])
    cases[name + " scalar"] = direct(op, [([], .signed), ([2, 3], .signed)])
  }
  cases["divide"] = direct(.divide, [([3, 4], .signed), ([3, 4], .positive)])
  cases["divide broadcast"] = direct(.divide, [([4], .signed), ([3, 1], .positive)])
  cases["power"] = direct(.power, [([3, 4], .positive), ([3, 4], .signed)])
  cases["power broadcast"] = direct(.power, [([3, 4], .positive), ([], .positive)])
  cases["matmul 2x2"] = direct(.matmul, [([3, 4], .signed), ([4, 2], .signed)])
  cases["matmul 2x1"] = direct(.matmul, [([3, 4], .signed), ([4], .signed)])
  cases["matmul 1x2"] = direct(.matmul, [([4], .signed), ([4, 2], .signed)])
  cases["matmul 1x1"] = direct(.matmul, [([4], .signed), ([4], .signed)])
  cases["matmul of transposes (folded)"] = GradientCase(
    operands: [([4, 3], .signed), ([2, 4], .signed)]) { graph, nodes in
      let a = try graph.add(.transpose, [nodes[0]])
      let b = try graph.add(.transpose, [nodes[1]])
      return try graph.add(.matmul, [a, b])
    }
  cases["negate"] = direct(.negate, [([3, 4], .signed)])
  cases["exp"] = direct(.exp, [([3, 4], .signed)])
  cases["log"] = direct(.log, [([3, 4], .positive)])
  cases["sqrt"] = direct(.sqrt, [([3, 4], .positive)])
  cases["abs"] = direct(.abs, [([3, 4], .signed)])
  cases["sign"] = direct(.sign, [([3, 4], .signed)])
  cases["scale"] = direct(.scale(1 / 2.0.squareRoot()), [([3, 4], .signed)])
  for axis in [nil, 0, 1, -1] as [Int?] {
    cases["sum axis \(String(describing: axis))"] = direct(.sum(axis: axis), [([3, 4], .signed)])
    cases["mean axis \(String(describing: axis))"] = direct(.mean(axis: axis),
                                                            [([3, 4], .signed)])
  }
  cases["transpose"] = direct(.transpose, [([2, 3, 4], .signed)])
  cases["transpose 1-d"] = direct(.transpose, [([4], .signed)])
  cases["reshape"] = direct(.reshape([6, 2]), [([3, 4], .signed)])
  cases["sumToShape"] = direct(.sumToShape([4]), [([3, 4], .signed)])
  cases["broadcast"] = direct(.broadcast([3, 4], scale: 0.5), [([3, 1], .signed)])
  // The primitive ops layers compose (slice, concat, stack, permute, gather, batched matmul,
  // where, max, masked fill).
  cases["slice step 2"] = direct(.slice(SliceRange(axis: 1, start: 1, end: 6, step: 2)),
                                 [([3, 7, 2], .signed)])
  cases["slice last axis"] = direct(.slice(SliceRange(axis: 2, start: 0, end: 3)),
                                    [([2, 3, 5], .signed)])
  cases["slice_grad"] = direct(.sliceGradient(SliceRange(axis: 0, start: 1, end: 4, step: 2),
                                              shape: [5, 3]), [([2, 3], .signed)])
  cases["concat axis 1"] = direct(.concat(axis: 1, count: 3),
                                  [([2, 1, 3], .signed), ([2, 4, 3], .signed),
                                   ([2, 2, 3], .signed)])
  cases["concat axis 0"] = direct(.concat(axis: 0, count: 2),
                                  [([2, 3], .signed), ([1, 3], .signed)])
  cases["stack axis 0"] = direct(.stack(axis: 0, count: 2), [([2, 3], .signed),
                                                             ([2, 3], .signed)])
  cases["stack last axis"] = direct(.stack(axis: 2, count: 3),
                                    [([2, 3], .signed), ([2, 3], .signed), ([2, 3], .signed)])
  cases["permute 3-d"] = direct(.permute([2, 0, 1]), [([2, 3, 4], .signed)])
  cases["permute 4-d heads"] = direct(.permute([0, 2, 1, 3]), [([2, 3, 2, 4], .signed)])
  cases["gather axis 0 (repeats)"] = GradientCase(operands: [([4, 3], .signed)]) { graph, x in
    let ids = try graph.add(.constant(Tensor(shape: [2, 3], scalars: [3, 0, 3, 1, 1, 2])), [])
    return try graph.add(.gather(axis: 0), [x[0], ids])
  }
  cases["gather axis 1"] = GradientCase(operands: [([2, 5, 3], .signed)]) { graph, x in
    let ids = try graph.add(.constant(Tensor(shape: [3], scalars: [4, 0, 4])), [])
    return try graph.add(.gather(axis: 1), [x[0], ids])
  }
  cases["batched matmul"] = direct(.matmul, [([2, 3, 4], .signed), ([2, 4, 5], .signed)])
  cases["batched matmul broadcast"] = direct(.matmul, [([2, 1, 3, 4], .signed),
                                                       ([3, 4, 2], .signed)])
  cases["batched matmul with a matrix"] = direct(.matmul, [([2, 3, 4], .signed),
                                                           ([4, 2], .signed)])
  cases["batched matmul of a transpose"] = GradientCase(
    operands: [([2, 3, 4], .signed), ([2, 5, 4], .signed)]) { graph, nodes in
      let b = try graph.add(.transpose, [nodes[1]])
      return try graph.add(.matmul, [nodes[0], b])
    }
  cases["where"] = GradientCase(operands: [([3, 4], .signed), ([3, 4], .signed),
                                           ([4], .signed)], fixed: [0]) { graph, nodes in
    let zero = try graph.add(.constant(Tensor(scalar: 0)), [])
    let condition = try graph.add(.compare(.greater), [nodes[0], zero])
    return try graph.add(.select, [condition, nodes[1], nodes[2]])
  }
  cases["max axis 1"] = direct(.maximum(axis: 1), [([3, 5, 2], .signed)])
  cases["max axis 0"] = direct(.maximum(axis: 0), [([4, 3], .signed)])
  cases["masked_fill then softmax"] = GradientCase(
    operands: [([2, 3, 3], .signed)]) { graph, nodes in
      let mask = Tensor(shape: [3, 3], scalars: [0, 1, 1, 0, 0, 1, 0, 0, 0])
      let m = try graph.add(.constant(mask), [])
      let masked = try graph.add(.maskedFill(-.infinity), [nodes[0], m])
      return try graph.add(.activation(.softmax), [masked])
    }
  let regression: [([Int], Domain)] = [([4, 3], .signed), ([4, 3], .signed)]
  cases["loss mse"] = direct(.loss(.mse), regression)
  cases["loss sse"] = direct(.loss(.sse), regression)
  cases["loss mae"] = direct(.loss(.mae), regression)
  cases["loss huber"] = direct(.loss(.huber(delta: 0.7)), regression)
  cases["loss mse target"] = direct(.loss(.mse), regression, fixed: [0])
  cases["loss cross_entropy indices"] = direct(
    .loss(.crossEntropy), [([4, 3], .signed), ([4], .classIndex(3))], fixed: [1])
  cases["loss cross_entropy probabilities"] = direct(
    .loss(.crossEntropy), [([4, 3], .signed), ([4, 3], .distribution)], fixed: [1])
  cases["loss cross_entropy unbatched"] = direct(
    .loss(.crossEntropy), [([3], .signed), ([], .classIndex(3))], fixed: [1])
  cases["loss bce"] = direct(.loss(.bce), [([4, 2], .probability), ([4, 2], .probability)],
                             fixed: [1])
  cases["softmax+cross_entropy (fused)"] = GradientCase(
    operands: [([4, 3], .signed), ([4], .classIndex(3))], fixed: [1]) { graph, nodes in
      let p = try graph.add(.activation(.softmax), [nodes[0]])
      return try graph.add(.loss(.crossEntropy), [p, nodes[1]])
    }
  cases["sigmoid+bce (fused)"] = GradientCase(
    operands: [([4, 2], .signed), ([4, 2], .probability)], fixed: [1]) { graph, nodes in
      let p = try graph.add(.activation(.sigmoid), [nodes[0]])
      return try graph.add(.loss(.bce), [p, nodes[1]])
    }
  // Image ops: im2col + GEMM convolutions (valid, same with odd and even kernels, strides) and
  // pooling (overlapping windows, windows that leave a border unread).
  let convolutions: [(String, [Int], Int, [Int], [Int], Bool)] = [
    ("3x3 valid", [2, 5, 5], 3, [3, 3], [1, 1], false),
    ("3x3 same", [2, 4, 5], 2, [3, 3], [1, 1], true),
    ("2x2 same (even kernel)", [1, 4, 4], 2, [2, 2], [1, 1], true),
    ("2x3 stride 2 valid", [2, 6, 7], 3, [2, 3], [2, 2], false),
    ("3x3 stride 2 same", [2, 6, 5], 2, [3, 3], [2, 2], true),
    ("1x1", [3, 3, 3], 2, [1, 1], [1, 1], false),
  ]
  for (name, input, filters, kernel, stride, same) in convolutions {
    let geometry = ConvolutionGeometry(input: input, filters: filters, kernel: kernel,
                                       stride: stride, same: same)
    cases["conv2d " + name] = direct(
      .conv2d(geometry), [([2] + input, .signed), (geometry.weightShape, .signed),
                          ([filters], .signed)])
  }
  cases["conv2d+relu+maxpool"] = GradientCase(
    operands: [([2, 1, 6, 6], .signed), ([3, 1, 3, 3], .signed), ([3], .signed)]) {
      graph, nodes in
      let geometry = ConvolutionGeometry(input: [1, 6, 6], filters: 3, kernel: [3, 3],
                                         stride: [1, 1], same: true)
      let z = try graph.add(.conv2d(geometry), nodes)
      let a = try graph.add(.activation(.tanh), [z])
      let pooled = try graph.add(.pool2d(PoolingGeometry(kind: .max, input: [3, 6, 6],
                                                         size: [2, 2], stride: [2, 2])), [a])
      return try graph.add(.reshape([2, 27]), [pooled])
    }
  for kind in [PoolingGeometry.Kind.max, .average] {
    for (name, size, stride) in [("2 stride 2", [2, 2], [2, 2]), ("3 stride 1", [3, 3], [1, 1]),
                                 ("2x3 stride 2", [2, 3], [2, 2])] {
      cases["\(kind.name) \(name)"] = direct(
        .pool2d(PoolingGeometry(kind: kind, input: [2, 5, 5], size: size, stride: stride)),
        [([2, 2, 5, 5], .signed)])
    }
  }
  // Sequence ops: embedding lookups (ids fixed; repeated ids sum) and LSTMs through time.
  cases["embedding"] = direct(.embedding(vocab: 4, dim: 3),
                              [([3, 5], .classIndex(4)), ([4, 3], .signed)], fixed: [0])
  for (time, features, units, sequences) in [(1, 2, 3, false), (4, 3, 2, false),
                                             (5, 2, 3, true)] {
    let geometry = LSTMGeometry(time: time, features: features, units: units,
                                returnSequences: sequences)
    cases["lstm T\(time) F\(features) U\(units)\(sequences ? " sequences" : "")"] = direct(
      .lstm(geometry), [([2, time, features], .signed), (geometry.inputWeightShape, .signed),
                        (geometry.hiddenWeightShape, .signed), ([4 * units], .signed)])
  }
  cases["embedding+lstm+lstm"] = GradientCase(
    operands: [([2, 4], .classIndex(5)), ([5, 3], .signed), ([8, 3], .signed), ([8, 2], .signed),
               ([8], .signed), ([12, 2], .signed), ([12, 3], .signed), ([12], .signed)],
    fixed: [0]) { graph, nodes in
      let e = try graph.add(.embedding(vocab: 5, dim: 3), [nodes[0], nodes[1]])
      let first = LSTMGeometry(time: 4, features: 3, units: 2, returnSequences: true)
      let h = try graph.add(.lstm(first), [e, nodes[2], nodes[3], nodes[4]])
      let second = LSTMGeometry(time: 4, features: 2, units: 3, returnSequences: false)
      return try graph.add(.lstm(second), [h, nodes[5], nodes[6], nodes[7]])
    }
  cases["shared weight"] = GradientCase(operands: [([3, 3], .signed), ([3, 3], .signed)]) {
    graph, nodes in
    let first = try graph.add(.linear, [nodes[0], nodes[1]])
    return try graph.add(.linear, [try graph.add(.activation(.sigmoid), [first]), nodes[1]])
  }
  return cases
}()

@Test(arguments: gradientCases.keys.sorted())
func gradientMatchesFiniteDifferences(_ name: String) throws {
  let (error, size) = try gradientCheck(gradientCases[name]!)
  #expect(error < 1e-6, "\(name): relative error \(error)")
  #expect((size > 1e-3) == (name != "sign"), "\(name): largest gradient \(size)")
}
