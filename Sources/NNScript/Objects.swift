import NNRuntime
import NNSyntax

// The runtime objects scripts hold: layer specifications (before they join a model), losses,
// optimizers and initialisers. Models and traced tensors have files of their own.

/// What a layer call such as `dense(8, tanh)` produces: a specification a model body turns into
/// a layer.
final class LayerSpecObject: ScriptObject {
  enum Spec {
    case dense(DenseSpec)
    case activation(Activation)
    case dropout(Double)
    case conv2d(ConvolutionSpec)
    /// `maxpool(size, stride:)` / `avgpool(size, stride:)`: window and stride as [y, x].
    case pool(PoolingGeometry.Kind, size: [Int], stride: [Int])
    case flatten
    /// `embedding(vocab, dim)`: token ids `[time]` per sample to `[time, dim]`.
    case embedding(vocab: Int, dim: Int)
    /// `lstm(units, return_sequences:)` over `[time, features]` samples.
    case lstm(units: Int, returnSequences: Bool)
    /// The per-sample shape; one −1 is inferred from the input.
    case reshape([Int])
    /// `batchnorm()` / `layernorm()`.
    case normalization(NormalizationGeometry.Kind)
  }

  let spec: Spec
  /// Where the call was written, for errors found when the model is assembled.
  let location: SourceSpan

  init(_ spec: Spec, at location: SourceSpan) {
    self.spec = spec
    self.location = location
  }

  var typeName: String { "layer" }

  var kindName: String {
    switch spec {
    case .dense: return "dense"
    case .activation(let activation): return activation.name
    case .dropout: return "dropout"
    case .conv2d: return "conv2d"
    case .pool(let kind, _, _): return kind.name
    case .embedding: return "embedding"
    case .lstm: return "lstm"
    case .flatten: return "flatten"
    case .reshape: return "reshape"
    case .normalization(let kind): return kind.name
    }
  }

  var displayText: String {
    switch spec {
    case .dense(let dense):
      let act = dense.activation == .identity ? "" : ", \(dense.activation.name)"
      return "<layer dense(\(dense.units)\(act))>"
    case .activation(let activation): return "<layer \(activation.name)>"
    case .dropout(let p): return "<layer dropout(\(formatNumber(p)))>"
    case .conv2d(let conv):
      let act = conv.activation == .identity ? "" : ", \(conv.activation.name)"
      return "<layer conv2d(\(conv.filters), \(ModelBuilder.describe(conv.kernel))\(act))>"
    case .pool(let kind, let size, _): return "<layer \(kind.name)(\(ModelBuilder.describe(size)))>"
    case .embedding(let vocab, let dim): return "<layer embedding(\(vocab), \(dim))>"
    case .lstm(let units, let sequences):
      return "<layer lstm(\(units)\(sequences ? ", return_sequences: true" : ""))>"
    case .flatten: return "<layer flatten>"
    case .reshape(let shape): return "<layer reshape(\(ModelBuilder.describe(shape)))>"
    case .normalization(let kind): return "<layer \(kind.name)>"
    }
  }
}

/// The arguments of `conv2d(…)`: sizes as [y, x].
struct ConvolutionSpec {
  var filters: Int
  var kernel: [Int]
  var stride: [Int] = [1, 1]
  /// `padding: "same"` (the default, LANGUAGE.md §5) or `"valid"`.
  var same = true
  var activation: Activation = .identity
  /// `nil`: He before a ReLU-family activation, Xavier otherwise; `load` uses zeros.
  var initializer: Initializer?
}

/// The arguments of `dense(…)`.
struct DenseSpec {
  var units: Int
  var activation: Activation = .identity
  var weight: Tensor?
  var weightRange: SourceRange?
  var bias: Tensor?
  var biasRange: SourceRange?
  /// `nil`: He before a ReLU-family activation, Xavier otherwise (LANGUAGE.md §5).
  var initializer: Initializer?
  var biasInitializer: Initializer = .zeros
  var useBias = true
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
    case .builtin(.huber(let delta)): return "<loss huber(delta: \(formatNumber(delta)))>"
    case .builtin(let loss): return "<loss \(loss.name)>"
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

  /// The state for `network`, made on first use.
  func state(for network: Network) -> OptimizerState<Float> {
    let key = ObjectIdentifier(network)
    if let entry = states[key], entry.network === network { return entry.state }
    let state = OptimizerState<Float>(rule: rule, count: network.parameters.count)
    states[key] = (network, state)
    return state
  }
}

/// `init:` values: `he`, `xavier`, `normal(0.01)`, `uniform(-1, 1)`, `zeros`, `constant(0.1)`.
final class InitializerObject: ScriptObject {
  let initializer: Initializer

  init(_ initializer: Initializer) { self.initializer = initializer }

  var typeName: String { "initializer" }
  var displayText: String { "<initializer \(initializer.name)>" }
}
