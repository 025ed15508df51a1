import Testing
@testable import NNRuntime

// The head product and the causal softmax attention lowers to: each against the composition
// of primitive ops it replaces (slice, reshape, permute, transpose, batched matmul, masked
// fill, softmax), forward in Float and Double plans, and its gradient against finite
// differences; and the attention layer per sample, whatever the batch it runs in.

/// The per-head matrices [B, heads, rows, width] of an operand held as `layout`, by the
/// primitive ops the head product replaces.
private func heads(
  _ x: NodeID, _ layout: HeadLayout, heads: Int, _ graph: inout Graph
) throws -> NodeID {
  guard case .interleaved(let offset, let width) = layout else { return x }
  let shape = graph.shape(of: x)
  let sliced = try graph.add(.slice(SliceRange(axis: 2, start: offset,
                                               end: offset + heads * width)), [x])
  let split = try graph.add(.reshape([shape[0], shape[1], heads, width]), [sliced])
  return try graph.add(.permute([0, 2, 1, 3]), [split])
}

/// The head product by primitive ops.
private func composed(_ p: HeadProduct, _ a: NodeID, _ b: NodeID, _ graph: inout Graph)
  throws -> NodeID {
  var left = try heads(a, p.a, heads: p.heads, &graph)
  var right = try heads(b, p.b, heads: p.heads, &graph)
  if p.transposeA { left = try graph.add(.transpose, [left]) }
  if p.transposeB { right = try graph.add(.transpose, [right]) }
  let product = try graph.add(.scale(p.scale), [try graph.add(.matmul, [left, right])])
  guard case .interleaved = p.result else { return product }
  let s = graph.shape(of: product)
  let merged = try graph.add(.permute([0, 2, 1, 3]), [product])
  return try graph.add(.reshape([s[0], s[2], s[1] * s[3]]), [merged])
}

/// Attention's products and their gradients' shapes: interleaved operands inside wider
/// tensors, stacked ones, every transpose, one head and odd sizes.
private let headProductCases: [String: (HeadProduct, [Int], [Int])] = [
  "scores q·kᵀ": (HeadProduct(heads: 2, a: .interleaved(offset: 0, width: 3),
                              b: .interleaved(offset: 6, width: 3), transposeB: true,
                              result: .stacked, scale: 0.5), [2, 5, 18], [2, 5, 18]),
  "weights·v": (HeadProduct(heads: 2, a: .stacked, b: .interleaved(offset: 12, width: 3),
                            result: .interleaved(offset: 0, width: 3)), [2, 2, 5, 5],
                [2, 5, 18]),
  "aᵀ·b, one head": (HeadProduct(heads: 1, a: .stacked, transposeA: true,
                                 b: .interleaved(offset: 1, width: 4),
                                 result: .interleaved(offset: 0, width: 4), scale: -1.5),
                     [1, 1, 3, 7], [1, 3, 6]),
  "aᵀ·bᵀ": (HeadProduct(heads: 3, a: .interleaved(offset: 0, width: 2), transposeA: true,
                        b: .stacked, transposeB: true, result: .stacked), [2, 5, 6],
            [2, 3, 4, 5]),
]

@Test(arguments: headProductCases.keys.sorted())
func headProductEqualsItsComposition(_ name: String) throws {
  let (p, aShape, bShape) = headProductCases[name]!
  func run<T: PlanScalar>(_: T.Type) throws -> ([T], [T]) {
    var graph = Graph()
    let a = graph.parameter(0, shape: aShape)
    let b = graph.parameter(1, shape: bShape)
    let fused = try graph.add(.linearAlgebra(.headMatmul(p)), [a, b])
    let reference = try composed(p, a, b, &graph)
    #expect(graph.shape(of: fused) == graph.shape(of: reference))
    let store = ParameterStore<T>(shapes: [aShape, bShape])
    var random = RandomGenerator(seed: 5)
    for (i, shape) in [aShape, bShape].enumerated() {
      store.assign(i, sample(shape, .signed, &random))
    }
    let plan = try Plan(graph: graph, outputs: [fused, reference], gradients: [nil, nil],
                        parameters: store, training: false)
    var generator = RandomGenerator(seed: 1)
    plan.run(random: &generator)
    return (Array(plan.values(fused)), Array(plan.values(reference)))
  }
  let (double, doubleReference) = try run(Double.self)
  #expect(zip(double, doubleReference).allSatisfy { Swift.abs($0 - $1) <= 1e-12 }, "\(name)")
  let (float, floatReference) = try run(Float.self)
  #expect(zip(float, floatReference).allSatisfy { Swift.abs($0 - $1) <= 1e-5 }, "\(name)")
}

