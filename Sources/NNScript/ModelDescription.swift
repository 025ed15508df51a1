import NNRuntime
import NNSyntax

/// A model's architecture as JSON, which `save` stores in a safetensors file's metadata (under
/// `"model"`) and `load` rebuilds the model from:
///
/// ```
/// {"input": [2], "name": "net", "version": 1, "layers": [
///   {"kind": "dense", "name": "dense1", "units": 8, "activation": "tanh", "use_bias": true},
///   {"kind": "activation", "name": "act", "activation": "leaky_relu", "alpha": 0.2},
///   {"kind": "dropout", "name": "dropout1", "p": 0.5},
///   {"kind": "residual", "name": "residual1", "layers": [ … ]},
///   {"kind": "conv2d", "name": "conv2d1", "filters": 8, "kernel": [3, 3], "stride": [1, 1],
///    "padding": "same", "activation": "relu"},
///   {"kind": "maxpool", "name": "maxpool1", "size": [2, 2], "stride": [2, 2]},
///   {"kind": "embedding", "name": "embedding1", "vocab": 10, "dim": 4},
///   {"kind": "lstm", "name": "lstm1", "units": 16, "return_sequences": false},
///   {"kind": "flatten", "name": "flatten1"},
///   {"kind": "reshape", "name": "reshape1", "shape": [1, 8, 8]},
///   {"kind": "batchnorm", "name": "batchnorm1"}, {"kind": "layernorm", "name": "layernorm1"}]}
/// ```
///
/// The parameters are not in it: they are the file's tensors. A description read from a file is
/// untrusted, so every field is checked and a bad one is an error naming it.
enum ModelDescription {
  /// The version of this layout; a later, richer one must still read files with this one.
  static let version = 1

  /// What a description decodes to: enough for `ModelBuilder` to rebuild the model.
  struct Decoded {
    var name: String
    var inputShape: [Int]
    var layers: [ModelBuilder.Pending]

    /// How many scalars the parameters will hold (`Int.max` past that), known before building
    /// so a tiny hostile file cannot make `load` allocate a huge model for nothing.
    var parameterCount: Int {
      Self.count(layers, shape: inputShape).total
    }

