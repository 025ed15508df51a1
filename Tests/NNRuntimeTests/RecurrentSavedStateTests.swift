import Testing
@testable import NNRuntime

// The BPTT nodes of lstm and gru read the states their forward node saved in the plan; with
// no saved buffer (an eager run) they recompute them. Both ways must give the same bits, and
// the plan must actually save (else the fast path would go untested).

private enum Recurrence { case lstm, gru }

/// The forward op, its operand shapes and the BPTT node's name for one recurrent layer.
private func recurrentOp(
  _ kind: Recurrence, batch: Int, time: Int, features: Int, units: Int, sequences: Bool
) -> (op: Op, shapes: [[Int]]) {
  switch kind {
  case .lstm:
    let g = LSTMGeometry(time: time, features: features, units: units,
                         returnSequences: sequences)
    return (.lstm(g), [[batch, time, features], g.inputWeightShape, g.hiddenWeightShape,
                       [4 * units]])
  case .gru:
    let g = GRUGeometry(time: time, features: features, units: units,
                        returnSequences: sequences)
    return (.sequences(.gru(g)), [[batch, time, features], g.inputWeightShape,
                                  g.hiddenWeightShape, [3 * units], [3 * units]])
  }
}

private func savedStatesMatchRecomputation<T: PlanScalar>(
  _ kind: Recurrence, batch: Int, time: Int, sequences: Bool, as _: T.Type
) throws {
  let (features, units) = (3, 4)
  let (op, operandShapes) = recurrentOp(kind, batch: batch, time: time, features: features,
                                        units: units, sequences: sequences)
  var graph = Graph()
  let operands = operandShapes.enumerated().map { graph.parameter($0.offset, shape: $0.element) }
  let forward = try graph.add(op, operands)
  let g = graph.parameter(operands.count, shape: graph.shape(of: forward))
  let loss = try graph.add(.sum(axis: nil), [try graph.add(.multiply, [forward, g])])
  _ = try graph.differentiate(loss, withRespectTo: operands)
  let bptt = try #require(graph.nodes.indices.first {
    graph.nodes[$0].op.name == (kind == .lstm ? "lstm_bptt" : "gru_bptt")
  }.map { NodeID(index: $0) })

  var random = RandomGenerator(seed: 23)
  let store = ParameterStore<T>(shapes: operandShapes + [graph.shape(of: forward)])
  for (i, shape) in store.shapes.enumerated() {
    store.assign(i, (0..<shape.reduce(1, *)).map { _ in random.uniform() * 2 - 1 })
  }
  let plan = try Plan(graph: graph, outputs: [forward, bptt], gradients: [], parameters: store,
                      training: true)
  #expect(plan.schedule.maskOffset[forward.index] != nil, "the plan saves the states")
  plan.run(random: &random)

  // The same BPTT node run eagerly, from the same operands and forward output, recomputes.
  var inputs = (0...operands.count).map { i in
    Array(store.buffer(i))
  }
  inputs.append(plan.values(forward))
  var eager = [T](repeating: .nan, count: graph.shape(of: bptt).reduce(1, *))
  let pointers = inputs.map { values -> UnsafeMutablePointer<T> in
    let p = UnsafeMutablePointer<T>.allocate(capacity: max(values.count, 1))
    p.initialize(from: values, count: values.count)
    return p
  }
  defer { pointers.forEach { $0.deallocate() } }
  eager.withUnsafeMutableBufferPointer { out in
    Kernel<T>.runEagerly(graph[bptt].op, inputs: pointers,
                         shapes: graph[bptt].inputs.map { graph.shape(of: $0) },
                         output: out.baseAddress!, outputShape: graph.shape(of: bptt))
  }
  #expect(plan.values(bptt) == eager)
  #expect(eager.contains { Swift.abs($0) > 1e-3 }, "not vacuous")
}

@Test(arguments: [(1, 1, false), (1, 5, true), (3, 4, false), (2, 33, true)])
func lstmBPTTFromSavedStatesEqualsRecomputation(
  _ batch: Int, _ time: Int, _ sequences: Bool
) throws {
  try savedStatesMatchRecomputation(.lstm, batch: batch, time: time, sequences: sequences,
                                    as: Float.self)
  try savedStatesMatchRecomputation(.lstm, batch: batch, time: time, sequences: sequences,
                                    as: Double.self)
}

@Test(arguments: [(1, 1, false), (1, 5, true), (3, 4, false), (2, 33, true)])
func gruBPTTFromSavedStatesEqualsRecomputation(
  _ batch: Int, _ time: Int, _ sequences: Bool
) throws {
  try savedStatesMatchRecomputation(.gru, batch: batch, time: time, sequences: sequences,
                                    as: Float.self)
  try savedStatesMatchRecomputation(.gru, batch: batch, time: time, sequences: sequences,
                                    as: Double.self)
}

@Test func inferencePlansSaveNoRecurrentStates() throws {
  for kind in [Recurrence.lstm, .gru] {
    let (op, shapes) = recurrentOp(kind, batch: 2, time: 3, features: 3, units: 4,
                                   sequences: false)
    var graph = Graph()
    let operands = shapes.enumerated().map { graph.parameter($0.offset, shape: $0.element) }
    let forward = try graph.add(op, operands)
    let plan = try Plan(graph: graph, outputs: [forward], gradients: [],
                        parameters: ParameterStore<Float>(shapes: shapes), training: false)
    #expect(plan.schedule.maskOffset.isEmpty)
  }
}
