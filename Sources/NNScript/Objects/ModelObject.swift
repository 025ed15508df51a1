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

  /// A record shaped like `net.params` whose tensors are `tensor(parameterIndex)`.
  func record(_ tensor: (Int) -> Tensor) -> Record {
    var record = Record()
    for (index, fullName) in network.parameterNames.enumerated() {
      let (layer, parameter) = Self.split(fullName)
      var fields = Record()
      if case .record(let existing)? = record[layer] { fields = existing }
      fields[parameter] = .tensor(tensor(index))
      record[layer] = .record(fields)
    }
    return record
  }

  /// `"dense1.weight"` → `("dense1", "weight")`.
  static func split(_ name: String) -> (String, String) {
    guard let dot = name.lastIndex(of: ".") else { return (name, name) }
    return (String(name[..<dot]), String(name[name.index(after: dot)...]))
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

  /// The layer's parameters besides weight and bias (an lstm's weight_ih and weight_hh).
  private var otherParameters: [String] {
    model.network.parameterNames.compactMap { fullName in
      let (layer, parameter) = ModelObject.split(fullName)
      return layer == layerName && parameter != "weight" && parameter != "bias" ? parameter : nil
    }
  }

  func parameterIndex(_ member: String) -> Int? {
    switch member {
    case "weight": return weight
    case "bias": return bias
    default: return model.network.parameterNames.firstIndex(of: layerName + "." + member)
    }
  }
}
