import Testing
@testable import NNRuntime

// The LSTM keeps its fused kernel (`.lstm`, with a hand-written BPTT) only because it computes
// exactly what its composition from primitive ops does: the same graph unrolled here from
// linear, slice, reshape, sigmoid, tanh, multiply, add and stack, as the gru lowers. Both read
// the same parameter nodes in one Double plan, so forward values and every gradient (input,
// weight_ih, weight_hh, bias) must agree to rounding.

/// The LSTM of `geometry` (gates i, f, g, o, zero state) built from primitive ops.
private func composedLSTM(
  _ geometry: LSTMGeometry, batch: Int, x: NodeID, weightIH: NodeID, weightHH: NodeID,
  bias: NodeID, into graph: inout Graph
) throws -> NodeID {
  let (time, features, units) = (geometry.time, geometry.features, geometry.units)
  func gate(_ node: NodeID, _ k: Int, _ activation: Activation) throws -> NodeID {
    let columns = try graph.add(.slice(SliceRange(axis: 1, start: k * units,
                                                  end: (k + 1) * units)), [node])
    return try graph.add(.activation(activation), [columns])
  }
  let rows = try graph.add(.reshape([batch * time, features]), [x])
  let projected = try graph.add(
    .reshape([batch, time, 4 * units]),
    [try graph.add(.addBias, [try graph.add(.linear, [rows, weightIH]), bias])])
  var hidden: NodeID?
  var cell: NodeID?
  var states: [NodeID] = []
  for t in 0..<time {
    let row = try graph.add(.slice(SliceRange(axis: 1, start: t, end: t + 1)), [projected])
    var pre = try graph.add(.reshape([batch, 4 * units]), [row])
    if let hidden { pre = try graph.add(.add, [pre, try graph.add(.linear, [hidden, weightHH])]) }
    let (i, f, g, o) = (try gate(pre, 0, .sigmoid), try gate(pre, 1, .sigmoid),
                        try gate(pre, 2, .tanh), try gate(pre, 3, .sigmoid))
    let fresh = try graph.add(.multiply, [i, g])
    let next = try cell.map { try graph.add(.add, [try graph.add(.multiply, [f, $0]), fresh]) }
      ?? fresh
    let state = try graph.add(.multiply, [o, try graph.add(.activation(.tanh), [next])])
    (hidden, cell) = (state, next)
    states.append(state)
  }
  guard geometry.returnSequences else { return states[states.count - 1] }
  return try graph.add(.stack(axis: 1, count: states.count), states)
}

@Test(arguments: [(1, false), (4, false), (4, true), (1, true)])
func fusedLSTMEqualsItsCompositionFromPrimitives(_ time: Int, _ sequences: Bool) throws {
  let (batch, features, units) = (3, 2, 5)
  let geometry = LSTMGeometry(time: time, features: features, units: units,
                              returnSequences: sequences)
  let outputShape = sequences ? [batch, time, units] : [batch, units]
  let shapes = [[batch, time, features], [4 * units, features], [4 * units, units],
                [4 * units], outputShape]
  var graph = Graph()
  let nodes = shapes.enumerated().map { graph.parameter($0.offset, shape: $0.element) }
  let (x, wIH, wHH, b, g) = (nodes[0], nodes[1], nodes[2], nodes[3], nodes[4])
  let fused = try graph.add(.lstm(geometry), [x, wIH, wHH, b])
  let composed = try composedLSTM(geometry, batch: batch, x: x, weightIH: wIH, weightHH: wHH,
                                  bias: b, into: &graph)
  #expect(graph.shape(of: composed) == graph.shape(of: fused))
  func loss(_ y: NodeID) throws -> NodeID {
    try graph.add(.sum(axis: nil), [try graph.add(.multiply, [y, g])])
  }
  let (fusedLoss, composedLoss) = (try loss(fused), try loss(composed))
  let targets = Array(nodes.prefix(4))
  let fusedGradients = try graph.differentiate(fusedLoss, withRespectTo: targets)
  let composedGradients = try graph.differentiate(composedLoss, withRespectTo: targets)

  var random = RandomGenerator(seed: 17)
  let store = ParameterStore<Double>(shapes: shapes)
  for (i, shape) in shapes.enumerated() {
    store.assign(i, (0..<shape.reduce(1, *)).map { _ in random.uniform() * 2 - 1 })
  }
  let plan = try Plan(graph: graph, outputs: [fused, composed] + fusedGradients
                        + composedGradients,
                      gradients: [], parameters: store, training: true)
  plan.run(random: &random)
  func worst(_ a: NodeID, _ b: NodeID) -> Double {
    zip(plan.values(a), plan.values(b)).map { Swift.abs($0 - $1) }.max() ?? 0
  }
  #expect(worst(fused, composed) <= 1e-12, "output")
  // Not vacuous: the outputs and gradients are far from zero.
  #expect(plan.values(fused).contains { Swift.abs($0) > 0.05 })
  for (k, name) in ["input", "weight_ih", "weight_hh", "bias"].enumerated() {
    #expect(worst(fusedGradients[k], composedGradients[k]) <= 1e-12, "gradient of \(name)")
    if time > 1 || name != "weight_hh" {
      #expect(plan.values(fusedGradients[k]).contains { Swift.abs($0) > 1e-3 }, "\(name)")
    }
  }
}

