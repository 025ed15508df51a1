import NNONNX
import NNRuntime
import NNSyntax

/// `save` and `load` of `.onnx` paths (LANGUAGE.md §9, docs/language.md "ONNX").
enum ONNXFormat {
  /// Whether `path` names an ONNX file: the extension chooses the format.
  static func named(_ path: String) -> Bool { path.lowercased().hasSuffix(".onnx") }

  /// The metadata key under which an export keeps nn's model description.
  static let descriptionKey = "nn_model"

  /// The name of a model imported from a graph nn did not write: the file's name without
  /// folder and extension, as an identifier (`torch_mlp`), or `net`.
  static func modelName(_ path: String) -> String {
    let file = path.split(separator: "/").last.map(String.init) ?? path
    let stem = file.count > 5 ? String(file.dropLast(5)) : ""
    let name = String(stem.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    guard let first = name.first, first.isLetter || first == "_" else { return "net" }
    return name
  }
}

extension CallContext {
  /// The ONNX model `save` writes for `model`, with nn's description in its metadata.
  func onnxBytes(_ model: ModelObject, path: String) throws(Diagnostic) -> [UInt8] {
    var metadata = Persistence.metadata(model)
    metadata[ONNXFormat.descriptionKey] = metadata.removeValue(forKey: "model")
    do {
      return try ONNXExport.serialize(model.network, name: model.name,
                                      producerVersion: Persistence.version, metadata: metadata)
    } catch {
      throw self.error(.invalidOperation,
                       "cannot save '\(path)' as ONNX: \(error.message)", at: "net",
                       hint: error.hint)
    }
  }

  /// The ONNX file at `path`, read whole and decoded.
  func readONNX(_ path: String) throws(Diagnostic) -> ONNXFile {
    let bytes = try readWeights(path)
    do {
      return try ONNXFile(bytes: bytes)
    } catch {
      throw diagnostic(error, path: path)
    }
  }

  private func diagnostic(_ failure: ONNXError, path: String) -> Diagnostic {
    let code: DiagnosticCode = switch failure.kind {
    case .malformed: .fileError
    case .tooLarge: .resourceLimit
    case .unsupported: .dataError
    }
    return error(code, "cannot load '\(path)': \(failure.message)", at: "path",
                 hint: failure.hint)
  }

  /// An ONNX file's values for `network`'s parameters, for `copy`: its initialisers by name,
  /// with an nn export's recurrent weights converted back to the parameters they came from.
  func stored(_ file: ONNXFile, for network: Network) -> StoredTensors {
    let tensors = file.tensors.merging(file.parameters(for: network)) { $1 }
    let named = Set(network.parameterNames)
    return stored(tensors, order: network.parameterNames
                    + tensors.keys.filter { !named.contains($0) }.sorted())
  }

  private func stored(_ tensors: [String: Tensor], order: [String]) -> StoredTensors {
    StoredTensors(names: order.filter { tensors[$0] != nil },
                  shapes: tensors.mapValues(\.shape)) { name throws(Diagnostic) in
      guard let tensor = tensors[name] else {
        throw self.error(.fileError, "the file has no tensor \(name)", at: "path")
      }
      return tensor
    }
  }

  /// A new model from an ONNX file: exactly the model nn exported when the file carries nn's
  /// description, otherwise one layer per run of nodes that maps onto an nn layer.
  func rebuildModel(_ file: ONNXFile, path: String) throws(Diagnostic) -> ModelObject {
    let stored = file.tensors.values.reduce(0) { $0 + $1.count }
    if let description = file.metadata[ONNXFormat.descriptionKey] {
      return try rebuildModel(description: description, storedValues: stored, path: path) {
        network in (self.stored(file, for: network), [])
      }
    }
    let imported: ONNXImport
    do {
      imported = try ONNXImport(file)
    } catch {
      throw diagnostic(error, path: path)
    }
    let here = SourceSpan(source: source, range: callRange)
    let pending = imported.layers.map { layer in
      ModelBuilder.Pending(name: layer.name, kind: .spec(layer.declaration), location: here)
    }
    let name = ONNXFormat.modelName(path)
    var builder = ModelBuilder(modelName: name, inputShape: imported.inputShape)
    var random = RandomGenerator(seed: 0)
    let network: Network
    do {
      network = try builder.build(pending, random: &random)
    } catch {
      var diagnostic = error
      diagnostic.message = "cannot load '\(path)': its graph maps onto layers nn cannot "
        + "build: " + error.message
      throw diagnostic
    }
    let model = ModelObject(name: name, network: network,
                            tagLocations: builder.tagLocations)
    try copy(self.stored(imported.parameters, order: network.parameterNames), into: model,
             path: path)
    return model
  }
}
