import NNRuntime
import NNSyntax

// What a training run records beyond its losses and metrics: each layer's gradient and weight
// norms (`watch: [gradients]`), and copies of the model as it trains (`snapshots: N`), for
// pictures of how training went (`plot(h.grad_norm)`, `boundary(h.snapshots, data)`).

extension Builtins {
  /// The options only `fit` and `train … { }` take (`crossval` keeps no per-fold history).
  static let watchParameters: [Parameter] = [
    .optional("watch", .any, "also record per epoch: [gradients] (gradient and weight norms)"),
    .optional("snapshots", .wholeNumber, "keep a copy of the model every N epochs")
      .within(.atLeastOne) { _ in "snapshots is a number of epochs, at least 1" },
  ]

  /// What `watch:` can name.
  static let watchable = ["gradients"]
}

extension CallContext {
  /// Whether `watch:` asks for the layers' norms: `[gradients]` (the built-in, named bare) or
  /// `["gradients"]`.
  func watchesGradients() throws(Diagnostic) -> Bool {
    guard let value = value("watch"), !value.isNil else { return false }
    let items: [Value]
    if case .list(let list) = value { items = list } else { items = [value] }
    for item in items {
      var name: String?
      switch item {
      case .builtin(let builtin): name = builtin.name
      case .string(let text): name = text
      default: break
      }
      guard let name, Builtins.watchable.contains(name) else {
        throw error(.typeMismatch,
                    "watch: lists what to record each epoch, one of "
                      + Builtins.watchable.joined(separator: ", ") + ", not "
                      + ValueFormatter.describe(item), at: "watch",
                    hint: "watch: [gradients]")
      }
    }
    return !items.isEmpty
  }
}

/// Copies of a model taken every `every` epochs while it trains, and at its last epoch.
final class SnapshotRecorder {
  let model: ModelObject
  let every: Int
  private(set) var models: [Value] = []
  private(set) var epochs: [Int] = []
  private(set) var refusal: String?

  init(model: ModelObject, every: Int) {
    self.model = model
    self.every = every
  }

  /// Called at the end of each epoch, with the weights of that epoch in the model.
  func epochEnded(_ epoch: Int, of total: Int) {
    guard refusal == nil, epoch % every == 0 || epoch == total else { return }
    take(epoch)
  }

  /// The model as training left it, when the last snapshot is of an earlier epoch (early
  /// stopping, an interrupt, or the best epoch's weights restored).
  func finish(epochs completed: Int, restoredBest: Int?) {
    guard refusal == nil else { return }
    if let restoredBest {
      if epochs.last == restoredBest { return }
      take(restoredBest)
    } else if completed > 0, epochs.last != completed {
      take(completed)
    }
  }

  private func take(_ epoch: Int) {
    let network = model.network
    let bytes = MemoryBudget.bytes(network.parameterCount, of: Float.self)
    if let refused = MemoryBudget.refusalForCurrent("a snapshot of \(model.name)",
                                                    bytes: bytes) {
      refusal = refused
      return
    }
    let store = ParameterStore<Float>(shapes: network.parameters.shapes)
    store.copy(from: network.parameters)
    let copy = Network(inputShape: network.inputShape, layers: network.layers,
                       parameterNames: network.parameterNames, parameters: store)
    models.append(.object(ModelObject(name: "\(model.name)@\(epoch)", network: copy,
                                      tagLocations: model.tagLocations)))
    epochs.append(epoch)
  }
}

extension Record {
  /// `h.grad_norm.dense1`, `h.weight_norm.dense1`: one tensor per layer, one value per epoch.
  mutating func addLayerNorms(_ norms: [LayerNorms]) {
    guard !norms.isEmpty else { return }
    var gradients = Record()
    var weights = Record()
    for layer in norms {
      gradients[layer.layer] = .tensor(Tensor(layer.gradient.map(Float.init)))
      weights[layer.layer] = .tensor(Tensor(layer.weight.map(Float.init)))
    }
    self["grad_norm"] = .record(gradients)
    self["weight_norm"] = .record(weights)
  }
}