@Test(arguments: [(1, false), (4, true), (6, false)])
func fusedLSTMInFloatIsItsCompositionToFloatRounding(_ time: Int, _ sequences: Bool) throws {
  // Float plans run the gates in vector code (VectorMath), the composition through libm.
  let (batch, features, units) = (2, 3, 12)
  let geometry = LSTMGeometry(time: time, features: features, units: units,
                              returnSequences: sequences)
  let outputShape = sequences ? [batch, time, units] : [batch, units]
  let shapes = [[batch, time, features], [4 * units, features], [4 * units, units],
                [4 * units], outputShape]
  var graph = Graph()
  let nodes = shapes.enumerated().map { graph.parameter($0.offset, shape: $0.element) }
  let fused = try graph.add(.lstm(geometry), Array(nodes.prefix(4)))
  let composed = try composedLSTM(geometry, batch: batch, x: nodes[0], weightIH: nodes[1],
                                  weightHH: nodes[2], bias: nodes[3], into: &graph)
  try expectSameValuesAndGradients(fused, composed, nodes, shapes, &graph,
                                   tolerance: Float(2e-6), time: time)
}

/// The GRU of `geometry` (gates r, z, n; PyTorch's two biases; zero state) from primitive ops.
func composedGRU(
  _ geometry: GRUGeometry, batch: Int, x: NodeID, weightIH: NodeID, weightHH: NodeID,
  biasIH: NodeID, biasHH: NodeID, into graph: inout Graph
) throws -> NodeID {
  let (time, features, units) = (geometry.time, geometry.features, geometry.units)
  func columns(_ node: NodeID, _ chunk: Int, _ count: Int, axis: Int = 1) throws -> NodeID {
    try graph.add(.slice(SliceRange(axis: axis, start: chunk * units,
                                    end: (chunk + count) * units)), [node])
  }
  let rows = try graph.add(.reshape([batch * time, features]), [x])
  let projected = try graph.add(
    .reshape([batch, time, 3 * units]),
    [try graph.add(.addBias, [try graph.add(.linear, [rows, weightIH]), biasIH])])
  var hidden: NodeID?
  var states: [NodeID] = []
  for t in 0..<time {
    let row = try graph.add(.slice(SliceRange(axis: 1, start: t, end: t + 1)), [projected])
    let input = try graph.add(.reshape([batch, 3 * units]), [row])
    let (recurrentRZ, recurrentN): (NodeID, NodeID)
    if let hidden {
      let recurrent = try graph.add(.addBias, [try graph.add(.linear, [hidden, weightHH]),
                                               biasHH])
      (recurrentRZ, recurrentN) = (try columns(recurrent, 0, 2), try columns(recurrent, 2, 1))
    } else {
      (recurrentRZ, recurrentN) = (try columns(biasHH, 0, 2, axis: 0),
                                   try columns(biasHH, 2, 1, axis: 0))
    }
    let rz = try graph.add(.activation(.sigmoid),
                           [try graph.add(.add, [try columns(input, 0, 2), recurrentRZ])])
    let (r, z) = (try columns(rz, 0, 1), try columns(rz, 1, 1))
    let preN = try graph.add(.add, [try columns(input, 2, 1),
                                    try graph.add(.multiply, [r, recurrentN])])
    let n = try graph.add(.activation(.tanh), [preN])
    let next: NodeID
    if let hidden {
      let difference = try graph.add(.subtract, [hidden, n])
      next = try graph.add(.add, [n, try graph.add(.multiply, [z, difference])])
    } else {
      next = try graph.add(.subtract, [n, try graph.add(.multiply, [z, n])])
    }
    states.append(next)
    hidden = next
  }
  guard geometry.returnSequences else { return states[states.count - 1] }
  return try graph.add(.stack(axis: 1, count: states.count), states)
}

