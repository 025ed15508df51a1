import Foundation
import Testing
@testable import NNRuntime

// embedding and lstm against PyTorch: Fixtures/layers/{embedding,lstm}.json, written by
// scripts/make_layer_fixtures.py (the README beside them describes the format). Each case runs
// in a Double plan (float64 tolerance) and a Float plan (float32 tolerance): the forward output
// and the gradients of L = sum(output · G) with respect to the input and every parameter, which
// for the LSTM go back through every gate of every step (BPTT).

struct SequenceFixtureCase: Decodable, Sendable, CustomStringConvertible {
  var name: String
  var vocab: Int?
  var dim: Int?
  var units: Int?
  var returnSequences: Bool?
  var ids: FixtureTensor?
  var input: FixtureTensor?
  var params: [String: FixtureTensor]
  var output: FixtureTensor
  var gradOutput: FixtureTensor
  var grads: [String: FixtureTensor]
  var hidden: FixtureTensor?
  var description: String { name }

  enum CodingKeys: String, CodingKey {
    case name, vocab, dim, units, ids, input, params, output, grads, hidden
    case returnSequences = "return_sequences"
    case gradOutput = "grad_output"
  }
}

struct SequenceFixtureFile: Decodable, Sendable {
  var op: String
  var tolerance: [String: LayerFixtureTolerance]
  var cases: [SequenceFixtureCase]

  static func load(_ op: String) -> SequenceFixtureFile {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/layers/\(op).json")
    do {
      return try JSONDecoder().decode(SequenceFixtureFile.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot read \(url.path): \(error)")
    }
  }
}

private let sequenceOps = ["embedding", "lstm"]
private let sequenceFixtures: [String: SequenceFixtureFile] = Dictionary(
  uniqueKeysWithValues: sequenceOps.map { ($0, SequenceFixtureFile.load($0)) })

private let sequenceFixtureCases: [String] = sequenceOps.flatMap { op in
  sequenceFixtures[op]!.cases.map { "\(op)/\($0.name)" }
}

/// The op, operand names (in order) and their tensors for one case.
private func sequenceSetup(_ op: String, _ c: SequenceFixtureCase)
  -> (op: Op, names: [String], tensors: [FixtureTensor]) {
  if op == "embedding" {
    return (.embedding(vocab: c.vocab!, dim: c.dim!), ["ids", "weight"],
            [c.ids!, c.params["weight"]!])
  }
  let x = c.input!
  let geometry = LSTMGeometry(time: x.shape[1], features: x.shape[2], units: c.units!,
                              returnSequences: c.returnSequences!)
  return (.lstm(geometry), ["input", "weight_ih", "weight_hh", "bias"],
          [x, c.params["weight_ih"]!, c.params["weight_hh"]!, c.params["bias"]!])
}

/// Runs one case in precision T: the output and the gradients by operand name.
private func runSequenceCase<T: PlanScalar>(
  _ op: String, _ c: SequenceFixtureCase, as _: T.Type
) throws -> (output: [Double], grads: [String: [Double]]) {
  let setup = sequenceSetup(op, c)
  var graph = Graph()
  // Every operand and G as parameters, so a Double plan reads exact values.
  let shapes = setup.tensors.map(\.shape) + [c.gradOutput.shape]
  let values = (setup.tensors + [c.gradOutput]).map { $0.data.map(\.value) }
  let nodes = shapes.enumerated().map { graph.parameter($0.offset, shape: $0.element) }
  let y = try graph.add(setup.op, Array(nodes.dropLast()))
  let loss = try graph.add(.sum(axis: nil), [try graph.add(.multiply, [y, nodes.last!])])
  // Token ids have no gradient.
  let first = op == "embedding" ? 1 : 0
  let targets = Array(nodes[first..<(nodes.count - 1)])
  let gradients = try graph.differentiate(loss, withRespectTo: targets)
  let store = ParameterStore<T>(shapes: shapes)
  for (i, v) in values.enumerated() { store.assign(i, v) }
  var perParameter = [NodeID?](repeating: nil, count: shapes.count)
  for (i, g) in gradients.enumerated() { perParameter[first + i] = g }
  let plan = try Plan(graph: graph, outputs: [y, loss], gradients: perParameter,
                      parameters: store, training: true)
  var random = RandomGenerator(seed: 1)
  plan.run(random: &random)
  let output = plan.values(y).map { Double($0) }
  let buffer = plan.gradientBuffer
  var grads: [String: [Double]] = [:]
  for i in first..<(shapes.count - 1) {
    grads[setup.names[i]] = (0..<shapes[i].reduce(1, *)).map {
      Double(buffer[store.offsets[i] + $0])
    }
  }
  return (output, grads)
}

private func close(_ actual: [Double], _ expected: [Double], _ tolerance: LayerFixtureTolerance)
  -> Bool {
  actual.count == expected.count && zip(actual, expected).allSatisfy { a, e in
    Swift.abs(a - e) <= tolerance.atol + tolerance.rtol * Swift.abs(e)
  }
}

@Test(arguments: sequenceFixtureCases)
func sequenceLayerMatchesPyTorch(_ name: String) throws {
  let parts = name.split(separator: "/").map(String.init)
  let file = sequenceFixtures[parts[0]]!
  let c = file.cases.first { $0.name == parts[1] }!
  let setup = sequenceSetup(parts[0], c)
  #expect(c.output.shape == (try Graph.inferShape(setup.op, setup.tensors.map(\.shape))))
  for precision in ["float64", "float32"] {
    let tolerance = file.tolerance[precision]!
    let result = precision == "float64"
      ? try runSequenceCase(parts[0], c, as: Double.self)
      : try runSequenceCase(parts[0], c, as: Float.self)
    #expect(close(result.output, c.output.data.map(\.value), tolerance),
            "\(name) \(precision): output")
    var checked = 0
    for key in setup.names where key != "ids" {
      let expected = try #require(c.grads[key], "\(name): the fixture has no gradient of \(key)")
      let actual = try #require(result.grads[key], "\(name): no gradient for \(key)")
      #expect(close(actual, expected.data.map(\.value), tolerance),
              "\(name) \(precision): gradient of \(key)")
      checked += 1
    }
    #expect(checked == (parts[0] == "lstm" ? 4 : 1))
  }
}