@Test(arguments: headProductCases.keys.sorted())
func headProductGradientMatchesFiniteDifferences(_ name: String) throws {
  let (p, aShape, bShape) = headProductCases[name]!
  let check = direct(.linearAlgebra(.headMatmul(p)), [(aShape, .signed), (bShape, .signed)])
  let (error, size) = try gradientCheck(check)
  #expect(error < 1e-6, "\(name): relative error \(error)")
  #expect(size > 1e-3, "\(name): largest gradient \(size)")
}

@Test func headProductRefusesLayoutsItsShapesCannotHold() {
  var graph = Graph()
  let x = graph.parameter(0, shape: [2, 5, 8])
  let wide = HeadProduct(heads: 2, a: .interleaved(offset: 4, width: 3),
                         b: .interleaved(offset: 0, width: 3), transposeB: true,
                         result: .stacked)
  #expect(throws: GraphError.self) { try graph.add(.linearAlgebra(.headMatmul(wide)), [x, x]) }
  let inner = HeadProduct(heads: 2, a: .interleaved(offset: 0, width: 2),
                          b: .interleaved(offset: 4, width: 2), result: .stacked)
  #expect(throws: GraphError.self) {
    try graph.add(.linearAlgebra(.headMatmul(inner)), [x, x])
  }
}

@Test func causalSoftmaxEqualsTheMaskedSoftmax() throws {
  for time in [1, 4, 7] {
    var graph = Graph()
    let x = graph.parameter(0, shape: [2, 3, time, time])
    let fused = try graph.add(.activations(.causalSoftmax), [x])
    let future = Tensor(shape: [time, time], scalars: (0..<(time * time)).map {
      $0 % time > $0 / time ? 1 : 0
    })
    let mask = try graph.add(.constant(future), [])
    let reference = try graph.add(.activation(.softmax),
                                  [try graph.add(.maskedFill(-.infinity), [x, mask])])
    let store = ParameterStore<Float>(shapes: [[2, 3, time, time]])
    var random = RandomGenerator(seed: 9)
    store.assign(0, sample([2, 3, time, time], .signed, &random).map { $0 * 4 })
    let plan = try Plan(graph: graph, outputs: [fused, reference], gradients: [nil],
                        parameters: store, training: false)
    var generator = RandomGenerator(seed: 1)
    plan.run(random: &generator)
    // Masked entries add exact zeros: the same sums in the same order.
    #expect(Array(plan.values(fused)) == Array(plan.values(reference)), "T = \(time)")
  }
}

@Test func causalSoftmaxGradientMatchesFiniteDifferences() throws {
  let (error, size) = try gradientCheck(direct(.activations(.causalSoftmax),
                                               [([2, 2, 5, 5], .signed)]))
  #expect(error < 1e-6, "relative error \(error)")
  #expect(size > 1e-3, "largest gradient \(size)")
}

/// The attention layers compute each sample on its own: a batch of one and the rest of a batch
/// (a remainder batch's plan) give the rows the whole batch gives, in Double and Float plans.
@Test(arguments: [false, true])
func attentionIsPerSampleWhateverTheBatch(_ causal: Bool) throws {
  func outputs<T: PlanScalar>(_: T.Type, batch: Int) throws -> [T] {
    var random = RandomGenerator(seed: 4)
    let network = try NetworkBuilder.build(
      input: [7, 6], [Transformer(heads: 3, hidden: 10, causal: causal),
                      Attention(heads: 1, causal: causal)], random: &random)
    let store = ParameterStore<T>(shapes: network.parameters.shapes)
    for index in network.parameters.shapes.indices {
      store.assign(index, network.parameters.tensor(index))
    }
    var graph = Graph()
    let lowering = try network.lower(into: &graph, batch: batch)
    let plan = try Plan(graph: graph, outputs: [lowering.output],
                        gradients: network.parameters.shapes.map { _ in nil }, parameters: store,
                        training: false)
    var data = RandomGenerator(seed: 6)
    let x = sample([5, 7, 6], .signed, &data)
    plan.setInput(0, Array(x[0..<(batch * 42)]))
    var generator = RandomGenerator(seed: 1)
    plan.run(random: &generator)
    return Array(plan.values(lowering.output))
  }
  let whole = try outputs(Double.self, batch: 5)
  for batch in [1, 3] {
    let part = try outputs(Double.self, batch: batch)
    #expect(zip(part, whole).allSatisfy { Swift.abs($0 - $1) <= 1e-12 }, "batch \(batch)")
  }
  let wholeFloat = try outputs(Float.self, batch: 5)
  let single = try outputs(Float.self, batch: 1)
  #expect(zip(single, wholeFloat).allSatisfy { Swift.abs($0 - $1) <= 1e-5 })
  #expect(zip(wholeFloat, whole).allSatisfy { Swift.abs(Double($0) - $1) <= 1e-4 })
}