/// Output and gradients (wrt every node in `nodes` but the last, the upstream gradient G of
/// L = sum(y · G)) of `fused` and `composed` agree within `tolerance`, and are not vacuous;
/// the operands are drawn from U(−1, 1).
private func expectSameValuesAndGradients<T: PlanScalar>(
  _ fused: NodeID, _ composed: NodeID, _ nodes: [NodeID], _ shapes: [[Int]],
  _ graph: inout Graph, tolerance: T, time: Int
) throws {
  #expect(graph.shape(of: composed) == graph.shape(of: fused))
  let g = nodes[nodes.count - 1]
  func loss(_ y: NodeID) throws -> NodeID {
    try graph.add(.sum(axis: nil), [try graph.add(.multiply, [y, g])])
  }
  let (fusedLoss, composedLoss) = (try loss(fused), try loss(composed))
  let targets = Array(nodes.dropLast())
  let fusedGradients = try graph.differentiate(fusedLoss, withRespectTo: targets)
  let composedGradients = try graph.differentiate(composedLoss, withRespectTo: targets)
  var random = RandomGenerator(seed: 17)
  let store = ParameterStore<T>(shapes: shapes)
  for (i, shape) in shapes.enumerated() {
    store.assign(i, (0..<shape.reduce(1, *)).map { _ in random.uniform() * 2 - 1 })
  }
  let plan = try Plan(graph: graph, outputs: [fused, composed] + fusedGradients
                        + composedGradients,
                      gradients: [], parameters: store, training: true)
  plan.run(random: &random)
  func worst(_ a: NodeID, _ b: NodeID) -> T {
    zip(plan.values(a), plan.values(b)).map { Swift.abs($0 - $1) }.max() ?? 0
  }
  #expect(worst(fused, composed) <= tolerance, "output")
  #expect(plan.values(fused).contains { Swift.abs($0) > 0.05 })
  for k in targets.indices {
    #expect(worst(fusedGradients[k], composedGradients[k]) <= tolerance, "gradient \(k)")
    // W_hh (operand 2) has no gradient over a single step from the zero state.
    if time > 1 || k != 2 {
      #expect(plan.values(fusedGradients[k]).contains { Swift.abs($0) > 1e-3 }, "gradient \(k)")
    }
  }
}

@Test(arguments: [(1, false), (4, false), (4, true), (1, true)])
func fusedGRUEqualsItsCompositionFromPrimitives(_ time: Int, _ sequences: Bool) throws {
  for float in [false, true] {
    let (batch, features, units) = (3, 2, float ? 12 : 5)
    let geometry = GRUGeometry(time: time, features: features, units: units,
                               returnSequences: sequences)
    let outputShape = sequences ? [batch, time, units] : [batch, units]
    let shapes = [[batch, time, features], [3 * units, features], [3 * units, units],
                  [3 * units], [3 * units], outputShape]
    var graph = Graph()
    let nodes = shapes.enumerated().map { graph.parameter($0.offset, shape: $0.element) }
    let fused = try graph.add(.sequences(.gru(geometry)), Array(nodes.prefix(5)))
    let composed = try composedGRU(geometry, batch: batch, x: nodes[0], weightIH: nodes[1],
                                   weightHH: nodes[2], biasIH: nodes[3], biasHH: nodes[4],
                                   into: &graph)
    if float {
      try expectSameValuesAndGradients(fused, composed, nodes, shapes, &graph,
                                       tolerance: Float(2e-6), time: time)
    } else {
      try expectSameValuesAndGradients(fused, composed, nodes, shapes, &graph,
                                       tolerance: 1e-12 as Double, time: time)
    }
  }
}
