import NNRuntime

/// The gate orders of nn's recurrent layers (PyTorch's) and of ONNX's, and the conversion
/// between them, which export and import share.
enum RecurrentGates {
  /// ONNX's block k is nn's block `lstm[k]`: nn (PyTorch) stacks i, f, g, o; ONNX i, o, f, c.
  static let lstm = [0, 3, 1, 2]
  /// nn (PyTorch) stacks r, z, n; ONNX z, r, h.
  static let gru = [1, 0, 2]

  /// `tensor` (`[blocks · n, …]`) with its row blocks taken in `order`: block k of the result
  /// is block `order[k]` of `tensor`.
  static func reorder(_ tensor: Tensor, order: [Int]) -> Tensor {
    let scalars = tensor.scalars
    let block = scalars.count / order.count
    var result: [Float] = []
    result.reserveCapacity(scalars.count)
    for source in order { result += scalars[source * block ..< (source + 1) * block] }
    return Tensor(shape: tensor.shape, scalars: result)
  }

  /// The inverse permutation: `reorder(reorder(t, order), inverse(order)) == t`.
  static func inverse(_ order: [Int]) -> [Int] {
    var inverse = order
    for (position, source) in order.enumerated() { inverse[source] = position }
    return inverse
  }

  /// `tensor` with a leading axis of 1 (ONNX's num_directions).
  static func directions(_ tensor: Tensor) -> Tensor {
    Tensor(shape: [1] + tensor.shape, scalars: tensor.scalars)
  }
}

extension ONNXGraphBuilder {
  /// An ONNX LSTM or GRU node over a batch-first sequence: the batch is moved behind time for
  /// ONNX's layout 0 (ONNX Runtime's CPU kernels take no other), and the result moved back, as
  /// PyTorch exports `batch_first=True`. Returns every step's state `[batch, time, units]`
  /// or the last one `[batch, units]`.
  mutating func recurrent(
    _ op: String, from input: String, weights: [String], units: Int, returnSequences: Bool,
    _ attributes: [Onnx_AttributeProto] = []
  ) -> String {
    let timeMajor = transpose(input, [1, 0, 2])
    let outputs = add(op, [timeMajor] + weights, outputs: 2,
                      [.int("hidden_size", units)] + attributes)
    if returnSequences {
      let steps = add("Squeeze", [outputs[0], integers("axes", [1])])
      return transpose(steps, [1, 0, 2])
    }
    return add("Squeeze", [outputs[1], integers("axes", [0])])
  }
}

extension LSTM: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    let order = RecurrentGates.lstm
    let (_, inputWeight) = try graph.parameterValue(layer, "weight_ih")
    let (_, hiddenWeight) = try graph.parameterValue(layer, "weight_hh")
    let (_, bias) = try graph.parameterValue(layer, "bias")
    // nn's one bias is PyTorch's b_ih + b_hh: ONNX's input bias, with a zero recurrent one.
    let biases = RecurrentGates.reorder(bias, order: order).scalars
      + [Float](repeating: 0, count: bias.count)
    let weights = [
      graph.constant("W", RecurrentGates.directions(
        RecurrentGates.reorder(inputWeight, order: order))),
      graph.constant("R", RecurrentGates.directions(
        RecurrentGates.reorder(hiddenWeight, order: order))),
      graph.constant("B", Tensor(shape: [1, biases.count], scalars: biases)),
    ]
    return graph.recurrent("LSTM", from: input, weights: weights, units: units,
                           returnSequences: returnSequences)
  }
}

extension GRU: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    let order = RecurrentGates.gru
    func reordered(_ name: String) throws(ONNXError) -> Tensor {
      RecurrentGates.reorder(try graph.parameterValue(layer, name).1, order: order)
    }
    let biases = try reordered("bias_ih").scalars + reordered("bias_hh").scalars
    let weights = [
      graph.constant("W", RecurrentGates.directions(try reordered("weight_ih"))),
      graph.constant("R", RecurrentGates.directions(try reordered("weight_hh"))),
      graph.constant("B", Tensor(shape: [1, biases.count], scalars: biases)),
    ]
    // linear_before_reset: the reset gate scales (W_hn h + b_hn), PyTorch's GRU and nn's.
    return graph.recurrent("GRU", from: input, weights: weights, units: units,
                           returnSequences: returnSequences, [.int("linear_before_reset", 1)])
  }
}

extension RecurrentGates {
  /// nn's LSTM parameters from ONNX's W `[1, 4H, F]`, R `[1, 4H, H]` and B `[1, 8H]` (nil:
  /// zeros): the gates back in nn's order, the two biases summed into nn's one.
  /// The caller has checked the shapes (`ONNXFile.recurrentParts`).
  static func lstmParameters(w: Tensor, r: Tensor, b: Tensor?) -> [String: Tensor] {
    let units = w.shape[1] / 4
    let order = inverse(lstm)
    var parameters = [
      "weight_ih": reorder(dropDirections(w), order: order),
      "weight_hh": reorder(dropDirections(r), order: order),
    ]
    let biases = b?.scalars ?? [Float](repeating: 0, count: 8 * units)
    let sum = (0..<4 * units).map { biases[$0] + biases[4 * units + $0] }
    parameters["bias"] = reorder(Tensor(shape: [4 * units], scalars: sum), order: order)
    return parameters
  }

  /// nn's GRU parameters from ONNX's W `[1, 3H, F]`, R `[1, 3H, H]` and B `[1, 6H]`.
  static func gruParameters(w: Tensor, r: Tensor, b: Tensor?) -> [String: Tensor] {
    let units = w.shape[1] / 3
    let order = inverse(gru)
    let biases = b?.scalars ?? [Float](repeating: 0, count: 6 * units)
    return [
      "weight_ih": reorder(dropDirections(w), order: order),
      "weight_hh": reorder(dropDirections(r), order: order),
      "bias_ih": reorder(Tensor(shape: [3 * units], scalars: Array(biases[..<(3 * units)])),
                         order: order),
      "bias_hh": reorder(Tensor(shape: [3 * units], scalars: Array(biases[(3 * units)...])),
                         order: order),
    ]
  }

  static func dropDirections(_ tensor: Tensor) -> Tensor {
    Tensor(shape: Array(tensor.shape.dropFirst()), scalars: tensor.scalars)
  }
}
