import Testing
@testable import NNRuntime

// silu against PyTorch: Fixtures/layers/silu.json, written by scripts/make_layer_fixtures.py.
// "elementwise" is nn.SiLU alone (saturating inputs included); "dense" is nn.Linear then SiLU,
// which a plan fuses into one dense kernel. Each case runs in a Double plan (float64 tolerance)
// and a Float plan (float32 tolerance): the output and the gradients of L = sum(output · G).

private let siluFixture = LayerFixtureFile.load("silu")

/// Runs one case in precision T: the output and the gradients by name.
private func runSiLUCase<T: PlanScalar>(
  _ c: LayerFixtureCase, as _: T.Type
) throws -> (output: [Double], grads: [String: [Double]]) {
  let names = ["input"] + (c.params.isEmpty ? [] : ["weight", "bias"])
  let tensors = [c.input] + names.dropFirst().map { c.params[$0]! } + [c.gradOutput]
  var graph = Graph()
  // Every operand and G as parameters, so a Double plan reads exact values.
  let nodes = tensors.enumerated().map { graph.parameter($0.offset, shape: $0.element.shape) }
  var x = nodes[0]
  if names.count == 3 {
    x = try graph.add(.addBias, [try graph.add(.linear, [x, nodes[1]]), nodes[2]])
  }
  let y = try graph.add(.activation(.silu), [x])
  let loss = try graph.add(.sum(axis: nil), [try graph.add(.multiply, [y, nodes.last!])])
  let gradients = try graph.differentiate(loss, withRespectTo: Array(nodes.dropLast()))
  let store = ParameterStore<T>(shapes: tensors.map(\.shape))
  for (i, t) in tensors.enumerated() { store.assign(i, t.data.map(\.value)) }
  let plan = try Plan(graph: graph, outputs: [y, loss],
                      gradients: gradients.map { Optional($0) } + [nil], parameters: store,
                      training: true)
  var random = RandomGenerator(seed: 1)
  plan.run(random: &random)
  let buffer = plan.gradientBuffer
  var grads: [String: [Double]] = [:]
  for (i, name) in names.enumerated() {
    grads[name] = (0..<store.count(of: i)).map { Double(buffer[store.offsets[i] + $0]) }
  }
  return (plan.values(y).map { Double($0) }, grads)
}

private func close(_ actual: [Double], _ expected: [Double], _ tolerance: LayerFixtureTolerance)
  -> Bool {
  actual.count == expected.count && zip(actual, expected).allSatisfy { a, e in
    Swift.abs(a - e) <= tolerance.atol + tolerance.rtol * Swift.abs(e)
  }
}

@Test(arguments: siluFixture.cases.map(\.name))
func siluMatchesPyTorch(_ name: String) throws {
  let c = try #require(siluFixture.cases.first { $0.name == name })
  for precision in ["float64", "float32"] {
    let tolerance = siluFixture.tolerance[precision]!
    let result = precision == "float64"
      ? try runSiLUCase(c, as: Double.self) : try runSiLUCase(c, as: Float.self)
    #expect(close(result.output, c.output.data.map(\.value), tolerance),
            "\(name) \(precision): output")
    #expect(Set(result.grads.keys) == Set(c.grads.keys))
    for (key, expected) in c.grads {
      let actual = try #require(result.grads[key], "\(name): no gradient for \(key)")
      #expect(close(actual, expected.data.map(\.value), tolerance),
              "\(name) \(precision): gradient of \(key)")
    }
  }
}

@Test func siluFusesIntoTheDenseKernelOfAnInferencePlan() throws {
  // Training keeps the pre-activation for the gradient; inference runs one fused kernel.
  let c = try #require(siluFixture.cases.first { $0.name == "dense" })
  let tensors = [c.input, c.params["weight"]!, c.params["bias"]!]
  var graph = Graph()
  let nodes = tensors.enumerated().map { graph.parameter($0.offset, shape: $0.element.shape) }
  let z = try graph.add(.addBias, [try graph.add(.linear, [nodes[0], nodes[1]]), nodes[2]])
  let y = try graph.add(.activation(.silu), [z])
  let store = ParameterStore<Float>(shapes: tensors.map(\.shape))
  for (i, t) in tensors.enumerated() { store.assign(i, t.data.map(\.value)) }
  let plan = try Plan(graph: graph, outputs: [y], gradients: [], parameters: store,
                      training: false)
  var random = RandomGenerator(seed: 1)
  plan.run(random: &random)
  #expect(plan.listing.contains("linear+bias+silu"))
  #expect(close(plan.values(y).map(Double.init), c.output.data.map(\.value),
                siluFixture.tolerance["float32"]!))
}

@Test func siluEagerlyMatchesPyTorch() throws {
  // The eager entry point runs the same kernel as the plan.
  let c = try #require(siluFixture.cases.first { $0.name == "elementwise" })
  let x = Tensor(shape: c.input.shape, scalars: c.input.data.map { Float($0.value) })
  let y = try Tensor.apply(.activation(.silu), [x])
  let tolerance = siluFixture.tolerance["float32"]!
  #expect(close(y.scalars.map(Double.init), c.output.data.map(\.value), tolerance))
  #expect(Activation.silu.name == "silu" && Activation.silu.isReLUFamily)
  #expect(!Activation.silu.gradientUsesOutput)
}
