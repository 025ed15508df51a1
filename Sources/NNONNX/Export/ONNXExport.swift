#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NNRuntime

/// Writes networks as ONNX models.
public enum ONNXExport {
  /// The operator set the graphs use: 17 is the first with LayerNormalization, and what
  /// every current runtime reads.
  public static let opset = 17
  /// IR version 8 is the one of opset 17 (ONNX 1.12).
  static let irVersion: Int64 = 8
  /// The symbolic first axis of the graph's input and output.
  public static let batchAxis = "batch"

  /// The ONNX model of `network`: its input `input` (`[batch] + inputShape`, float, or int64
  /// token ids when the first layer is an embedding), its output `output`, every parameter an
  /// initialiser, and `metadata` as the model's metadata_props (nn puts its model description
  /// there, so that nn reads its own export back exactly).
  public static func serialize(
    _ network: Network, name: String, producerVersion: String, metadata: [String: String]
  ) throws(ONNXError) -> [UInt8] {
    var builder = ONNXGraphBuilder(network: network)
    let last = try builder.export(network.layers, from: "input")
    builder.scope = ""
    builder.add("Identity", [last == "input" ? "input" : last], outputs: 0)
    var graph = Onnx_GraphProto()
    graph.name = name
    graph.node = builder.nodes
    // The last node (Identity) writes the graph's output.
    graph.node[graph.node.count - 1].output = ["output"]
    graph.initializer = builder.initializers
    let tokens = network.layers.first?.declaration is Embedding
    graph.input = [valueInfo("input", shape: network.inputShape,
                             type: tokens ? .int64 : .float)]
    graph.output = [valueInfo("output", shape: network.outputShape, type: .float)]

    var model = Onnx_ModelProto()
    model.irVersion = irVersion
    model.producerName = "nn"
    model.producerVersion = producerVersion
    var opset = Onnx_OperatorSetIdProto()
    opset.domain = ""
    opset.version = Int64(Self.opset)
    model.opsetImport = [opset]
    model.graph = graph
    model.metadataProps = metadata.sorted { $0.key < $1.key }.map { key, value in
      var entry = Onnx_StringStringEntryProto()
      entry.key = key
      entry.value = value
      return entry
    }
    do {
      return try model.serializedBytes()
    } catch {
      throw ONNXError(.tooLarge, "the model cannot be encoded: \(error)")
    }
  }

  /// Whether layers of `type` have an ONNX form (every type in `LayerDeclarations.all`
  /// should: a test checks it).
  public static func hasForm(_ type: any LayerDeclaration.Type) -> Bool {
    type is any ONNXLayer.Type
  }

  private static func valueInfo(
    _ name: String, shape: [Int], type: Onnx_TensorProto.DataType
  ) -> Onnx_ValueInfoProto {
    var tensor = Onnx_TypeProto.Tensor()
    tensor.elemType = Int32(type.rawValue)
    var batch = Onnx_TensorShapeProto.Dimension()
    batch.dimParam = batchAxis
    tensor.shape.dim = [batch] + shape.map { extent in
      var dimension = Onnx_TensorShapeProto.Dimension()
      dimension.dimValue = Int64(extent)
      return dimension
    }
    var info = Onnx_ValueInfoProto()
    info.name = name
    info.type.tensorType = tensor
    return info
  }
}
