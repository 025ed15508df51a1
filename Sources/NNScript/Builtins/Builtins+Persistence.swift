#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNRuntime
import NNSyntax

extension Builtins {
  /// `save` and `load`: a model's weights in the safetensors format, with its architecture in the
  /// file's metadata so `load(path)` can rebuild it (LANGUAGE.md §9).
  static let persistence: [Builtin] = [
    Builtin("save", [
      .required("net", .model, "the model"), .required("path", .string, "the file"), .everyRank,
    ], doc: BuiltinDoc(
      "plots and files",
      "Writes a network to a safetensors file (or ONNX, for a .onnx path); rank 0 only.",
      "let m = model(2) { dense(1) }\n"
      + "save(m, \"m.safetensors\")"), discardable: true) { (context) throws(Diagnostic) in
      let model = try context.model("net")
      let path = try context.filePath("path")
      let bytes = ONNXFormat.named(path)
        ? try context.onnxBytes(model, path: path) : context.safeTensorsBytes(model)
      switch try context.writeFile(try context.checkedPath(path, write: true), bytes) {
      case .success:
        return .nil
      case .failure(let failure):
        throw context.error(.fileError, "cannot save to '\(path)': \(failure.reason)", at: "path")
      }
    },
    Builtin("load", [
      .required("path", .string, "the file"),
      .optional("into", .model, "a model to copy the weights into"),
    ], doc: BuiltinDoc(
      "plots and files",
      "Rebuilds a network from a safetensors or .onnx file, or copies its tensors into: one.",
      "save(model(2) { dense(1) }, \"m.safetensors\")\n"
      + "print(load(\"m.safetensors\"))"), discardable: true) { (context) throws(Diagnostic) in
      let path = try context.filePath("path")
      let into = context.value("into").flatMap { $0.isNil ? nil : $0 }
      if ONNXFormat.named(path) {
        let file = try context.readONNX(path)
        if into != nil {
          let model = try context.model("into")
          try context.copy(context.stored(file, for: model.network), into: model, path: path)
          return .nil
        }
        return .object(try context.rebuildModel(file, path: path))
      }
      let file = try context.readSafeTensors(path)
      if into != nil {
        let model = try context.model("into")
        try context.copy(context.stored(file, path: path), into: model, path: path)
        return .nil
      }
      return .object(try context.rebuildModel(file, path: path))
    },
  ]
}

/// Constants of the file format nn writes.
enum Persistence {
  /// Written as `nn_version` in every saved file's metadata.
  static let version = "0.1.0"
  /// The largest file `load` reads: files are read whole, and this is four times the largest
  /// model nn can hold in 32-bit floats, so a real checkpoint fits and a stray huge file fails
  /// at once instead of exhausting memory.
  static let maxFileBytes = 4 * (4 * Tensor.maxElements) + SafeTensorsFile.maxHeaderLength
  /// Parameter values a model description may ask for beyond what its file holds (4 MB).
  static let smallModel = 1 << 20
  /// How many names a mismatch message lists before it says how many more there are.
  static let listedNames = 8

  /// The metadata of every file `save` writes: the format, this version, and the model's
  /// description, from which `load` rebuilds it.
  static func metadata(_ model: ModelObject) -> [String: String] {
    ["format": "nn", "nn_version": version, "model": ModelDescription.encode(model)]
  }
}

/// The tensors of a weights file, whatever its format, as `copy` reads them: their names in
/// the file's order, their shapes, and their values on demand (a safetensors file converts
/// only the tensors copied).
struct StoredTensors {
  var names: [String]
  var shapes: [String: [Int]]
  var tensor: (String) throws(Diagnostic) -> Tensor
}

extension CallContext {
  // MARK: - Reading

  /// The file at `path`, read whole and checked as safetensors.
  func readSafeTensors(_ path: String) throws(Diagnostic) -> SafeTensorsFile {
    let bytes = try readWeights(path)
    do {
      return try SafeTensorsFile(bytes: bytes)
    } catch {
      throw diagnostic(error, path: path)
    }
  }

