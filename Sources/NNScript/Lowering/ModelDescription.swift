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
///   {"kind": "conv1d", "name": "conv1d1", "filters": 8, "kernel": 3, "stride": 1,
///    "padding": "same", "activation": "relu", "use_bias": true},
///   {"kind": "maxpool1d", "name": "maxpool1d1", "size": 2, "stride": 2},
///   {"kind": "global_avgpool", "name": "global_avgpool1"},
///   {"kind": "embedding", "name": "embedding1", "vocab": 10, "dim": 4},
///   {"kind": "lstm", "name": "lstm1", "units": 16, "return_sequences": false},
///   {"kind": "flatten", "name": "flatten1"},
///   {"kind": "reshape", "name": "reshape1", "shape": [1, 8, 8]},
///   {"kind": "batchnorm", "name": "batchnorm1"}, {"kind": "layernorm", "name": "layernorm1"}]}
/// ```
///
/// The parameters are not in it: they are the file's tensors. Each layer's fields are its
/// declaration's (`LayerDeclaration.describe` and `decode` in NNRuntime); this file reads the
/// model around them. A description read from a file is untrusted, so every field is checked
/// and a bad one is an error naming it.
enum ModelDescription {
  /// The version of this layout; a later, richer one must still read files with this one.
  static let version = 1

  /// What a description decodes to: enough for `ModelBuilder` to rebuild the model.
  struct Decoded {
    var name: String
    var inputShape: [Int]
    var layers: [ModelBuilder.Pending]

    /// How many scalars the parameters will hold, known before building so a tiny hostile
    /// file cannot make `load` allocate a huge model for nothing.
    var parameterCount: Int {
      ModelBuilder.parameterCount(layers, inputShape: inputShape)
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
      "layers": .array(LayerDescription.encode(model.network.layers)),
    ]).text
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
    let declared: [DeclaredLayer]
    do {
      declared = try LayerDescription.decode(layers)
    } catch {
      throw Failure(message: error.message)
    }
    return Decoded(name: name, inputShape: inputShape, layers: pending(declared, at: location))
  }

  /// The runtime's declared layers as pending ones (a residual's body as a block), all
  /// placed at `location`.
  private static func pending(
    _ layers: [DeclaredLayer], at location: SourceSpan
  ) -> [ModelBuilder.Pending] {
    layers.map { layer in
      if let residual = layer.declaration as? Residual {
        return ModelBuilder.Pending(name: layer.name,
                                    kind: .residual(pending(residual.body, at: location)),
                                    location: location)
      }
      return ModelBuilder.Pending(name: layer.name, kind: .spec(layer.declaration),
                                  location: location)
    }
  }
}
