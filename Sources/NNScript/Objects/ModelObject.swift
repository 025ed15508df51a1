import NNRuntime
import NNSyntax

/// A model value: a declared network with its parameters, callable for inference.
final class ModelObject: ScriptObject {
  let name: String
  let network: Network
  /// The source of each layer tag, so a graph error points at the layer that caused it.
  let tagLocations: [SourceSpan]
  /// Inference plans by batch size: compiled once, run many times.
  var inferencePlans: [Int: (plan: Plan<Float>, output: NodeID)] = [:]
  /// Gradient plans by batch size, target shape and loss.
  var lossPlans: [String: NetworkRunner.LossPlan<Float>] = [:]

  init(name: String, network: Network, tagLocations: [SourceSpan]) {
    self.name = name
    self.network = network
    self.tagLocations = tagLocations
  }

  var typeName: String { "model" }

  /// `<model net: 2 → dense(8, tanh) → dense(1, sigmoid), 33 parameters>`
  var displayText: String {
    let layers = network.layers.map(\.summary).joined(separator: " → ")
    let input = network.inputShape.count == 1 ? "\(network.inputShape[0])"
      : shapeText(network.inputShape)
    let parameters = Evaluator.count(network.parameterCount, "parameter")
    return "<model \(name): \(input) → \(layers), \(parameters)>"
  }

  /// Top-level layers that own parameters, with the indices of their weight and bias.
  func parameterIndices(of layerName: String) -> (weight: Int?, bias: Int?)? {
    let weight = network.parameterNames.firstIndex(of: layerName + ".weight")
    let bias = network.parameterNames.firstIndex(of: layerName + ".bias")
    guard weight != nil || bias != nil || layerNames.contains(layerName) else { return nil }
    return (weight, bias)
  }

  /// Every layer name, nested ones (inside `residual`) included.
  var layerNames: [String] {
    func names(_ layers: [Layer]) -> [String] {
      layers.flatMap { layer -> [String] in
        [layer.name] + names(layer.body)
      }
    }
    return names(network.layers)
  }

  /// `net.params`: `{dense1: {weight: …, bias: …}, …}` in declaration order.
  var parameterRecord: Record {
    record { network.parameters.tensor($0) }
  }

  /// A record shaped like `net.params` whose tensors are `tensor(parameterIndex)`: each
  /// layer's parameters under its name, a sub-module's (a transformer's
  /// `self_attn.out_proj.weight`) in nested records, as PyTorch's module tree has them.
  func record(_ tensor: (Int) -> Tensor) -> Record {
    var record = Record()
    for (index, fullName) in network.parameterNames.enumerated() {
      Self.insert(.tensor(tensor(index)), at: Self.path(fullName), into: &record)
    }
    return record
  }

  /// `"transformer1.self_attn.out_proj.weight"` → its components.
  static func path(_ name: String) -> [String] {
    name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
  }

  /// The value at `path` in nested records, or nil.
  static func lookup(_ path: [String], in record: Record) -> Value? {
    guard let first = path.first, let value = record[first] else { return nil }
    if path.count == 1 { return value }
    guard case .record(let inner) = value else { return nil }
    return lookup(Array(path.dropFirst()), in: inner)
  }

  private static func insert(_ value: Value, at path: [String], into record: inout Record) {
    guard let first = path.first else { return }
    if path.count == 1 {
      record[first] = value
      return
    }
    var inner = Record()
    if case .record(let existing)? = record[first] { inner = existing }
    insert(value, at: Array(path.dropFirst()), into: &inner)
    record[first] = .record(inner)
  }
}

/// `net.dense1`: a view of one layer's parameters, readable and assignable.
final class LayerReference: ScriptObject {
  let model: ModelObject
  let layerName: String
  let weight: Int?
  let bias: Int?

  init(model: ModelObject, layerName: String, weight: Int?, bias: Int?) {
    self.model = model
    self.layerName = layerName
    self.weight = weight
    self.bias = bias
  }

  var typeName: String { "layer" }
  var displayText: String { "<layer \(model.name).\(layerName)>" }

  var memberNames: [String] {
    (weight == nil ? [] : ["weight"]) + otherParameters + (bias == nil ? [] : ["bias"])
  }

  /// The layer's parameters besides weight and bias (an lstm's weight_ih and weight_hh) and
  /// its sub-modules (a transformer's `self_attn`, `linear1`), in parameter order.
  private var otherParameters: [String] {
    var seen = Set<String>()
    return model.network.parameterNames.compactMap { fullName in
      guard fullName.hasPrefix(layerName + ".") else { return nil }
      let rest = fullName.dropFirst(layerName.count + 1)
      let member = String(rest.prefix { $0 != "." })
      guard member != "weight", member != "bias", seen.insert(member).inserted else {
        return nil
      }
      return member
    }
  }

  /// `net.transformer1.self_attn`: a view of a sub-module's parameters, or nil when no
  /// parameter of this layer lies under `member`.
  func submodule(_ member: String) -> LayerReference? {
    let prefix = layerName + "." + member
    let names = model.network.parameterNames
    guard names.contains(where: { $0.hasPrefix(prefix + ".") }) else { return nil }
    return LayerReference(model: model, layerName: prefix,
                          weight: names.firstIndex(of: prefix + ".weight"),
                          bias: names.firstIndex(of: prefix + ".bias"))
  }

  func parameterIndex(_ member: String) -> Int? {
    switch member {
    case "weight": return weight
    case "bias": return bias
    default: return model.network.parameterNames.firstIndex(of: layerName + "." + member)
    }
  }
}
