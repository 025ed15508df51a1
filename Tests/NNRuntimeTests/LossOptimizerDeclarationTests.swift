import Testing
@testable import NNRuntime

// Losses and optimizers are each one declaration in one file: a loss or an optimizer declared
// here, outside the registries and the runtime, runs through the op IR, plans, autodiff and
// optimizer state without any other change; and the registered ones derive everything from
// their declarations.

// MARK: - A loss declared in a test

/// Mean of (p − y)⁴: declared only here, to show a loss needs nothing beyond its declaration.
private struct MeanQuartic: LossFunction {
  static let declaration = LossDeclaration(
    name: "mean_quartic", summary: "Mean fourth power of the error.", example: "",
    hyperparameters: [.number("scale", 1, .positive, "multiplies the loss")],
    targetKind: .values, reduction: .mean, readsLogits: false, fusedActivation: nil,
    targetGradientIsNegated: true, readsProbabilities: false,
    make: { MeanQuartic(scale: $0["scale"]!) })

  let scale: Double

  func value(_ operands: LossOperands<Float>) -> Double { compute(operands) }
  func value(_ operands: LossOperands<Double>) -> Double { compute(operands) }
  func gradient(_ operands: LossOperands<Float>, upstream: Float,
                into output: UnsafeMutablePointer<Float>) {
    differentiate(operands, upstream, output)
  }
  func gradient(_ operands: LossOperands<Double>, upstream: Double,
                into output: UnsafeMutablePointer<Double>) {
    differentiate(operands, upstream, output)
  }

  private func compute<T: PlanScalar>(_ o: LossOperands<T>) -> Double {
    var total = 0.0
    for i in 0..<o.count {
      let d = (o.prediction[i] - o.target[i]).doubleValue
      total += d * d * d * d
    }
    return scale * total / Double(o.count)
  }

  private func differentiate<T: PlanScalar>(
    _ o: LossOperands<T>, _ g: T, _ out: UnsafeMutablePointer<T>
  ) {
    let factor = T(4 * scale) * g / T(o.count)
    for i in 0..<o.count {
      let d = o.prediction[i] - o.target[i]
      out[i] = factor * d * d * d
    }
  }
}

@Test(arguments: [false, true])
func aLossDeclaredOutsideTheRuntimeRunsThroughPlansAndAutodiff(_ inFloat: Bool) throws {
  let kind = MeanQuartic.declaration.kind(["scale": 2])
  #expect(kind.name == "mean_quartic" && kind.values == ["scale": 2])
  var graph = Graph()
  let p = graph.parameter(0, shape: [2, 2])
  let y = graph.input(0, shape: [2, 2])
  let loss = try graph.add(.loss(kind), [p, y])
  let gradients = try graph.differentiate(loss, withRespectTo: [p, y])
  let start: [Double] = [1, 2, 0, -1]
  let target: [Double] = [0, 0, 1, 1]
  let expectedLoss = 2 * (1 + 16 + 1 + 16) / 4.0
  let expectedGradient = zip(start, target).map { 2 * 4 * power($0 - $1, 3) / 4 }

  func check<T: PlanScalar>(_: T.Type) throws {
    let store = ParameterStore<T>(shapes: [[2, 2]])
    store.assign(0, start)
    let plan = try Plan(graph: graph, outputs: [loss] + gradients, gradients: [],
                        parameters: store, training: true)
    plan.setInput(0, target)
    var random = RandomGenerator(seed: 0)
    plan.run(random: &random)
    #expect(plan.values(loss).map(\.doubleValue) == [expectedLoss])
    #expect(plan.values(gradients[0]).map(\.doubleValue) == expectedGradient)
    #expect(plan.values(gradients[1]).map(\.doubleValue) == expectedGradient.map { -$0 })
  }
  if inFloat { try check(Float.self) } else { try check(Double.self) }
}

@Test func aDeclaredLossChecksItsTargetsByItsDeclaredRule() {
  let kind = MeanQuartic.declaration.defaultKind
  #expect(kind.values == ["scale": 1])
  #expect(throws: GraphError.self) {
    var graph = Graph()
    let p = graph.input(0, shape: [3, 2])
    let y = graph.input(1, shape: [3])
    _ = try graph.add(.loss(kind), [p, y])
  }
  #expect((try? kind.targetShape([3, 2], prediction: [3, 2]))?.shape == [3, 2])
}

private func power(_ x: Double, _ n: Int) -> Double {
  (0..<n).reduce(1) { product, _ in product * x }
}

// MARK: - An optimizer declared in a test

/// signSGD: p −= lr·sign(g), with a step counter in its one state slot; declared only here.
private struct SignDescent: OptimizerUpdate {
  static let declaration = OptimizerDeclaration(
    name: "sign_descent", summary: "Steps by the gradient's sign.", example: "",
    learningRate: 0.5, hyperparameters: [.number("start", 3, .finite, "the slot's start")],
    make: { SignDescent(start: $0["start"]!) })

  let start: Double
  var stateSlots: Int { 1 }
  var initialState: Double { start }
  func validate() -> String? { start == 13 ? "start must not be 13" : nil }

  func update(_ context: OptimizerKernelContext<Float>) { run(context) }
  func update(_ context: OptimizerKernelContext<Double>) { run(context) }

  private func run<U: BinaryFloatingPoint>(_ c: OptimizerKernelContext<U>) {
    let rate = U(c.learningRate)
    let slot = c.buffer(0)
    for i in 0..<c.count {
      let g = c.gradients[i]
      c.parameters[i] -= g > 0 ? rate : (g < 0 ? -rate : 0)
      slot[i] += 1
    }
  }
}

