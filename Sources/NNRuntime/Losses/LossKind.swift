/// One loss, written in its own file (MSE.swift, CrossEntropy.swift, …): its declaration
/// (language name, hyper-parameters, help, target kind, reduction over rows, the activation
/// it fuses with) and its value and gradient kernels in Float and Double.
///
/// A new loss is one conforming type plus its entry in `LossKind.declarations`; the op's shape
/// rule, gradient rule and kernels, the target checks and the language's built-in follow.
protocol LossFunction: Sendable {
  /// Everything the language and the graph know about the loss; `make` builds this type.
  static var declaration: LossDeclaration { get }
  /// The 0-d value, accumulated in Double. Float and Double are separate requirements so each
  /// is a specialised loop: a generic requirement called through `any LossFunction` would run
  /// unspecialised.
  func value(_ operands: LossOperands<Float>) -> Double
  /// The Double value (see the Float one).
  func value(_ operands: LossOperands<Double>) -> Double
  /// dL/dprediction (or dL/dlogits when `operands.fromLogits`) times `upstream`, into
  /// `output` (the prediction's shape).
  func gradient(_ operands: LossOperands<Float>, upstream: Float,
                into output: UnsafeMutablePointer<Float>)
  /// The Double gradient (see the Float one).
  func gradient(_ operands: LossOperands<Double>, upstream: Double,
                into output: UnsafeMutablePointer<Double>)
}

/// Everything the language and the runtime know about one loss, declared once in its file.
public struct LossDeclaration: Sendable {
  /// The name scripts call it by (`cross_entropy`).
  public let name: String
  /// One sentence of help.
  public let summary: String
  /// A short script that uses it.
  public let example: String
  /// The hyper-parameters after the prediction and target (huber's `delta`).
  public let hyperparameters: [Hyperparameter]
  /// The targets the loss takes (the rule is `LossKind.targetShape`).
  public let targetKind: LossTargetKind
  /// How the loss combines rows: what a mini-batch's or a rank's share of a step weighs.
  public let reduction: LossReduction
  /// Whether the loss always reads logits (cross-entropy's log-sum-exp), fused or not.
  public let readsLogits: Bool
  /// The activation whose input logits the loss reads when it directly follows it (softmax
  /// for cross-entropy, sigmoid for bce); nil for none.
  public let fusedActivation: Activation?
  /// Whether the loss depends on p − y only, so dL/dy = −dL/dp; otherwise a gradient with
  /// respect to the target is an error.
  public let targetGradientIsNegated: Bool
  /// Whether the predictions must be probabilities (bce): a model the loss is bound to must
  /// end in an activation whose outputs lie in [0, 1] (`Activation.outputsProbabilities`),
  /// checked before training (`LossKind.predictionProblem`).
  public let readsProbabilities: Bool
  /// Makes the loss from a value for every hyper-parameter.
  let make: @Sendable ([String: Double]) -> any LossFunction

  /// The loss with every hyper-parameter at its default.
  public var defaultKind: LossKind { LossKind(self, [:]) }

  /// The loss with `values`, each hyper-parameter `values` lacks at its default.
  public func kind(_ values: [String: Double]) -> LossKind { LossKind(self, values) }
}

/// A loss's kernels (its `LossFunction`), shared by every copy of the `LossKind` made with them.
final class LossKernels: Sendable {
  let function: any LossFunction

  init(_ function: any LossFunction) { self.function = function }
}

/// A loss function reducing a prediction and a target to a 0-d value: a declared loss with
/// its hyper-parameter values. `.mse`, `.crossEntropy`, `.huber(delta: 1)`, … name them from
/// Swift; each loss's file says what it computes.
public struct LossKind: Hashable, Sendable {
  /// The declaration the loss was made from.
  public let declaration: LossDeclaration
  /// The hyper-parameters by their language names, one for each the declaration lists.
  public let values: [String: Double]
  /// The kernels the values make, in a class so that a plan's loss kernel can point at them
  /// without owning a reference (see `LossOperands.kernels`).
  let kernels: LossKernels

  /// The kernels the values make.
  var function: any LossFunction { kernels.function }

  init(_ declaration: LossDeclaration, _ values: [String: Double]) {
    var all = Dictionary(
      uniqueKeysWithValues: declaration.hyperparameters.map { ($0.name, $0.defaultValue) })
    all.merge(values) { _, given in given }
    self.declaration = declaration
    self.values = all
    kernels = LossKernels(declaration.make(all))
  }

  /// Every loss, in the order listings show them: the one line a new loss adds outside its
  /// own file.
  public static let declarations: [LossDeclaration] = [
    MSE.declaration, SSE.declaration, MAE.declaration, CrossEntropy.declaration,
    BCE.declaration, Huber.declaration,
  ]

  /// The declaration of the loss named `name`, or nil.
  public static func declaration(_ name: String) -> LossDeclaration? {
    declarations.first { $0.name == name }
  }

  /// The name a script uses for it.
  public var name: String { declaration.name }

  /// Two losses are equal when they are the same loss with the same hyper-parameters.
  public static func == (a: LossKind, b: LossKind) -> Bool {
    a.name == b.name && a.values == b.values
  }

  /// Hashes the name and the hyper-parameters, as `==` compares them.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(name)
    hasher.combine(values)
  }
}

extension LossKind: CustomStringConvertible {
  /// `mse`, `huber(delta: 1.0)`: the name, then any hyper-parameters in declared order.
  public var description: String {
    let parameters = declaration.hyperparameters.map { "\($0.name): \(values[$0.name]!)" }
    return parameters.isEmpty ? name : "\(name)(\(parameters.joined(separator: ", ")))"
  }
}