    /// The parameter scalars of `layers` fed samples of `shape` (an upper bound where a later
    /// check would reject the model), and the shape they output.
    private static func count(
      _ layers: [ModelBuilder.Pending], shape: [Int]
    ) -> (total: Int, shape: [Int]) {
      var total = 0
      var shape = shape
      func add(_ factors: [Int]) {
        var product = 1
        for factor in factors {
          let (next, overflow) = product.multipliedReportingOverflow(by: factor)
          product = overflow ? Int.max : next
        }
        let (sum, overflow) = total.addingReportingOverflow(product)
        total = overflow ? Int.max : sum
      }
      for layer in layers {
        switch layer.kind {
        case .spec(.dense(let dense)):
          add([dense.units, (shape.last ?? 0) + (dense.useBias ? 1 : 0)])
          shape = Array(shape.dropLast()) + [dense.units]
        case .spec(.conv2d(let conv)):
          add([conv.filters, shape.first ?? 0, conv.kernel[0], conv.kernel[1]])
          add([conv.filters])
          shape = [conv.filters] + shape.dropFirst()
        case .spec(.activation), .spec(.dropout), .spec(.pool):
          break
        case .spec(.normalization(let kind)):
          add(kind == .batch ? [4, shape.first ?? 0] : [2] + shape)
        case .spec(.embedding(let vocab, let dim)):
          add([vocab, dim])
          shape = shape + [dim]
        case .spec(.lstm(let units, let sequences)):
          add([4, units, (shape.last ?? 0) + units + 1])
          shape = sequences ? [shape.first ?? 0, units] : [units]
        case .spec(.flatten):
          var product = 1
          for extent in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: extent)
            product = overflow ? Int.max : next
          }
          shape = [product]
        case .spec(.reshape(let requested)):
          if !requested.contains(-1) { shape = requested }
        case .residual(let body):
          add([count(body, shape: shape).total])
        }
      }
      return (total, shape)
    }
  }

  /// Why a description cannot be used, as a clause (`"layer 2 has no units"`).
  struct Failure: Error {
    var message: String
  }

  // MARK: - Encoding

  static func encode(_ model: ModelObject) -> String {
    let input = model.network.inputShape.map { JSONValue.integer($0) }
    return JSONValue.object([
      "version": .integer(version),
      "name": .string(model.name),
      "input": .array(input),
      "layers": .array(model.network.layers.map(encode)),
    ]).text
  }

  private static func encode(_ layer: Layer) -> JSONValue {
    var fields: [String: JSONValue] = ["name": .string(layer.name)]
    switch layer.kind {
    case .dense(let units, let activation, _, let bias):
      fields["kind"] = .string("dense")
      fields["units"] = .integer(units)
      encode(activation, into: &fields)
      fields["use_bias"] = .bool(bias != nil)
    case .activation(let activation):
      fields["kind"] = .string("activation")
      encode(activation, into: &fields)
    case .dropout(let p):
      fields["kind"] = .string("dropout")
      fields["p"] = .number(p)
    case .residual(let body):
      fields["kind"] = .string("residual")
      fields["layers"] = .array(body.map(encode))
    case .conv2d(let g, let activation, _, _):
      fields["kind"] = .string("conv2d")
      fields["filters"] = .integer(g.filters)
      fields["kernel"] = .array([.integer(g.kernelHeight), .integer(g.kernelWidth)])
      fields["stride"] = .array([.integer(g.strideY), .integer(g.strideX)])
      fields["padding"] = .string(g.same ? "same" : "valid")
      encode(activation, into: &fields)
    case .pool2d(let g):
      fields["kind"] = .string(g.kind.name)
      fields["size"] = .array([.integer(g.sizeY), .integer(g.sizeX)])
      fields["stride"] = .array([.integer(g.strideY), .integer(g.strideX)])
    case .embedding(let vocab, let dim, _):
      fields["kind"] = .string("embedding")
      fields["vocab"] = .integer(vocab)
      fields["dim"] = .integer(dim)
    case .lstm(let g, _, _, _):
      fields["kind"] = .string("lstm")
      fields["units"] = .integer(g.units)
      fields["return_sequences"] = .bool(g.returnSequences)
    case .flatten:
      fields["kind"] = .string("flatten")
    case .reshape:
      fields["kind"] = .string("reshape")
      fields["shape"] = .array(layer.outputShape.map { .integer($0) })
    case .normalization(let n, _, _, _, _):
      fields["kind"] = .string(n.kind.name)
    }
    return .object(fields)
  }

  private static func encode(_ activation: Activation, into fields: inout [String: JSONValue]) {
    fields["activation"] = .string(activation.name)
    switch activation {
    case .elu(let alpha), .leakyRelu(let alpha): fields["alpha"] = .number(alpha)
    default: break
    }
  }

  // MARK: - Decoding

  /// The model `text` describes; every layer gets `location` as its source (the `load` call).
  static func decode(_ text: String, at location: SourceSpan) throws(Failure) -> Decoded {
    let value: JSONValue
    switch JSONValue.parse(Array(text.utf8)) {
    case .success(let parsed): value = parsed
    case .failure(let error): throw Failure(message: "it is not valid JSON (\(error.message))")
    }
    guard case .object(let fields) = value else {
      throw Failure(message: "it is \(value.kindName), not an object")
    }
    if let given = fields["version"] {
      guard case .integer(let number) = given, number == version else {
        throw Failure(message: "it has version \(given.text); this nn reads version \(version)")
      }
    }
    guard case .string(let name)? = fields["name"], !name.isEmpty else {
      throw Failure(message: "it has no model name")
    }
    guard case .array(let dimensions)? = fields["input"], !dimensions.isEmpty,
      dimensions.count <= Tensor.maxRank
    else {
      throw Failure(message: "it has no input shape")
    }
    var inputShape: [Int] = []
    for dimension in dimensions {
      guard case .integer(let n) = dimension, n > 0, n <= Tensor.maxElements else {
        throw Failure(message: "its input shape holds \(dimension.text), not a positive whole "
                        + "number")
      }
      inputShape.append(n)
    }
    guard case .array(let layers)? = fields["layers"], !layers.isEmpty else {
      throw Failure(message: "it has no layers")
    }
    let pending = try decode(layers, at: location, path: "")
    return Decoded(name: name, inputShape: inputShape, layers: pending)
  }

  private static func decode(
    _ layers: [JSONValue], at location: SourceSpan, path: String
  ) throws(Failure) -> [ModelBuilder.Pending] {
    var pending: [ModelBuilder.Pending] = []
    for (index, layer) in layers.enumerated() {
      let position = "\(path)\(index + 1)"
      guard case .object(let fields) = layer else {
        throw Failure(message: "layer \(position) is \(layer.kindName), not an object")
      }
      pending.append(try decode(fields, position: position, at: location))
    }
    return pending
  }

  private static func decode(
    _ fields: [String: JSONValue], position: String, at location: SourceSpan
  ) throws(Failure) -> ModelBuilder.Pending {
    guard case .string(let name)? = fields["name"], isIdentifier(name) else {
      throw Failure(message: "layer \(position) has no name, or one that is not an identifier")
    }
    let described = "layer \(position) (\(name))"
    guard case .string(let kind)? = fields["kind"] else {
      throw Failure(message: "\(described) has no kind")
    }
    let spec: LayerSpecObject.Spec
    switch kind {
    case "dense":
      guard case .integer(let units)? = fields["units"], units > 0,
        units <= Tensor.maxElements
      else {
        throw Failure(message: "\(described) needs a positive whole number of units")
      }
      var dense = DenseSpec(units: units)
      if fields["activation"] != nil {
        dense.activation = try activation(fields, described: described)
      }
      // The values do not matter (the file's tensors replace them); zeros draw nothing from
      // the script's random generator.
      dense.initializer = .zeros
      switch fields["use_bias"] {
      case nil: break
      case .bool(let flag)?: dense.useBias = flag
      case let other?: throw Failure(message: "\(described) has use_bias \(other.text)")
      }
      spec = .dense(dense)
    case "activation":
      spec = .activation(try activation(fields, described: described))
    case "dropout":
      guard let p = fields["p"]?.doubleValue, p >= 0, p < 1 else {
        throw Failure(message: "\(described) needs a dropout probability p in [0, 1)")
      }
      spec = .dropout(p)
    case "conv2d":
      guard case .integer(let filters)? = fields["filters"], filters > 0,
        filters <= Tensor.maxElements
      else {
        throw Failure(message: "\(described) needs a positive whole number of filters")
      }
      var conv = ConvolutionSpec(filters: filters,
                                 kernel: try pair(fields, "kernel", described: described))
      conv.stride = try pair(fields, "stride", described: described)
      switch fields["padding"] {
      case .string("same")?: conv.same = true
      case .string("valid")?: conv.same = false
      default: throw Failure(message: "\(described) needs padding \"same\" or \"valid\"")
      }
      if fields["activation"] != nil {
        conv.activation = try activation(fields, described: described)
      }
      conv.initializer = .zeros
      spec = .conv2d(conv)
    case "maxpool", "avgpool":
      spec = .pool(kind == "maxpool" ? .max : .average,
                   size: try pair(fields, "size", described: described),
                   stride: try pair(fields, "stride", described: described))
    case "embedding":
      guard case .integer(let vocab)? = fields["vocab"], vocab > 0, vocab <= Tensor.maxElements,
        case .integer(let dim)? = fields["dim"], dim > 0, dim <= Tensor.maxElements
      else {
        throw Failure(message: "\(described) needs a positive whole vocab and dim")
      }
      spec = .embedding(vocab: vocab, dim: dim)
    case "lstm":
      guard case .integer(let units)? = fields["units"], units > 0,
        units <= Tensor.maxElements
      else {
        throw Failure(message: "\(described) needs a positive whole number of units")
      }
      var sequences = false
      switch fields["return_sequences"] {
      case nil: break
      case .bool(let flag)?: sequences = flag
      case let other?: throw Failure(message: "\(described) has return_sequences \(other.text)")
      }
      spec = .lstm(units: units, returnSequences: sequences)
    case "flatten":
      spec = .flatten
    case "batchnorm":
      spec = .normalization(.batch)
    case "layernorm":
      spec = .normalization(.layer)
    case "reshape":
      guard case .array(let items)? = fields["shape"], !items.isEmpty,
        items.count <= Tensor.maxRank
      else {
        throw Failure(message: "\(described) needs a shape")
      }
      var shape: [Int] = []
      for item in items {
        guard case .integer(let n) = item, n > 0, n <= Tensor.maxElements else {
          throw Failure(message: "\(described) has a shape holding \(item.text)")
        }
        shape.append(n)
      }
      spec = .reshape(shape)
    case "residual":
      guard case .array(let body)? = fields["layers"] else {
        throw Failure(message: "\(described) has no layers")
      }
      let inner = try decode(body, at: location, path: "\(position).")
      return ModelBuilder.Pending(name: name, kind: .residual(inner), location: location)
    default:
      throw Failure(message: "\(described) has the unknown kind '\(kind)'")
    }
    return ModelBuilder.Pending(name: name, kind: .spec(spec), location: location)
  }

  /// A `[y, x]` pair of positive sizes (a kernel, window or stride).
  private static func pair(
    _ fields: [String: JSONValue], _ key: String, described: String
  ) throws(Failure) -> [Int] {
    guard case .array(let items)? = fields[key], items.count == 2,
      case .integer(let y) = items[0], case .integer(let x) = items[1],
      y > 0, x > 0, y <= Tensor.maxElements, x <= Tensor.maxElements
    else {
      throw Failure(message: "\(described) needs \(key) as a pair of positive whole numbers")
    }
    return [y, x]
  }

  private static func activation(
    _ fields: [String: JSONValue], described: String
  ) throws(Failure) -> Activation {
    guard case .string(let name)? = fields["activation"],
      let activation = Activations.byName[name]
    else {
      let given = fields["activation"].map { " \($0.text)" } ?? ""
      throw Failure(message: "\(described) has an unknown activation\(given)")
    }
    let alpha: Double?
    switch fields["alpha"] {
    case nil: alpha = nil
    case let value?:
      guard let number = value.doubleValue, number.isFinite else {
        throw Failure(message: "\(described) has alpha \(value.text), not a number")
      }
      alpha = number
    }
    switch activation {
    case .elu(let fallback): return .elu(alpha: alpha ?? fallback)
    case .leakyRelu(let fallback): return .leakyRelu(alpha: alpha ?? fallback)
    default: return activation
    }
  }

  /// Layer names become members (`net.dense1`) and parameter names (`dense1.weight`), so a
  /// file may only use names a script could have written.
  private static func isIdentifier(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 256,
      first == "_" || first.properties.isAlphabetic
    else { return false }
    return name.unicodeScalars.allSatisfy {
      $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)
    }
  }
}
