/// Layers in a saved model description (JSON in a safetensors file's metadata): each layer is
/// an object with its `"name"`, its `"kind"` and the fields its declaration writes
/// (`describe`) and reads back (`decode`). A description read from a file is untrusted, so
/// every field is checked and a bad one is an error naming it.
public enum LayerDescription {
  /// Why a description cannot be used, as a clause (`"layer 2 (d) has no units"`).
  public struct Failure: Error, Sendable {
    /// The clause.
    public var message: String

    /// Makes a failure.
    public init(message: String) { self.message = message }
  }

  /// `layers` as description objects.
  public static func encode(_ layers: [Layer]) -> [JSONValue] {
    layers.map { layer in
      var fields: [String: JSONValue] = ["name": .string(layer.name)]
      layer.declaration.describe(layer, into: &fields)
      return .object(fields)
    }
  }

  /// The layers description objects list; `path` prefixes positions inside a block (`"2."`).
  public static func decode(
    _ layers: [JSONValue], path: String = ""
  ) throws(Failure) -> [DeclaredLayer] {
    var declared: [DeclaredLayer] = []
    for (index, layer) in layers.enumerated() {
      let position = "\(path)\(index + 1)"
      guard case .object(let fields) = layer else {
        throw Failure(message: "layer \(position) is \(layer.kindName), not an object")
      }
      guard case .string(let name)? = fields["name"], isIdentifier(name) else {
        throw Failure(message: "layer \(position) has no name, or one that is not an identifier")
      }
      let described = "layer \(position) (\(name))"
      guard case .string(let kind)? = fields["kind"] else {
        throw Failure(message: "\(described) has no kind")
      }
      guard let type = LayerDeclarations.byKind[kind] else {
        throw Failure(message: "\(described) has the unknown kind '\(kind)'")
      }
      let reader = LayerFields(fields: fields, kind: kind, position: position,
                               described: described)
      declared.append(DeclaredLayer(try type.decode(reader), name: name))
    }
    return declared
  }

  /// Layer names become members (`net.dense1`) and parameter names (`dense1.weight`), so a
  /// file may only use names a script could have written.
  static func isIdentifier(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 256,
      first == "_" || first.properties.isAlphabetic
    else { return false }
    return name.unicodeScalars.allSatisfy {
      $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)
    }
  }

  /// Writes `activation` (and its hyperparameter, under its name) into `fields`.
  static func encode(_ activation: Activation, into fields: inout [String: JSONValue]) {
    fields["activation"] = .string(activation.name)
    if let parameter = activation.declaration.parameter, let value = activation.parameterValue {
      fields[parameter.name] = .number(value)
    }
  }
}

/// One layer's fields in a description, with readers that check them.
public struct LayerFields: Sendable {
  /// The raw fields.
  public var fields: [String: JSONValue]
  /// The `"kind"` value.
  public var kind: String
  /// The layer's position (`2`, `1.3` inside a block).
  public var position: String
  /// `layer 2 (d)`, for messages.
  public var described: String

  /// A failure about this layer: `layer 2 (d) <clause>`.
  public func failure(_ clause: String) -> LayerDescription.Failure {
    LayerDescription.Failure(message: "\(described) \(clause)")
  }

  /// A whole number in 1…`Tensor.maxElements`, or the failure `clause`.
  public func positive(_ key: String, else clause: String) throws(LayerDescription.Failure)
    -> Int {
    guard case .integer(let n)? = fields[key], n > 0, n <= Tensor.maxElements else {
      throw failure(clause)
    }
    return n
  }

  /// A bool that defaults to `fallback` when absent.
  public func bool(_ key: String, default fallback: Bool) throws(LayerDescription.Failure)
    -> Bool {
    switch fields[key] {
    case nil: return fallback
    case .bool(let flag)?: return flag
    case let other?: throw failure("has \(key) \(other.text)")
    }
  }

  /// A `[y, x]` pair of positive sizes (a kernel, window or stride).
  public func pair(_ key: String) throws(LayerDescription.Failure) -> [Int] {
    guard case .array(let items)? = fields[key], items.count == 2,
      case .integer(let y) = items[0], case .integer(let x) = items[1],
      y > 0, x > 0, y <= Tensor.maxElements, x <= Tensor.maxElements
    else {
      throw failure("needs \(key) as a pair of positive whole numbers")
    }
    return [y, x]
  }

  /// The `"activation"` (with its hyperparameter, `"alpha"`), or `fallback` when there is none.
  public func activation(default fallback: Activation? = nil) throws(LayerDescription.Failure)
    -> Activation {
    if fields["activation"] == nil, let fallback { return fallback }
    guard case .string(let name)? = fields["activation"],
      let declaration = Activation.named(name)?.declaration
    else {
      let given = fields["activation"].map { " \($0.text)" } ?? ""
      throw failure("has an unknown activation\(given)")
    }
    guard let parameter = declaration.parameter, let value = fields[parameter.name] else {
      return declaration.activation()
    }
    guard let number = value.doubleValue, number.isFinite else {
      throw failure("has \(parameter.name) \(value.text), not a number")
    }
    return declaration.activation(number)
  }
}
