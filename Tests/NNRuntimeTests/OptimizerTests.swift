import Foundation
import Testing
@testable import NNRuntime

// Optimizers against torch.optim: Fixtures/optimizers.json, written by
// scripts/make_optimizer_fixtures.py, replays one fixed gradient sequence through every rule.

// MARK: - Fixture decoding

/// A hyper-parameter as the fixture spells it: a number or a flag.
enum OptimizerOption: Decodable, Sendable {
  case number(Double)
  case flag(Bool)

  init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let flag = try? container.decode(Bool.self) {
      self = .flag(flag)
    } else {
      self = .number(try container.decode(Double.self))
    }
  }
}

struct OptimizerCase: Decodable, Sendable, CustomStringConvertible {
  var optimizer: String
  var options: [String: OptimizerOption]
  var learningRates: [Double]?
  /// Parameters after each recorded step (keyed by the step number as a string).
  var float32: [String: [Double]]
  var float64: [String: [Double]]

  enum CodingKeys: String, CodingKey {
    case optimizer, options, float32, float64
    case learningRates = "learning_rates"
  }

  func number(_ key: String) -> Double {
    guard case let .number(value)? = options[key] else { fatalError("no number \(key)") }
    return value
  }

  func flag(_ key: String) -> Bool {
    guard case let .flag(value)? = options[key] else { fatalError("no flag \(key)") }
    return value
  }

  /// The rule the options describe, mapped from PyTorch's names.
  var rule: OptimizerRule {
    switch optimizer {
    case "sgd":
      .sgd(momentum: number("momentum"), dampening: number("dampening"),
           nesterov: flag("nesterov"), weightDecay: number("weight_decay"))
    case "adam":
      .adam(beta1: number("beta1"), beta2: number("beta2"), eps: number("eps"),
            weightDecay: number("weight_decay"), amsgrad: flag("amsgrad"))
    case "adamw":
      .adamw(beta1: number("beta1"), beta2: number("beta2"), eps: number("eps"),
             weightDecay: number("weight_decay"), amsgrad: flag("amsgrad"))
    case "rmsprop":
      .rmsprop(alpha: number("alpha"), eps: number("eps"), momentum: number("momentum"),
               centered: flag("centered"), weightDecay: number("weight_decay"))
    case "adagrad":
      .adagrad(eps: number("eps"), lrDecay: number("lr_decay"),
               weightDecay: number("weight_decay"),
               initialAccumulator: number("initial_accumulator_value"))
    case "nadam":
      .nadam(beta1: number("beta1"), beta2: number("beta2"), eps: number("eps"),
             weightDecay: number("weight_decay"), momentumDecay: number("momentum_decay"))
    default:
      fatalError("unknown optimizer \(optimizer)")
    }
  }

  var description: String {
    let settings = options.keys.sorted().compactMap { key -> String? in
      switch options[key]! {
      case let .number(value): "\(key)=\(value)"
      case let .flag(value): value ? key : nil
      }
    }
    let scheduled = learningRates == nil ? "" : " scheduled"
    return "\(optimizer)(\(settings.joined(separator: ", ")))\(scheduled)"
  }
}

struct OptimizerFixture: Decodable, Sendable {
  var start: [Double]
  var gradients: [[Double]]
  var recordedSteps: [Int]
  var cases: [OptimizerCase]

  enum CodingKeys: String, CodingKey {
    case start, gradients, cases
    case recordedSteps = "recorded_steps"
  }

  static let shared: OptimizerFixture = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/optimizers.json")
    do {
      return try JSONDecoder().decode(OptimizerFixture.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot read \(url.path): \(error)")
    }
  }()
}

// MARK: - Replaying the fixture