  /// The bytes of the weights file at `path`, read whole within `Persistence.maxFileBytes`.
  func readWeights(_ path: String) throws(Diagnostic) -> [UInt8] {
    let bytes: [UInt8]
    switch readFile(try checkedPath(path, write: false), limit: Persistence.maxFileBytes) {
    case .success(let contents): bytes = contents
    case .failure(.notFound):
      throw error(.fileError, "cannot load '\(path)': no such file", at: "path")
    case .failure(.cannotRead(let reason)):
      throw error(.fileError, "cannot load '\(path)': \(reason)", at: "path")
    case .failure(.tooLarge(let limit)):
      throw error(.resourceLimit,
                  "cannot load '\(path)': the file is larger than the \(limit) bytes load "
                    + "reads", at: "path")
    case .failure(.pastMemoryLimit(let reason)):
      throw error(.resourceLimit, "cannot load '\(path)': \(reason)", at: "path")
    }
    return bytes
  }

  /// The bytes `save` writes to a safetensors file: every parameter, and the model's
  /// description in the metadata.
  func safeTensorsBytes(_ model: ModelObject) -> [UInt8] {
    let store = model.network.parameters
    let tensors = model.network.parameterNames.enumerated().map { index, name in
      (name: name, tensor: store.tensor(index))
    }
    return SafeTensorsFile.serialize(tensors, metadata: Persistence.metadata(model))
  }

  /// A safetensors file's tensors for `copy`.
  func stored(_ file: SafeTensorsFile, path: String) -> StoredTensors {
    var shapes: [String: [Int]] = [:]
    for entry in file.entries { shapes[entry.name] = entry.shape }
    return StoredTensors(names: file.entries.map(\.name), shapes: shapes) {
      name throws(Diagnostic) in try self.tensor(file, name, path: path)
    }
  }

  private func tensor(
    _ file: SafeTensorsFile, _ name: String, path: String
  ) throws(Diagnostic) -> Tensor {
    guard let entry = file[name] else {
      throw error(.fileError, "cannot load '\(path)': it has no tensor \(name)", at: "path")
    }
    do {
      return try file.tensor(entry)
    } catch {
      throw diagnostic(error, path: path)
    }
  }

  private func diagnostic(_ failure: SafeTensorsError, path: String) -> Diagnostic {
    switch failure.kind {
    case .malformed:
      return error(.fileError,
                   "cannot load '\(path)': it is not a valid safetensors file: "
                     + failure.message, at: "path")
    case .unsupportedDType, .outOfRange:
      return error(.dataError, "cannot load '\(path)': \(failure.message)", at: "path")
    case .tooLarge:
      return error(.resourceLimit, "cannot load '\(path)': \(failure.message)", at: "path")
    }
  }

  // MARK: - load(path)

  /// A new model from a file `save` wrote: the architecture from the metadata, the parameters
  /// from the tensors, which must match it exactly.
  func rebuildModel(_ file: SafeTensorsFile, path: String) throws(Diagnostic) -> ModelObject {
    guard let description = file.metadata?["model"] else {
      throw error(.fileError,
                  "cannot load '\(path)': its metadata has no nn model description, so the "
                    + "model cannot be rebuilt from it", at: "path",
                  hint: "to copy its tensors into a model you declare, use "
                    + "load(path, into: net)")
    }
    let stored = file.entries.reduce(0) { total, entry in
      total + entry.offsets.count / entry.dtype.size
    }
    return try rebuildModel(description: description, storedValues: stored, path: path) {
      network in
      let names = Set(network.parameterNames)
      return (self.stored(file, path: path),
              file.entries.map(\.name).filter { !names.contains($0) })
    }
  }

