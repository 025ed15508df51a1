import Testing

@testable import NNRuntime

// The declarations of Graph/Activations.swift: every activation is listed, named once, and its
// scalar derivative agrees with central differences of its scalar function, so a new activation
// is checked here without a line of this file changing.

@Test func everyActivationIsListedOnceByItsName() {
  #expect(Activation.all.count == Activation.Kind.allCases.count)
  #expect(Set(Activation.all.map(\.name)).count == Activation.all.count)
  #expect(Activation.names == Activation.all.map(\.name).sorted())
  for activation in Activation.all {
    #expect(Activation.named(activation.name) == activation)
    #expect(activation.kind.declaration.activation(activation.parameterValue) == activation)
    #expect(!activation.declaration.summary.isEmpty && !activation.declaration.example.isEmpty)
  }
  #expect(Activation.named("leaky_relu") == .leakyRelu(alpha: 0.01))
  #expect(Activation.named("elu") == .elu(alpha: 1))
  #expect(Activation.named("swish") == nil)
  #expect(Activation.leakyRelu(alpha: 0.2).parameterValue == 0.2)
  #expect(Activation.relu.parameterValue == nil)
}

@Test func theDefaultInitialiserFollowsTheDeclaredFamily() {
  for activation in [Activation.relu, .gelu, .silu, .elu(alpha: 1), .leakyRelu(alpha: 0.01)] {
    #expect(activation.isReLUFamily && activation.declaration.initializer == .he)
  }
  for activation in [Activation.identity, .sigmoid, .tanh, .softmax] {
    #expect(!activation.isReLUFamily && activation.declaration.initializer == .xavier)
  }
}

/// f'(x) from the declared `backward` against (f(x + h) − f(x − h)) / 2h, away from kinks.
@Test(arguments: Activation.all + [.elu(alpha: -0.5), .leakyRelu(alpha: -0.2)])
func theScalarDerivativeMatchesCentralDifferences(_ activation: Activation) {
  guard !activation.declaration.rowWise else { return }
  let h = 1e-6
  for x in [-3.0, -1.3, -0.4, 0.2, 0.7, 2.5] {
    let saved = activation.gradientUsesOutput ? activation.forward(x) : x
    let analytic = activation.backward(saved, 1.0)
    let numeric = (activation.forward(x + h) - activation.forward(x - h)) / (2 * h)
    #expect(abs(analytic - numeric) < 1e-6 * max(1, abs(numeric)),
            "\(activation.name) at \(x): \(analytic) vs \(numeric)")
    // The upstream gradient scales it.
    #expect(abs(activation.backward(saved, 3.0) - 3 * analytic) < 1e-12 * max(1, abs(analytic)))
  }
}

/// Every activation, with a hyperparameter away from its default, survives the model
/// description a saved file carries.
@Test func everyActivationRoundTripsThroughTheModelDescription() throws {
  let layers: [any LayerDeclaration] = Activation.all.map { ActivationLayer($0) }
    + [ActivationLayer(.elu(alpha: 2)), ActivationLayer(.leakyRelu(alpha: 0.3))]
  var random = RandomGenerator(seed: 1)
  let net = try NetworkBuilder.build(input: [3], layers, random: &random)
  let decoded = try LayerDescription.decode(LayerDescription.encode(net.layers))
  let activations = decoded.compactMap { ($0.declaration as? ActivationLayer)?.activation }
  #expect(activations == Activation.all + [.elu(alpha: 2), .leakyRelu(alpha: 0.3)])
}
