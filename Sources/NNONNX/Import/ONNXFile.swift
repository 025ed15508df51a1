#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NNRuntime
import SwiftProtobuf

/// An ONNX model read from bytes: its metadata, its graph's nodes, input and output, and its
/// constants (initialisers and Constant nodes) decoded into tensors. Every field a reader
/// trusts is checked (element counts against the declared shape, sizes against nn's limits),
/// so a hostile or truncated file is an `ONNXError`, never a crash, and memory stays within a
/// small multiple of the file's size.
public struct ONNXFile: Sendable {
  /// The model's metadata_props (nn's export keeps its model description under `nn_model`).
  public let metadata: [String: String]
  /// What wrote the file (`producer_name`, `producer_version`).
  public let producer: String
  /// The float constants by name (initialisers, and Constant nodes' values).
  public let tensors: [String: Tensor]
  /// The integer constants by name (shapes, axes, indices).
  let integers: [String: [Int]]
  /// The shapes of the integer constants (an index may be a 0-d scalar).
  let integerShapes: [String: [Int]]
  let nodes: [Onnx_NodeProto]
  let graphInputs: [Onnx_ValueInfoProto]
  let graphOutputs: [Onnx_ValueInfoProto]
  /// The default domain's opset version.
  let opset: Int

  /// The largest nesting of messages read; ONNX models nest a few levels (a graph in an
  /// attribute of a node in a graph), so a deeper file is hostile.
  static let depthLimit = 32

  /// Reads and checks `bytes`.
  public init(bytes: [UInt8]) throws(ONNXError) {
    var options = BinaryDecodingOptions()
    options.messageDepthLimit = Self.depthLimit
    options.discardUnknownFields = true
    let model: Onnx_ModelProto
    do {
      model = try Onnx_ModelProto(serializedBytes: bytes, options: options)
    } catch {
      throw ONNXError(.malformed, "it is not a valid ONNX model (\(Self.describe(error)))")
    }
    guard model.hasGraph else {
      throw ONNXError(.malformed, "it is not a valid ONNX model (it has no graph)")
    }
    var opset = 0
    for entry in model.opsetImport where entry.domain.isEmpty || entry.domain == "ai.onnx" {
      opset = Int(clamping: entry.version)
    }
    guard opset > 0 else {
      throw ONNXError(.malformed, "it names no version of ONNX's operator set (opset_import)")
    }
    var metadata: [String: String] = [:]
    for entry in model.metadataProps { metadata[entry.key] = entry.value }
    self.metadata = metadata
    producer = model.producerName
      + (model.producerVersion.isEmpty ? "" : " \(model.producerVersion)")
    self.opset = opset

    let graph = model.graph
    var tensors: [String: Tensor] = [:]
    var integers: [String: [Int]] = [:]
    var integerShapes: [String: [Int]] = [:]
    func store(_ proto: Onnx_TensorProto, as name: String) throws(ONNXError) {
      switch try Self.decode(proto, name: name) {
      case .floats(let tensor): tensors[name] = tensor
      case .integers(let values, let shape):
        integers[name] = values
        integerShapes[name] = shape
      }
    }
    for initializer in graph.initializer { try store(initializer, as: initializer.name) }
    var nodes: [Onnx_NodeProto] = []
    for node in graph.node {
      // Constants are values, not computation: kept with the initialisers.
      if node.opType == "Constant", node.domain.isEmpty, node.output.count == 1,
        let value = Self.constantValue(node) {
        try store(value, as: node.output[0])
      } else {
        nodes.append(node)
      }
    }
    self.tensors = tensors
    self.integers = integers
    self.integerShapes = integerShapes
    self.nodes = nodes
    // Old exporters list initialisers among the inputs too.
    graphInputs = graph.input.filter { tensors[$0.name] == nil && integers[$0.name] == nil }
    graphOutputs = graph.output
  }

  /// A Constant node's value as a tensor message: its `value`, or the scalar and list forms
  /// (`value_float`, `value_floats`, `value_int`, `value_ints`).
  private static func constantValue(_ node: Onnx_NodeProto) -> Onnx_TensorProto? {
    guard let attribute = node.attribute.first else { return nil }
    var tensor = Onnx_TensorProto()
    switch attribute.name {
    case "value" where attribute.hasT: return attribute.t
    case "value_float":
      tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
      tensor.floatData = [attribute.f]
    case "value_floats":
      tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
      tensor.dims = [Int64(attribute.floats.count)]
      tensor.floatData = attribute.floats
    case "value_int":
      tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
      tensor.int64Data = [attribute.i]
    case "value_ints":
      tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
      tensor.dims = [Int64(attribute.ints.count)]
      tensor.int64Data = attribute.ints
    default: return nil
    }
    return tensor
  }