@Test func lstmSequencesMatchPyTorchHiddenStates() throws {
  // return_sequences: the output is PyTorch's hidden state of every step.
  for c in sequenceFixtures["lstm"]!.cases where c.returnSequences == true {
    let hidden = try #require(c.hidden)
    let result = try runSequenceCase("lstm", c, as: Double.self)
    #expect(close(result.output, hidden.data.map(\.value), LayerFixtureTolerance(rtol: 1e-9,
                                                                                  atol: 1e-9)))
  }
}

@Test func sequenceFixturesCoverEveryCase() {
  #expect(sequenceFixtureCases.count >= 6)
}

@Test func embeddingShapeRuleRejectsWrongRanks() {
  #expect(throws: GraphError.self) {
    try Graph.inferShape(.embedding(vocab: 4, dim: 2), [[2, 3, 1], [4, 2]])
  }
  #expect(throws: GraphError.self) {
    try Graph.inferShape(.embedding(vocab: 4, dim: 2), [[2, 3], [5, 2]])
  }
  let geometry = LSTMGeometry(time: 3, features: 2, units: 4, returnSequences: false)
  #expect(throws: GraphError.self) {
    try Graph.inferShape(.lstm(geometry), [[2, 6], [16, 2], [16, 4], [16]])
  }
}

@Test func embeddingIdsOutsideTheVocabularyAreFound() {
  var store = ParameterStore<Float>(shapes: [[3, 2]])
  _ = store
  let layer = Layer(name: "emb", declaration: Embedding(vocab: 3, dim: 2), inputShape: [2],
                    outputShape: [2, 2],
                    parameters: [LayerParameter(name: "weight", index: 0, role: .weight)],
                    tag: 0)
  store = ParameterStore<Float>(shapes: [[3, 2]])
  let network = Network(inputShape: [2], layers: [layer], parameterNames: ["emb.weight"],
                        parameters: store)
  #expect(network.invalidToken(in: Tensor(shape: [1, 2], scalars: [0, 2])) == nil)
  let bad = network.invalidToken(in: Tensor(shape: [2, 2], scalars: [0, 2, 1, 3]))
  #expect(bad?.layer == "emb")
  #expect(bad?.id == 3)
  #expect(bad?.position == 3)
  #expect(network.invalidToken(in: Tensor(shape: [1, 2], scalars: [0.5, 1])) != nil)
  #expect(network.invalidToken(in: Tensor(shape: [1, 2], scalars: [-1, 1])) != nil)
}