/// Runs `testCase` in precision `T` and returns the parameters after each recorded step.
private func replay<T: BinaryFloatingPoint>(
  _ testCase: OptimizerCase, as _: T.Type, fixture: OptimizerFixture = .shared
) -> [Int: [Double]] {
  let rule = testCase.rule
  let state = OptimizerState<T>(rule: rule, count: fixture.start.count)
  var parameters = fixture.start.map { T($0) }
  var recorded: [Int: [Double]] = [:]
  let fallbackRate = testCase.number("lr")
  for (index, gradientValues) in fixture.gradients.enumerated() {
    let gradients = gradientValues.map { T($0) }
    let rate = testCase.learningRates?[index] ?? fallbackRate
    parameters.withUnsafeMutableBufferPointer { p in
      gradients.withUnsafeBufferPointer { g in
        state.step(parameters: p.baseAddress!, gradients: g.baseAddress!, learningRate: rate)
      }
    }
    if fixture.recordedSteps.contains(index + 1) {
      recorded[index + 1] = parameters.map { Double($0) }
    }
  }
  return recorded
}

/// The largest error of `actual` against `expected`, relative to `max(|expected|, floor)`:
/// a parameter passing near zero is judged against the scale of the problem, not against 0.
private func largestRelativeError(_ actual: [Double], _ expected: [Double],
                                  floor: Double = 0.1) -> Double {
  zip(actual, expected).map { abs($0 - $1) / max(abs($1), floor) }.max() ?? 0
}

@Suite struct OptimizerTests {
  @Test(arguments: OptimizerFixture.shared.cases)
  func floatMatchesTorchFloat32(_ testCase: OptimizerCase) {
    let recorded = replay(testCase, as: Float.self)
    for step in OptimizerFixture.shared.recordedSteps {
      let expected = testCase.float32[String(step)]!
      let error = largestRelativeError(recorded[step]!, expected)
      #expect(error <= 1e-5, "step \(step): \(recorded[step]!) vs torch \(expected)")
    }
  }

  @Test(arguments: OptimizerFixture.shared.cases)
  func doubleMatchesTorchFloat64(_ testCase: OptimizerCase) {
    let recorded = replay(testCase, as: Double.self)
    for step in OptimizerFixture.shared.recordedSteps {
      let expected = testCase.float64[String(step)]!
      let error = largestRelativeError(recorded[step]!, expected)
      #expect(error <= 1e-12, "step \(step): \(recorded[step]!) vs torch \(expected)")
    }
  }

