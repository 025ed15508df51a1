#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NNRuntime

/// The graph an export is building: nodes in order, initialisers, and the names already used.
/// Every value and node a layer adds is named after the layer (`dense1/Gemm`), so a graph
/// viewer or an ONNX Runtime error points at the nn layer it came from.
struct ONNXGraphBuilder {
  private(set) var nodes: [Onnx_NodeProto] = []
  private(set) var initializers: [Onnx_TensorProto] = []
  private var names: Set<String> = ["input", "output"]
  private let network: Network
  /// The layer whose nodes are being added (their name prefix).
  var scope = ""

  init(network: Network) { self.network = network }

  /// A name not used yet: `scope/base`, then `scope/base_1`, …
  mutating func fresh(_ base: String) -> String {
    let stem = scope.isEmpty ? base : "\(scope)/\(base)"
    var name = stem
    var counter = 0
    while names.contains(name) {
      counter += 1
      name = "\(stem)_\(counter)"
    }
    names.insert(name)
    return name
  }

  /// Adds a node of `op` reading `inputs` ("" for an omitted optional input); returns its
  /// `outputs` output names.
  @discardableResult
  mutating func add(
    _ op: String, _ inputs: [String], outputs: Int, _ attributes: [Onnx_AttributeProto] = []
  ) -> [String] {
    var node = Onnx_NodeProto()
    node.opType = op
    node.name = fresh(op)
    node.input = inputs
    node.output = (0..<outputs).map { _ in fresh("\(op)_out") }
    node.attribute = attributes
    nodes.append(node)
    return node.output
  }

  /// Adds a node with one output; returns its name.
  mutating func add(
    _ op: String, _ inputs: [String], _ attributes: [Onnx_AttributeProto] = []
  ) -> String {
    add(op, inputs, outputs: 1, attributes)[0]
  }

  // MARK: - Initialisers

  /// The initialiser holding `layer`'s parameter `name` unchanged, under the network's name for
  /// it (`dense1.weight`), so that nn reads its own export back exactly.
  mutating func parameter(_ layer: Layer, _ name: String) throws(ONNXError) -> String {
    let (fullName, tensor) = try parameterValue(layer, name)
    if names.insert(fullName).inserted {
      initializers.append(Self.tensorProto(fullName, tensor))
    }
    return fullName
  }

  /// The network's name for `layer`'s parameter `name` and its current values.
  func parameterValue(_ layer: Layer, _ name: String) throws(ONNXError) -> (String, Tensor) {
    guard let index = layer.parameterIndex(name), index < network.parameterNames.count else {
      throw ONNXError(.unsupported, "\(layer.name) has no parameter '\(name)'")
    }
    return (network.parameterNames[index], network.parameters.tensor(index))
  }

  /// A new float initialiser named after the scope.
  mutating func constant(_ base: String, _ tensor: Tensor) -> String {
    let name = fresh(base)
    initializers.append(Self.tensorProto(name, tensor))
    return name
  }

  /// A new 64-bit integer initialiser (shapes, axes, split sizes, starts and ends).
  mutating func integers(_ base: String, _ values: [Int]) -> String {
    let name = fresh(base)
    var proto = Onnx_TensorProto()
    proto.name = name
    proto.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
    proto.dims = [Int64(values.count)]
    proto.int64Data = values.map(Int64.init)
    initializers.append(proto)
    return name
  }

  /// A one-element float constant, broadcast by the node that reads it.
  mutating func scalar(_ base: String, _ value: Float) -> String {
    constant(base, Tensor(scalar: value))
  }

  static func tensorProto(_ name: String, _ tensor: Tensor) -> Onnx_TensorProto {
    var proto = Onnx_TensorProto()
    proto.name = name
    proto.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    proto.dims = tensor.shape.map(Int64.init)
    // raw_data is little-endian IEEE floats, which is this machine's layout.
    proto.rawData = tensor.scalars.withUnsafeBytes { Data($0) }
    return proto
  }

  // MARK: - Common node shapes

  /// `x` reshaped to `shape`, where 0 keeps the batch extent of `x`.
  mutating func reshape(_ x: String, _ shape: [Int]) -> String {
    add("Reshape", [x, integers("shape", shape)])
  }

  /// `x` with its axes permuted.
  mutating func transpose(_ x: String, _ permutation: [Int]) -> String {
    add("Transpose", [x], [.ints("perm", permutation)])
  }

  /// `x · Wᵀ + b` over the last axis of `x`: one Gemm for a batch of vectors, a MatMul by the
  /// transposed weight (a Transpose of the initialiser, which runtimes fold) and an Add for
  /// sequences.
  mutating func affine(_ x: String, weight: String, bias: String?, rank: Int) -> String {
    if rank == 2 {
      return add("Gemm", [x, weight] + (bias.map { [$0] } ?? []), [.int("transB", 1)])
    }
    let product = add("MatMul", [x, transpose(weight, [1, 0])])
    return bias.map { add("Add", [product, $0]) } ?? product
  }
}

extension Onnx_AttributeProto {
  static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
    var attribute = Onnx_AttributeProto()
    attribute.name = name
    attribute.type = .int
    attribute.i = Int64(value)
    return attribute
  }

  static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
    var attribute = Onnx_AttributeProto()
    attribute.name = name
    attribute.type = .ints
    attribute.ints = values.map(Int64.init)
    return attribute
  }

  static func float(_ name: String, _ value: Double) -> Onnx_AttributeProto {
    var attribute = Onnx_AttributeProto()
    attribute.name = name
    attribute.type = .float
    attribute.f = Float(value)
    return attribute
  }

  static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
    var attribute = Onnx_AttributeProto()
    attribute.name = name
    attribute.type = .string
    attribute.s = Data(value.utf8)
    return attribute
  }
}
