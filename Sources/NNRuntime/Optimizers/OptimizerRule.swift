/// One optimizer, written in its own file (SGD.swift, Adam.swift, …): its declaration (name,
/// default learning rate, hyper-parameters with defaults, ranges and help), the state it keeps
/// per scalar, any check its ranges cannot express, and its update loop in Float and Double.
///
/// A new optimizer is one conforming type plus its entry in `OptimizerRule.declarations`; the
/// language's built-in, help, validation and the trainer follow from it.
protocol OptimizerUpdate: Sendable {
  /// Everything the language knows about the optimizer; `make` builds this type.
  static var declaration: OptimizerDeclaration { get }
  /// The number of state buffers (momentum, moments, sums) kept per parameter scalar.
  var stateSlots: Int { get }
  /// The value every state buffer starts at (and returns to on `reset()`).
  var initialState: Double { get }
  /// A problem the declared ranges cannot express (SGD's Nesterov needs momentum), or nil.
  func validate() -> String?
  /// One step over every scalar of `context`, in PyTorch's order of operations. Float and
  /// Double are separate requirements so each is a specialised loop: a generic requirement
  /// called through `any OptimizerUpdate` would run unspecialised, tens of times slower.
  func update(_ context: OptimizerKernelContext<Float>)
  /// The Double update (see the Float one).
  func update(_ context: OptimizerKernelContext<Double>)
}

extension OptimizerUpdate {
  var initialState: Double { 0 }
  func validate() -> String? { nil }
}

/// An optimizer's update rule and its hyper-parameters, less the learning rate (which a
/// schedule may change every step, so it is passed to each `OptimizerState.step` instead).
///
/// Every rule follows `torch.optim` exactly (the single-tensor path, `maximize=False`). Each
/// optimizer is declared once, in its own file; the built-ins, help and `validate()` are
/// derived from its declaration. `OptimizerRule.sgd(momentum: …)` and its siblings make a rule
/// from Swift.
public struct OptimizerRule: Sendable, Equatable {
  /// The declaration the rule was made from.
  public let declaration: OptimizerDeclaration
  /// The hyper-parameters by their language names (a flag as 0 or 1), one for each the
  /// declaration lists.
  public let values: [String: Double]
  /// The update the values make.
  let update: any OptimizerUpdate

  /// The rule of `declaration` with `values`, each hyper-parameter `values` lacks at its
  /// default.
  init(_ declaration: OptimizerDeclaration, _ values: [String: Double]) {
    var all = Dictionary(
      uniqueKeysWithValues: declaration.hyperparameters.map { ($0.name, $0.defaultValue) })
    all.merge(values) { _, given in given }
    self.declaration = declaration
    self.values = all
    update = declaration.make(all)
  }

  /// The optimizer's name as the language and PyTorch (lower-cased) spell it.
  public var name: String { declaration.name }

  /// Two rules are equal when they are the same optimizer with the same hyper-parameters.
  public static func == (a: OptimizerRule, b: OptimizerRule) -> Bool {
    a.name == b.name && a.values == b.values
  }

  /// The names `defaults(_:)` knows, in a stable order (for listings and suggestions).
  public static let names = declarations.map(\.name)

  /// The rule named `name` with PyTorch's default hyper-parameters, or nil for an unknown name.
  public static func defaults(_ name: String) -> OptimizerRule? {
    declaration(name)?.defaultRule
  }

  /// PyTorch's default learning rate for each optimizer (SGD's has been 1e-3 since 2.x).
  public static let defaultLearningRates: [String: Double] = Dictionary(
    uniqueKeysWithValues: declarations.map { ($0.name, $0.learningRate) })

  /// The number of per-scalar state buffers the rule keeps (momentum, moments, sums).
  var stateSlots: Int { update.stateSlots }

  // MARK: - Validation

  /// A message describing the first invalid hyper-parameter, or nil when all are valid.
  ///
  /// Each hyper-parameter must lie in its declared range (`torch.optim`'s constructor checks,
  /// plus finiteness everywhere), then pass the optimizer's own check; the messages use the
  /// language's names.
  public func validate() -> String? {
    for hyperparameter in declaration.hyperparameters {
      guard let range = hyperparameter.range, let value = values[hyperparameter.name],
        !range.contains(value)
      else { continue }
      return Self.message(hyperparameter.name, range, value)
    }
    return update.validate()
  }

  /// `NAME must be …, got VALUE`, in the words PyTorch-era tests and scripts know.
  static func message(_ name: String, _ range: NumberRange, _ value: Double) -> String {
    switch range {
    case .nonNegative: "\(name) must be a finite number ≥ 0, got \(formatNumber(value))"
    case .unitInterval: "\(name) must be in [0, 1), got \(formatNumber(value))"
    case .finite: "\(name) must be finite, got \(formatNumber(value))"
    default: "\(name) must be \(range.text), got \(formatNumber(value))"
    }
  }

  /// A message when `learningRate` is negative or not finite, as PyTorch's optimizers check
  /// it; nil otherwise. Separate from `validate()` because the rule does not hold the rate.
  public static func validate(learningRate: Double) -> String? {
    NumberRange.nonNegative.contains(learningRate)
      ? nil : message("lr", .nonNegative, learningRate)
  }
}