  @Test func fixtureExercisesEveryOption() {
    let cases = OptimizerFixture.shared.cases
    func some(_ name: String, _ predicate: (OptimizerRule) -> Bool) -> Bool {
      cases.contains { $0.optimizer == name && predicate($0.rule) }
    }
    #expect(some("sgd") { $0.value(of: "momentum")! > 0 })
    #expect(some("sgd") { $0.value(of: "dampening")! > 0 })
    #expect(some("sgd") { $0.value(of: "nesterov") == 1 })
    #expect(some("sgd") { $0.value(of: "weight_decay")! > 0 })
    #expect(some("adam") { $0.value(of: "weight_decay")! > 0 })
    #expect(some("adam") { $0.value(of: "amsgrad") == 1 })
    #expect(some("adamw") { $0.value(of: "amsgrad") == 1 })
    #expect(some("rmsprop") { $0.value(of: "momentum")! > 0 })
    #expect(some("rmsprop") { $0.value(of: "centered") == 1 })
    #expect(some("rmsprop") { $0.value(of: "weight_decay")! > 0 })
    #expect(some("adagrad") { $0.value(of: "lr_decay")! > 0 })
    #expect(some("adagrad") { $0.value(of: "weight_decay")! > 0 })
    #expect(some("adagrad") { $0.value(of: "initial_accumulator")! > 0 })
    #expect(some("nadam") { $0.value(of: "weight_decay")! > 0 })
    #expect(some("nadam") { $0.value(of: "momentum_decay")! != 0.004 })
    for name in OptimizerRule.names {
      #expect(cases.contains { $0.optimizer == name && $0.learningRates != nil },
              "\(name) has no scheduled case")
    }
  }

  // MARK: - State

  /// Two separate step() calls on one state equal the fixture's steps 1 and 2; a fresh state
  /// started from the step-1 parameters does not (the moments carry over between calls).
  @Test(arguments: ["sgd", "adam", "rmsprop", "adagrad", "nadam"])
  func statePersistsAcrossCalls(_ name: String) {
    let rule: OptimizerRule = switch name {
    case "sgd": .sgd(momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0)
    case "rmsprop": .rmsprop(alpha: 0.9, eps: 1e-8, momentum: 0, centered: false,
                             weightDecay: 0)
    default: OptimizerRule.defaults(name)!
    }
    let gradients: [[Double]] = [[1, -2, 0.5], [1, -2, 0.5]]
    let persistent = OptimizerState<Double>(rule: rule, count: 3)
    var carried: [Double] = [0.5, 0.25, -1]
    for gradient in gradients {
      stepOnce(persistent, &carried, gradient, rate: 0.1)
    }
    #expect(persistent.steps == 2)

    var restarted: [Double] = [0.5, 0.25, -1]
    stepOnce(OptimizerState<Double>(rule: rule, count: 3), &restarted, gradients[0], rate: 0.1)
    stepOnce(OptimizerState<Double>(rule: rule, count: 3), &restarted, gradients[1], rate: 0.1)
    #expect(carried != restarted)
  }

  @Test func sgdMomentumStartsFromTheFirstGradientUndamped() {
    let rule = OptimizerRule.sgd(momentum: 0.9, dampening: 0.5, nesterov: false, weightDecay: 0)
    let state = OptimizerState<Double>(rule: rule, count: 1)
    var parameters = [0.0]
    stepOnce(state, &parameters, [2], rate: 1)
    #expect(parameters == [-2])           // buf = g, not (1 − dampening)·g
    stepOnce(state, &parameters, [2], rate: 1)
    #expect(parameters == [-2 - 2.8])     // buf = 0.9·2 + 0.5·2
  }

  @Test(arguments: OptimizerFixture.shared.cases)
  func resetStartsOver(_ testCase: OptimizerCase) {
    let fixture = OptimizerFixture.shared
    let state = OptimizerState<Double>(rule: testCase.rule, count: fixture.start.count)
    var parameters = fixture.start
    for gradient in fixture.gradients.prefix(5) {
      stepOnce(state, &parameters, gradient, rate: testCase.number("lr"))
    }
    state.reset()
    #expect(state.steps == 0)
    parameters = fixture.start
    stepOnce(state, &parameters, fixture.gradients[0],
             rate: testCase.learningRates?[0] ?? testCase.number("lr"))
    let expected = testCase.float64["1"]!
    #expect(largestRelativeError(parameters, expected) <= 1e-12)
  }

  @Test func emptyBufferSteps() {
    for name in OptimizerRule.names {
      let state = OptimizerState<Float>(rule: OptimizerRule.defaults(name)!, count: 0)
      var parameters: [Float] = [7]
      let gradients: [Float] = [1]
      state.step(parameters: &parameters, gradients: gradients, learningRate: 0.1)
      #expect(state.steps == 1)
      #expect(parameters == [7])
    }
  }

  // MARK: - Rules

  @Test func defaultsAreTorchDefaults() {
    #expect(OptimizerRule.defaults("sgd")
      == .sgd(momentum: 0, dampening: 0, nesterov: false, weightDecay: 0))
    #expect(OptimizerRule.defaults("adam")
      == .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false))
    #expect(OptimizerRule.defaults("adamw")
      == .adamw(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, amsgrad: false))
    #expect(OptimizerRule.defaults("rmsprop")
      == .rmsprop(alpha: 0.99, eps: 1e-8, momentum: 0, centered: false, weightDecay: 0))
    #expect(OptimizerRule.defaults("adagrad")
      == .adagrad(eps: 1e-10, lrDecay: 0, weightDecay: 0, initialAccumulator: 0))
    #expect(OptimizerRule.defaults("lbfgs") == nil)
    #expect(OptimizerRule.defaultLearningRates
      == ["sgd": 1e-3, "adam": 1e-3, "adamw": 1e-3, "rmsprop": 1e-2, "adagrad": 1e-2,
          "nadam": 2e-3])
    #expect(OptimizerRule.defaults("nadam")
      == .nadam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3))
    for name in OptimizerRule.names {
      #expect(OptimizerRule.defaults(name)?.name == name)
      #expect(OptimizerRule.defaults(name)?.validate() == nil)
    }
  }

  @Test(arguments: [
    (OptimizerRule.sgd(momentum: -0.1, dampening: 0, nesterov: false, weightDecay: 0),
     "momentum must be a finite number ≥ 0, got -0.1"),
    (.sgd(momentum: 0, dampening: 0, nesterov: false, weightDecay: -1),
     "weight_decay must be a finite number ≥ 0, got -1"),
    (.sgd(momentum: 0, dampening: 0, nesterov: true, weightDecay: 0),
     "nesterov momentum requires a momentum > 0 and zero dampening"),
    (.sgd(momentum: 0.9, dampening: 0.1, nesterov: true, weightDecay: 0),
     "nesterov momentum requires a momentum > 0 and zero dampening"),
    (.sgd(momentum: 0.9, dampening: .nan, nesterov: false, weightDecay: 0),
     "dampening must be finite, got nan"),
    (.adam(beta1: 1, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false),
     "beta1 must be in [0, 1), got 1"),
    (.adam(beta1: 0.9, beta2: -0.5, eps: 1e-8, weightDecay: 0, amsgrad: false),
     "beta2 must be in [0, 1), got -0.5"),
    (.adamw(beta1: 0.9, beta2: 0.999, eps: -1e-8, weightDecay: 0, amsgrad: false),
     "eps must be a finite number ≥ 0, got -1e-8"),
    (.adamw(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: .infinity, amsgrad: false),
     "weight_decay must be a finite number ≥ 0, got inf"),
    (.rmsprop(alpha: -0.99, eps: 1e-8, momentum: 0, centered: false, weightDecay: 0),
     "alpha must be a finite number ≥ 0, got -0.99"),
    (.rmsprop(alpha: 0.99, eps: 1e-8, momentum: -1, centered: true, weightDecay: 0),
     "momentum must be a finite number ≥ 0, got -1"),
    (.adagrad(eps: 1e-10, lrDecay: -0.1, weightDecay: 0, initialAccumulator: 0),
     "lr_decay must be a finite number ≥ 0, got -0.1"),
    (.adagrad(eps: 1e-10, lrDecay: 0, weightDecay: 0, initialAccumulator: -1),
     "initial_accumulator must be a finite number ≥ 0, got -1"),
    (.nadam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, momentumDecay: -0.004),
     "momentum_decay must be a finite number ≥ 0, got -0.004"),
    (.nadam(beta1: 0.9, beta2: 1, eps: 1e-8, weightDecay: 0, momentumDecay: 0.004),
     "beta2 must be in [0, 1), got 1"),
  ])
  func validateRejects(_ rule: OptimizerRule, _ message: String) {
    #expect(rule.validate() == message)
  }

  @Test func validateAccepts() {
    #expect(OptimizerRule.sgd(momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 1e-4)
      .validate() == nil)
    #expect(OptimizerRule.adam(beta1: 0, beta2: 0, eps: 0, weightDecay: 0, amsgrad: true)
      .validate() == nil)
    #expect(OptimizerRule.validate(learningRate: 0) == nil)
    #expect(OptimizerRule.validate(learningRate: -0.5)
      == "lr must be a finite number ≥ 0, got -0.5")
    #expect(OptimizerRule.validate(learningRate: .nan)
      == "lr must be a finite number ≥ 0, got nan")
  }
}

private func stepOnce<T: BinaryFloatingPoint>(
  _ state: OptimizerState<T>, _ parameters: inout [T], _ gradients: [Double], rate: Double
) {
  let converted = gradients.map { T($0) }
  parameters.withUnsafeMutableBufferPointer { p in
    converted.withUnsafeBufferPointer { g in
      state.step(parameters: p.baseAddress!, gradients: g.baseAddress!, learningRate: rate)
    }
  }
}