  private static func describe(_ error: any Error) -> String {
    switch error {
    case BinaryDecodingError.truncated: "it ends in the middle of a field"
    case BinaryDecodingError.messageDepthLimit: "its messages nest too deeply"
    case BinaryDecodingError.malformedProtobuf: "its bytes are not protobuf"
    case BinaryDecodingError.invalidUTF8: "a string in it is not UTF-8"
    default: "\(error)"
    }
  }

  // MARK: - Tensors

  enum Decoded {
    case floats(Tensor)
    case integers([Int], shape: [Int])
  }

  /// The values of one tensor message, checked against its shape.
  static func decode(_ proto: Onnx_TensorProto, name: String) throws(ONNXError) -> Decoded {
    if proto.dataLocation == .external || !proto.externalData.isEmpty {
      throw ONNXError(.unsupported,
                      "tensor '\(name)' is stored in an external file, which nn does not read",
                      hint: "save the model with its weights inside the .onnx file "
                        + "(onnx.save_model(m, path, save_as_external_data=False))")
    }
    var count = 1
    var shape: [Int] = []
    guard proto.dims.count <= Tensor.maxRank else {
      throw ONNXError(.malformed, "tensor '\(name)' has \(proto.dims.count) axes")
    }
    for dimension in proto.dims {
      guard dimension >= 0, dimension <= Tensor.maxElements else {
        throw ONNXError(.malformed, "tensor '\(name)' has an axis of extent \(dimension)")
      }
      let (product, overflow) = count.multipliedReportingOverflow(by: Int(dimension))
      guard !overflow, product <= Tensor.maxElements else {
        throw ONNXError(.tooLarge,
                        "tensor '\(name)' holds more than the \(Tensor.maxElements) elements a "
                          + "tensor may hold")
      }
      count = product
      shape.append(Int(dimension))
    }
    func mismatch(_ found: Int) -> ONNXError {
      ONNXError(.malformed,
                "tensor '\(name)' of shape \(shapeText(shape)) holds \(found) values, not "
                  + "\(count)")
    }
    let raw = proto.rawData
    // raw_data holds little-endian values of the element type; the typed fields hold them
    // one by one. Either must hold exactly the shape's count.
    func stored<Bits: FixedWidthInteger>(_: Bits.Type) throws(ONNXError) -> [Bits] {
      let width = MemoryLayout<Bits>.size
      guard raw.count == width * count else { throw mismatch(raw.count / width) }
      return raw.withUnsafeBytes { bytes in
        (0..<count).map {
          Bits(littleEndian: bytes.loadUnaligned(fromByteOffset: width * $0, as: Bits.self))
        }
      }
    }
    func listed<Value>(_ values: [Value]) throws(ONNXError) -> [Value] {
      guard values.count == count else { throw mismatch(values.count) }
      return values
    }
    let hasRaw = proto.hasRawData
    switch Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)) {
    case .float?:
      let scalars = hasRaw ? try stored(UInt32.self).map(Float.init(bitPattern:))
        : try listed(proto.floatData)
      return .floats(Tensor(shape: shape, scalars: scalars))
    case .double?:
      let values = hasRaw ? try stored(UInt64.self).map(Double.init(bitPattern:))
        : try listed(proto.doubleData)
      return .floats(Tensor(shape: shape, scalars: values.map { Float($0) }))
    case .int64?:
      let values = hasRaw ? try stored(Int64.self) : try listed(proto.int64Data)
      return .integers(values.map { Int($0) }, shape: shape)
    case .int32?:
      let values = hasRaw ? try stored(Int32.self) : try listed(proto.int32Data)
      return .integers(values.map { Int($0) }, shape: shape)
    default:
      let type = Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)).map { "\($0)" }
        ?? "number \(proto.dataType)"
      throw ONNXError(.unsupported,
                      "tensor '\(name)' has element type \(type); nn reads float, double, "
                        + "int32 and int64 tensors")
    }
  }
}
