import NNRuntime
import NNSyntax

// The runtime objects scripts hold: layer specifications (before they join a model), losses,
// optimizers and initialisers. Models and traced tensors have files of their own.

/// What a layer call such as `dense(8, tanh)` produces: a runtime layer declaration, which a
/// model body turns into a layer.
final class LayerSpecObject: ScriptObject {
  let declaration: any LayerDeclaration
  /// Where the call was written, for errors found when the model is assembled.
  let location: SourceSpan
  /// The source of arguments a layer error may point at (`weight:`), by name.
  let argumentRanges: [String: SourceRange]

  init(
    _ declaration: any LayerDeclaration, at location: SourceSpan,
    argumentRanges: [String: SourceRange] = [:]
  ) {
    self.declaration = declaration
    self.location = location
    self.argumentRanges = argumentRanges
  }

  var typeName: String { "layer" }
  var kindName: String { declaration.kindName }
  var displayText: String { "<layer \(declaration.declarationText)>" }
}

/// A loss: one of the built-in kinds, or a script function `fn (pred, y)`.
final class LossObject: ScriptObject {
  enum Kind {
    case builtin(LossKind)
    case custom(FunctionValue)
  }

  let kind: Kind

  init(_ kind: Kind) { self.kind = kind }

  var typeName: String { "loss" }

  /// Distinguishes compiled plans of built-in losses; a script function is traced afresh each
  /// time (it may read variables that changed), so it has no key.
  var cacheKey: String? {
    switch kind {
    case .builtin(let loss): return "\(loss)"
    case .custom: return nil
    }
  }

  var name: String {
    switch kind {
    case .builtin(let loss): return loss.name
    case .custom(let function): return function.name
    }
  }

  var displayText: String {
    switch kind {
    case .builtin(let loss):
      let parameters = loss.declaration.hyperparameters.map {
        "\($0.name): \(formatNumber(loss.values[$0.name]!))"
      }
      let list = parameters.isEmpty ? "" : "(\(parameters.joined(separator: ", ")))"
      return "<loss \(loss.name)\(list)>"
    case .custom(let function): return "<loss \(function.name)>"
    }
  }
}

/// An optimizer value: its rule, its learning rate, and its running state per network, kept
/// between calls so that `step` after `step` continues the same moments.
final class OptimizerObject: ScriptObject {
  let rule: OptimizerRule
  var learningRate: Double
  private var states: [ObjectIdentifier: (network: Network, state: OptimizerState<Float>)] = [:]

  init(rule: OptimizerRule, learningRate: Double) {
    self.rule = rule
    self.learningRate = learningRate
  }

  var typeName: String { "optimizer" }

  var displayText: String { "<optimizer \(rule.name)(lr: \(formatNumber(learningRate)))>" }

  /// The state for `network`, made on first use; nil (the refusal) when the memory budget has
  /// no room for it.
  func state(for network: Network) -> Result<OptimizerState<Float>, MemoryRefusal> {
    let key = ObjectIdentifier(network)
    if let entry = states[key], entry.network === network { return .success(entry.state) }
    let bytes = OptimizerState<Float>.bytes(rule: rule, count: network.parameters.count)
    if let refusal = MemoryBudget.refusalForCurrent("the state of \(rule.name)", bytes: bytes) {
      return .failure(MemoryRefusal(message: refusal))
    }
    let state = OptimizerState<Float>(rule: rule, count: network.parameters.count)
    states[key] = (network, state)
    return .success(state)
  }
}

/// The memory budget's refusal of an allocation, with its sentence.
struct MemoryRefusal: Error {
  let message: String
}

/// `init:` values: `he`, `xavier`, `normal(0.01)`, `uniform(-1, 1)`, `zeros`, `constant(0.1)`.
final class InitializerObject: ScriptObject {
  let initializer: Initializer

  init(_ initializer: Initializer) { self.initializer = initializer }

  var typeName: String { "initializer" }
  var displayText: String { "<initializer \(initializer.name)>" }
}
