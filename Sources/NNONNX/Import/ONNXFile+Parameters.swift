import NNRuntime

extension ONNXFile {
  /// The values of `network`'s parameters in a file nn exported for it, by the network's
  /// parameter names: the initialisers of the same names, and each recurrent layer's
  /// parameters converted back from the ONNX-order W, R and B its export wrote. A parameter
  /// the file lacks is absent (the caller names it); shapes are the caller's to check.
  public func parameters(for network: Network) -> [String: Tensor] {
    var values: [String: Tensor] = [:]
    for name in network.parameterNames {
      if let tensor = tensors[name] { values[name] = tensor }
    }
    for layer in network.allLayers {
      let converted: [String: Tensor]?
      func part(_ name: String) -> Tensor? { tensors["\(layer.name)/\(name)"] }
      switch layer.declaration {
      case is LSTM:
        converted = Self.recurrentParts(part("W"), part("R"), part("B"), gates: 4).map {
          RecurrentGates.lstmParameters(w: $0.w, r: $0.r, b: $0.b)
        }
      case is GRU:
        converted = Self.recurrentParts(part("W"), part("R"), part("B"), gates: 3).map {
          RecurrentGates.gruParameters(w: $0.w, r: $0.r, b: $0.b)
        }
      default:
        converted = nil
      }
      for parameter in layer.parameters where parameter.index < network.parameterNames.count {
        if let tensor = converted?[parameter.name] {
          values[network.parameterNames[parameter.index]] = tensor
        }
      }
    }
    return values
  }

  /// W `[1, gates·H, F]`, R `[1, gates·H, H]` and B `[1, 2·gates·H]` (or none), when they
  /// have those shapes: one direction, as nn exports and reads.
  static func recurrentParts(
    _ w: Tensor?, _ r: Tensor?, _ b: Tensor?, gates: Int
  ) -> (w: Tensor, r: Tensor, b: Tensor?)? {
    guard let w, let r, w.shape.count == 3, w.shape[0] == 1, w.shape[1] % gates == 0,
      w.shape[1] > 0, r.shape == [1, w.shape[1], w.shape[1] / gates]
    else { return nil }
    if let b, b.shape != [1, 2 * w.shape[1]] { return nil }
    return (w, r, b)
  }
}