  /// A new model from an nn model description, its parameters from `tensors` (given the
  /// network built, the stored tensors and the names of those it has no parameter for).
  func rebuildModel(
    description: String, storedValues stored: Int, path: String,
    tensors: (Network) throws(Diagnostic) -> (StoredTensors, extra: [String])
  ) throws(Diagnostic) -> ModelObject {
    let here = SourceSpan(source: source, range: callRange)
    let decoded: ModelDescription.Decoded
    do {
      decoded = try ModelDescription.decode(description, at: here)
    } catch {
      throw self.error(.fileError,
                       "cannot load '\(path)': its model description is invalid: "
                         + error.message, at: "path")
    }
    // A model somewhat larger than the file's tensors is built anyway, so that the error can
    // name the missing tensors; one far larger is refused before it is allocated.
    guard decoded.parameterCount <= max(stored, Persistence.smallModel) else {
      throw error(.fileError,
                  "cannot load '\(path)': its model description needs "
                    + "\(decoded.parameterCount) parameter values, but the file holds only "
                    + "\(stored)", at: "path")
    }
    var builder = ModelBuilder(modelName: decoded.name, inputShape: decoded.inputShape)
    // Every parameter starts at zero and is then overwritten, so no draw is needed; a private
    // generator keeps the script's random sequence untouched all the same.
    var random = RandomGenerator(seed: 0)
    let network: Network
    do {
      network = try builder.build(decoded.layers, random: &random)
    } catch {
      var diagnostic = error
      diagnostic.message = "cannot load '\(path)': its model description is invalid: "
        + error.message
      throw diagnostic
    }
    let model = ModelObject(name: decoded.name, network: network,
                            tagLocations: builder.tagLocations)
    let (source, extra) = try tensors(network)
    try copy(source, into: model, path: path, extra: extra)
    return model
  }

  // MARK: - load(path, into: net)

  /// Copies the file's tensors into `model`'s parameters of the same names. Everything is
  /// checked and converted first, so on any error the model is left as it was.
  func copy(
    _ file: StoredTensors, into model: ModelObject, path: String, extra: [String] = []
  ) throws(Diagnostic) {
    let network = model.network
    let store = network.parameters
    var missing: [String] = []
    var mismatched: [String] = []
    var sources: [String] = []
    for (index, name) in network.parameterNames.enumerated() {
      guard let shape = file.shapes[name] else {
        missing.append(name)
        continue
      }
      if shape != store.shapes[index] {
        mismatched.append("\(name) is \(shapeText(shape)) in the file but "
                            + "\(shapeText(store.shapes[index])) in "
                            + "\(model.name)")
      }
      sources.append(name)
    }
    var problems: [String] = []
    if !missing.isEmpty {
      problems.append("the file has no tensor for \(Self.list(missing))")
    }
    if !mismatched.isEmpty { problems.append(Self.list(mismatched, separator: "; ")) }
    if !extra.isEmpty {
      problems.append("the file has tensors that \(model.name) has no parameter for: "
                        + Self.list(extra))
    }
    if !problems.isEmpty {
      let others = file.names.filter { !network.parameterNames.contains($0) }
      let hint = missing.isEmpty || others.isEmpty ? nil
        : "the file's other tensors are " + Self.list(others)
      throw error(mismatched.isEmpty ? .invalidArgument : .shapeMismatch,
                  "cannot load '\(path)' into \(model.name): "
                    + problems.joined(separator: "; "), at: "path", hint: hint)
    }
    var tensors: [Tensor] = []
    tensors.reserveCapacity(sources.count)
    for name in sources { tensors.append(try file.tensor(name)) }
    for (index, tensor) in tensors.enumerated() { store.assign(index, tensor) }
    // Plans read parameters straight from the store, so cached plans stay valid.
  }

  /// `a, b, c`, or the first few and how many more.
  private static func list(_ names: [String], separator: String = ", ") -> String {
    let shown = names.prefix(Persistence.listedNames)
    var text = shown.joined(separator: separator)
    if names.count > shown.count { text += " and \(names.count - shown.count) more" }
    return text
  }
}
