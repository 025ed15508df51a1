import Foundation
import Testing
@testable import NNRuntime

// attention and transformer against PyTorch's MultiheadAttention and TransformerEncoderLayer:
// Fixtures/layers/{attention,transformer}.json, written by scripts/make_attention_fixtures.py.
// Each case builds the layer from its declaration, copies PyTorch's parameters in by their
// state_dict names, and runs a Double plan (float64 tolerance) and a Float plan (float32
// tolerance): the output, and the gradients of L = sum(output · G) with respect to the input and
// every parameter — through the heads, the mask, both products, the norms and the
// feed-forward block, all lowered to primitive ops.

struct AttentionFixtureCase: Decodable, Sendable {
  var name: String
  var features: Int
  var heads: Int
  var causal: Bool
  var hidden: Int?
  var normFirst: Bool?
  var act: String?
  var input: FixtureTensor
  var params: [String: FixtureTensor]
  var output: FixtureTensor
  var gradOutput: FixtureTensor
  var grads: [String: FixtureTensor]

  enum CodingKeys: String, CodingKey {
    case name, features, heads, causal, hidden, act, input, params, output, grads
    case normFirst = "norm_first"
    case gradOutput = "grad_output"
  }

  /// The nn declaration of the same configuration.
  var declaration: any LayerDeclaration {
    guard let hidden else { return Attention(heads: heads, causal: causal) }
    return Transformer(heads: heads, hidden: hidden, causal: causal,
                       normFirst: normFirst ?? false, activation: act == "gelu" ? .gelu : .relu)
  }
}

struct AttentionFixtureFile: Decodable, Sendable {
  var op: String
  var tolerance: [String: LayerFixtureTolerance]
  var cases: [AttentionFixtureCase]

  static func load(_ op: String) -> AttentionFixtureFile {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/layers/\(op).json")
    do {
      return try JSONDecoder().decode(AttentionFixtureFile.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot read \(url.path): \(error)")
    }
  }
}

private let attentionFixtures = ["attention", "transformer"].map(AttentionFixtureFile.load)
private let attentionCaseNames = attentionFixtures.flatMap { file in
  file.cases.map { "\(file.op)/\($0.name)" }
}

/// Runs one case in precision T: the output and the gradients by PyTorch name.
private func runAttentionCase<T: PlanScalar>(
  _ c: AttentionFixtureCase, prefix: String, as _: T.Type
) throws -> (output: [Double], grads: [String: [Double]]) {
  let shape = c.input.shape
  var random = RandomGenerator(seed: 1)
  let network = try NetworkBuilder.build(input: Array(shape.dropFirst()), [c.declaration],
                                         random: &random)
  let store = ParameterStore<T>(shapes: network.parameters.shapes)
  for (index, fullName) in network.parameterNames.enumerated() {
    let torchName = String(fullName.dropFirst(prefix.count))
    let tensor = try #require(c.params[torchName], "no PyTorch parameter \(torchName)")
    #expect(tensor.shape == store.shapes[index], "\(torchName)")
    store.assign(index, tensor.data.map(\.value))
  }
  var graph = Graph()
  let lowering = try network.lower(into: &graph, batch: shape[0])
  let g = try graph.add(.constant(c.gradOutput.tensor), [])
  let product = try graph.add(.multiply, [lowering.output, g])
  let loss = try graph.add(.sum(axis: nil), [product])
  let gradients = try graph.differentiate(loss, withRespectTo: [lowering.input]
                                            + lowering.parameterNodes)
  let plan = try Plan(graph: graph, outputs: [lowering.output, gradients[0]],
                      gradients: Array(gradients.dropFirst()), parameters: store,
                      training: false)
  plan.setInput(0, c.input.data.map(\.value))
  var generator = RandomGenerator(seed: 2)
  plan.run(random: &generator)
  var grads = ["input": plan.values(gradients[0]).map(\.doubleValue)]
  let buffer = plan.gradientBuffer
  for (index, fullName) in network.parameterNames.enumerated() {
    let start = store.offsets[index]
    grads[String(fullName.dropFirst(prefix.count))] =
      buffer[start..<(start + store.count(of: index))].map(\.doubleValue)
  }
  return (plan.values(lowering.output).map(\.doubleValue), grads)
}

private func within(
  _ actual: [Double], _ expected: FixtureTensor, _ tolerance: LayerFixtureTolerance
) -> Bool {
  actual.count == expected.data.count && zip(actual, expected.data).allSatisfy { a, e in
    Swift.abs(a - e.value) <= tolerance.atol + tolerance.rtol * Swift.abs(e.value)
  }
}

@Test(arguments: attentionCaseNames)
func attentionLayerMatchesPyTorch(_ name: String) throws {
  let parts = name.split(separator: "/").map(String.init)
  let file = try #require(attentionFixtures.first { $0.op == parts[0] })
  let c = try #require(file.cases.first { $0.name == parts[1] })
  let prefix = parts[0] + "1."
  for precision in ["float64", "float32"] {
    let tolerance = try #require(file.tolerance[precision])
    let result = precision == "float64"
      ? try runAttentionCase(c, prefix: prefix, as: Double.self)
      : try runAttentionCase(c, prefix: prefix, as: Float.self)
    #expect(within(result.output, c.output, tolerance), "\(name) \(precision) output")
    #expect(result.grads.count == c.grads.count, "\(name): gradients \(result.grads.keys)")
    for (parameter, expected) in c.grads {
      let actual = try #require(result.grads[parameter], "\(name): no gradient \(parameter)")
      #expect(within(actual, expected, tolerance), "\(name) \(precision) ∂L/∂\(parameter)")
    }
  }
}

@Test func attentionParametersAreNamedAndShapedAsPyTorchs() throws {
  var random = RandomGenerator(seed: 3)
  let network = try NetworkBuilder.build(
    input: [5, 8], [Transformer(heads: 2, hidden: 16), Attention(heads: 4)], random: &random)
  #expect(network.parameterNames == [
    "transformer1.self_attn.in_proj_weight", "transformer1.self_attn.in_proj_bias",
    "transformer1.self_attn.out_proj.weight", "transformer1.self_attn.out_proj.bias",
    "transformer1.linear1.weight", "transformer1.linear1.bias",
    "transformer1.linear2.weight", "transformer1.linear2.bias",
    "transformer1.norm1.weight", "transformer1.norm1.bias",
    "transformer1.norm2.weight", "transformer1.norm2.bias",
    "attention1.in_proj_weight", "attention1.in_proj_bias",
    "attention1.out_proj.weight", "attention1.out_proj.bias",
  ])
  #expect(network.parameters.shapes == [
    [24, 8], [24], [8, 8], [8], [16, 8], [16], [8, 16], [8], [8], [8], [8], [8],
    [24, 8], [24], [8, 8], [8],
  ])
  // PyTorch's initialisation: Xavier-uniform in-projection (bound √(6 / (8 + 24)) = 0.433),
  // zero in-projection and out-projection biases, unit norm scales.
  let inProjection = network.parameters.tensor(0).scalars
  #expect(inProjection.allSatisfy { Swift.abs($0) <= 0.4331 })
  #expect(inProjection.contains { Swift.abs($0) > 0.3 })
  #expect(network.parameters.tensor(1).scalars.allSatisfy { $0 == 0 })
  #expect(network.parameters.tensor(8).scalars.allSatisfy { $0 == 1 })
}