@Test func anOptimizerDeclaredOutsideTheRuntimeSteps() {
  let declaration = SignDescent.declaration
  let rule = declaration.rule([:])
  #expect(rule.name == "sign_descent" && rule.values == ["start": 3])
  #expect(rule.validate() == nil)
  #expect(declaration.rule(["start": 13]).validate() == "start must not be 13")
  #expect(declaration.rule(["start": .nan]).validate() == "start must be finite, got nan")
  #expect(rule.stateSlots == 1)
  let state = OptimizerState<Double>(rule: rule, count: 3)
  var parameters: [Double] = [1, 1, 1]
  let gradients: [Double] = [2, -0.5, 0]
  state.step(parameters: &parameters, gradients: gradients, learningRate: 0.25)
  state.step(parameters: &parameters, gradients: gradients, learningRate: 0.25)
  #expect(parameters == [0.5, 1.5, 1])
  #expect(state.steps == 2)
}

// MARK: - Element types without their own loop

/// Float16 has no update loop of its own: the state steps it through Double copies and
/// agrees with the Float loop on values Float16 holds exactly.
@Test(arguments: OptimizerRule.names)
func anOptimizerStepsAnElementTypeWithoutItsOwnLoop(_ name: String) {
  let rule = OptimizerRule.defaults(name)!
  let half = OptimizerState<Float16>(rule: rule, count: 2)
  let single = OptimizerState<Float>(rule: rule, count: 2)
  var halfParameters: [Float16] = [0.5, -0.25]
  var singleParameters: [Float] = [0.5, -0.25]
  for _ in 0..<2 {
    half.step(parameters: &halfParameters, gradients: [1, -0.5], learningRate: 0.125)
    single.step(parameters: &singleParameters, gradients: [1, -0.5], learningRate: 0.125)
  }
  #expect(half.steps == 2)
  for (h, s) in zip(halfParameters, singleParameters) {
    #expect(Swift.abs(Float(h) - s) <= 1e-3, "\(name): \(h) vs \(s)")
  }
  #expect(halfParameters != [0.5, -0.25])
}

// MARK: - The registered declarations

@Test func everyLossIsDerivedFromItsDeclaration() {
  let names = LossKind.declarations.map(\.name)
  #expect(names == ["mse", "sse", "mae", "cross_entropy", "bce", "huber"])
  #expect(Set(names).count == names.count)
  for declaration in LossKind.declarations {
    let kind = declaration.defaultKind
    #expect(LossKind.declaration(declaration.name)?.name == kind.name)
    #expect(kind.targetKind == declaration.targetKind)
    #expect(kind.reduction == declaration.reduction)
    #expect(kind == declaration.kind(kind.values))
  }
  #expect(LossKind.mse.reduction == .mean && LossKind.sse.reduction == .sum)
  #expect(LossKind.crossEntropy.targetKind == .classes)
  #expect(LossKind.bce.targetKind == .probabilities)
  #expect(LossKind.crossEntropy.declaration.fusedActivation == .softmax)
  #expect(LossKind.bce.declaration.fusedActivation == .sigmoid)
  #expect(LossKind.mse.declaration.fusedActivation == nil)
  #expect(LossKind.huber(delta: 1) == LossKind.declaration("huber")!.defaultKind)
  #expect(LossKind.huber(delta: 2) != LossKind.huber(delta: 1))
  #expect(Set([LossKind.huber(delta: 2), .huber(delta: 2), .mse]).count == 2)
  #expect(LossKind.declaration("huber")?.hyperparameters.map(\.name) == ["delta"])
  #expect(LossKind.huber(delta: 0.5).description == "huber(delta: 0.5)")
}

@Test func everyOptimizerIsDerivedFromItsDeclaration() {
  #expect(OptimizerRule.names == ["sgd", "adam", "adamw", "rmsprop", "adagrad", "nadam"])
  for declaration in OptimizerRule.declarations {
    let rule = declaration.defaultRule
    #expect(rule.name == declaration.name)
    #expect(Set(rule.values.keys) == Set(declaration.hyperparameters.map(\.name)))
    #expect(rule == declaration.rule(rule.values))
  }
}

/// The declared fusion names the fused gradients in listings: bce reads logits only after its
/// sigmoid, cross-entropy always.
@Test func fusedLossGradientsAreNamedFromTheDeclaration() throws {
  #expect(LossOp.lossGradient(.bce, fromLogits: true).name == "bce_logits_grad")
  #expect(LossOp.lossGradient(.bce, fromLogits: false).name == "bce_grad")
  #expect(LossOp.lossGradient(.crossEntropy, fromLogits: true).name == "cross_entropy_grad")
  var graph = Graph()
  let z = graph.parameter(0, shape: [2, 1])
  let y = graph.input(0, shape: [2, 1])
  let p = try graph.add(.activation(.sigmoid), [z])
  let loss = try graph.add(.loss(.bce), [p, y])
  let gradients = try graph.differentiate(loss, withRespectTo: [z])
  let plan = try Plan<Float>(graph: graph, outputs: [loss], gradients: gradients,
                             parameters: ParameterStore<Float>(shapes: [[2, 1]]), training: true)
  #expect(plan.listing.contains("sigmoid+bce_grad"))
  #expect(plan.listing.contains("sigmoid+bce"))
}
