import Foundation
import NNRuntime
import Testing

@testable import NNONNX
@testable import NNScript

// `save(net, "m.onnx")` and `load("m.onnx")`: every layer kind exported, read back exactly,
// and (when scripts/test could install them) checked by onnx.checker and ONNX Runtime through
// scripts/onnx_check.py; PyTorch's exports (Fixtures/onnx, made by
// scripts/make_onnx_fixtures.py) loaded and compared with PyTorch's outputs; damaged files
// refused with a diagnostic.

private enum ONNXFixtures {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/onnx").path

  static let checker = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("scripts/onnx_check.py").path

  /// The Python with onnx and onnxruntime that scripts/test found or installed.
  static let python: String? = {
    let environment = ProcessInfo.processInfo.environment
    guard environment["NN_SKIP_INTEROP"] != "1" else { return nil }
    return environment["NN_ONNX_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
  }()

  /// `input` and `output` of a fixture's safetensors file.
  static func tensors(_ name: String) throws -> (input: Tensor, output: Tensor) {
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)")))
    let file = try SafeTensorsFile(bytes: bytes)
    guard let input = file["input"], let output = file["output"] else {
      throw ScriptFailure(text: "\(name) lacks input or output")
    }
    return (try file.tensor(input), try file.tensor(output))
  }
}

/// One model per layer kind (and option nn exports differently), each trained for a few
/// steps so that the weights and batchnorm's running statistics are not their first values.
private let layerModels: [(name: String, model: String, input: String, target: String)] = [
  ("dense", "model net(6) { dense(8, relu); dropout(0.3); dense(5, tanh); dense(4, sigmoid); "
     + "dense(4, leaky_relu); dense(4, elu); dense(4, gelu); dense(4, silu); dense(3, softmax) }",
   "randn([6, 6])", "rand([6, 3])"),
  ("activations", "model net(4) { relu; sigmoid; tanh; gelu; silu; leaky_relu; elu; "
     + "softmax; identity }", "randn([6, 4])", "rand([6, 4])"),
  ("no_bias", "model net(4) { dense(3, use_bias: false) }", "randn([6, 4])", "rand([6, 3])"),
  ("cnn", "model net([3, 8, 8]) { conv2d(4, 3, act: relu); maxpool(2); "
     + "conv2d(6, 3, stride: 2); batchnorm; avgpool(2); flatten(); dense(5) }",
   "randn([6, 3, 8, 8])", "rand([6, 5])"),
  ("cnn_valid", "model net([2, 9, 7]) { conv2d(3, [3, 2], stride: [2, 1], padding: \"valid\", "
     + "use_bias: false); maxpool([2, 3], stride: [1, 2]); global_maxpool(); dense(2) }",
   "randn([6, 2, 9, 7])", "rand([6, 2])"),
  ("conv1d", "model net([2, 12]) { conv1d(4, 3, act: relu); maxpool1d(2); "
     + "conv1d(3, 3, stride: 2, padding: \"valid\"); avgpool1d(2, stride: 1); flatten(); "
     + "dense(2) }", "randn([6, 2, 12])", "rand([6, 2])"),
  ("global_pools", "model net([3, 4, 4]) { global_avgpool(); dense(2) }",
   "randn([6, 3, 4, 4])", "rand([6, 2])"),
  ("norms", "model net([2, 3, 3]) { batchnorm; layernorm; flatten(); dense(4); batchnorm; "
     + "reshape([2, 2]); layernorm; flatten() }", "randn([6, 2, 3, 3])", "rand([6, 4])"),
  ("embedding", "model net(6) { embedding(10, 4); residual { dense(4, relu); dense(4) }; "
     + "flatten(); dense(3) }", "floor(rand([6, 6]) * 10)", "rand([6, 3])"),
  ("lstm", "model net([5, 4]) { lstm(6, return_sequences: true); lstm(3); dense(2) }",
   "randn([6, 5, 4])", "rand([6, 2])"),
  ("gru", "model net([5, 4]) { gru(6, return_sequences: true); gru(4, return_sequences: true);"
     + " dense(2) }", "randn([6, 5, 4])", "rand([6, 5, 2])"),
  ("attention", "model net([5, 8]) { positional(7); attention(2); attention(4, causal: true);"
     + " global_avgpool(); dense(2) }", "randn([6, 5, 8])", "rand([6, 2])"),
  ("transformer", "model net([6, 8]) { positional(6); transformer(2, 16); "
     + "transformer(4, 12, norm_first: true, causal: true, act: gelu); global_maxpool(); "
     + "dense(2, sigmoid) }", "randn([6, 6, 8])", "rand([6, 2])"),
]

/// Declares `net`, `x` and trains `net` on `(x, target)` for a few steps.
private func trained(_ workspace: Workspace, _ index: Int) throws {
  let entry = layerModels[index]
  try workspace.run("""
    seed(\(index + 1))
    \(entry.model)
    let x = \(entry.input)
    let h = train net on dataset(x, \(entry.target)) {
      loss: mse
      optimizer: sgd(lr: 0.05)
      epochs: 3
      batch: 2
      progress: false
    }
    """)
}

@Test(arguments: layerModels.indices)
func anExportReadsBackAsTheSameModel(_ index: Int) throws {
  let workspace = try Workspace()
  try trained(workspace, index)
  try workspace.run(#"save(net, "m.onnx")"#)
  try workspace.run(#"let back = load("m.onnx")"#)
  let (net, back) = (try workspace.model("net"), try workspace.model("back"))
  #expect(back.network.allLayers.map(\.summary) == net.network.allLayers.map(\.summary))
  #expect(parameters(back) == parameters(net))
  #expect(try workspace.tensor("back(x)") == workspace.tensor("net(x)"))
}

@Test func everyLayerKindHasAnONNXForm() {
  for type in LayerDeclarations.all {
    #expect(ONNXExport.hasForm(type), "\(type) has no ONNX form")
  }
}

@Test(.enabled(if: ONNXFixtures.python != nil,
               "NN_ONNX_PYTHON is not set (scripts/test sets it when onnx and onnxruntime install); the ONNX Runtime round trip is not checked"))
func onnxRuntimeComputesWhatNNComputes() throws {
  let workspace = try Workspace()
  for (index, entry) in layerModels.enumerated() {
    try trained(workspace, index)
    try workspace.run("save(net, \"\(entry.name).onnx\")")
    let tensors = [("input", try workspace.tensor("x")), ("output", try workspace.tensor("net(x)"))]
    try Data(SafeTensorsFile.serialize(tensors.map { (name: $0.0, tensor: $0.1) }, metadata: [:]))
      .write(to: URL(fileURLWithPath: workspace.path("\(entry.name).safetensors")))
  }
  let (status, text) = try runPython(ONNXFixtures.python ?? "python3", ONNXFixtures.checker,
                                     [workspace.folder])
  #expect(status == 0, "onnx_check.py:\n\(text)")
  #expect(text.contains("\(layerModels.count) of \(layerModels.count) ONNX models ok"), "\(text)")
}

// MARK: - PyTorch's exports

private let torchModels = [
  "mlp", "mlp_act", "cnn", "conv1d", "batchnorm1d", "batchnorm2d", "layernorm", "embedding",
  "lstm", "lstm_seq", "gru", "gru_seq",
]

@Test(arguments: torchModels)
func aPyTorchExportLoadsAndComputesWhatPyTorchComputed(_ name: String) throws {
  let (input, expected) = try ONNXFixtures.tensors("torch_\(name).safetensors")
  let workspace = try Workspace()
  workspace.interpreter.define("x", .tensor(input))
  try workspace.run("let m = load(\"\(ONNXFixtures.folder)/torch_\(name).onnx\")")
  let output = try workspace.tensor("m(x)")
  #expect(output.shape == expected.shape)
  let worst = zip(output.scalars, expected.scalars).map { abs($0 - $1) / max(1, abs($1)) }
    .max() ?? 0
  #expect(worst <= 1e-5, "torch_\(name): largest difference \(worst)")
}

@Test func aLoadedPyTorchModelTrainsAndSavesLikeAnyOther() throws {
  let workspace = try Workspace()
  try workspace.run("""
    seed(3)
    let m = load("\(ONNXFixtures.folder)/torch_cnn.onnx")
    let x = randn([6, 3, 8, 8])
    let data = dataset(x, rand([6, 5]))
    let before = evaluate(m, data, loss: mse).loss
    let h = train m on data { loss: mse; optimizer: adam(lr: 0.01); epochs: 5; progress: false }
    save(m, "trained.onnx")
    save(m, "trained.safetensors")
    """)
  let before = try workspace.run("before")
  let after = try workspace.run("h.loss[-1]")
  guard case .number(let first) = before, case .number(let last) = after else {
    throw ScriptFailure(text: "losses are not numbers: \(before), \(after)")
  }
  #expect(last < first)
  #expect(try workspace.tensor(#"load("trained.onnx")(x)"#) == workspace.tensor("m(x)"))
  #expect(try workspace.tensor(#"load("trained.safetensors")(x)"#) == workspace.tensor("m(x)"))
}

// MARK: - Damaged and foreign files

@Test func everyTruncationOfAnExportIsADiagnostic() throws {
  let bytes = try [UInt8](Data(contentsOf: URL(
    fileURLWithPath: "\(ONNXFixtures.folder)/torch_lstm.onnx")))
  var refused = 0
  for length in 0..<bytes.count {
    do {
      let file = try ONNXFile(bytes: Array(bytes[..<length]))
      _ = try ONNXImport(file)
    } catch {
      refused += 1
    }
  }
  // Protobuf has no end marker: a cut between two fields can still be a model, but never
  // the whole one, so every prefix fails somewhere (decoding or rebuilding).
  #expect(refused == bytes.count)
  #expect(try ONNXImport(ONNXFile(bytes: bytes)).layers.count == 2)
}

@Test func damagedFilesAreDiagnosticsNamingTheFile() throws {
  let workspace = try Workspace()
  try Data([0x3a, 0x05, 0x0a]).write(to: URL(fileURLWithPath: workspace.path("cut.onnx")))
  #expect(workspace.failure(#"load("cut.onnx")"#)?.contains(
    "cannot load 'cut.onnx': it is not a valid ONNX model (it ends in the middle of a field)")
    == true)
  try Data("not a model".utf8).write(to: URL(fileURLWithPath: workspace.path("text.onnx")))
  #expect(workspace.failure(#"load("text.onnx")"#)?.contains(
    "cannot load 'text.onnx': it is not a valid ONNX model") == true)
  try Data().write(to: URL(fileURLWithPath: workspace.path("empty.onnx")))
  #expect(workspace.failure(#"load("empty.onnx")"#)?.contains("it has no graph") == true)
}

// MARK: - Graphs nn refuses, and why

/// A one-input ONNX model: `nodes` (op type, inputs, attributes; each writes `v<index>`, the
/// last one `output`) over `input` `[batch] + sample`, with float initialisers.
private func model(
  sample: [Int], _ nodes: [(String, [String], [Onnx_AttributeProto])],
  initializers: [String: Tensor] = [:], inputs: Int = 1, opset: Int64 = 17,
  edit: (inout Onnx_ModelProto) -> Void = { _ in }
) throws -> [UInt8] {
  var graph = Onnx_GraphProto()
  for (index, (op, operands, attributes)) in nodes.enumerated() {
    var node = Onnx_NodeProto()
    node.opType = op
    node.name = "n\(index)"
    node.input = operands
    node.output = [index == nodes.count - 1 ? "output" : "v\(index)"]
    node.attribute = attributes
    graph.node.append(node)
  }
  graph.initializer = initializers.sorted { $0.key < $1.key }.map {
    ONNXGraphBuilder.tensorProto($0.key, $0.value)
  }
  func info(_ name: String, _ shape: [Int]) -> Onnx_ValueInfoProto {
    var tensor = Onnx_TypeProto.Tensor()
    tensor.elemType = 1
    var batch = Onnx_TensorShapeProto.Dimension()
    batch.dimParam = "batch"
    tensor.shape.dim = [batch] + shape.map { extent in
      var dimension = Onnx_TensorShapeProto.Dimension()
      dimension.dimValue = Int64(extent)
      return dimension
    }
    var value = Onnx_ValueInfoProto()
    value.name = name
    value.type.tensorType = tensor
    return value
  }
  graph.input = (0..<inputs).map { info($0 == 0 ? "input" : "input\($0)", sample) }
  graph.output = [info("output", [1])]
  var proto = Onnx_ModelProto()
  proto.irVersion = 8
  var set = Onnx_OperatorSetIdProto()
  set.version = opset
  proto.opsetImport = opset > 0 ? [set] : []
  proto.graph = graph
  edit(&proto)
  return try proto.serializedBytes()
}

private func zeros(_ shape: [Int]) -> Tensor {
  Tensor(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)))
}

private let refusals: [(String, @Sendable () throws -> [UInt8])] = [
  ("node Relu 'n1' reads 'input', which is not the value the node before produced", {
    try model(sample: [2], [("Gemm", ["input", "w"], [.int("transB", 1)]), ("Relu", ["input"], [])],
              initializers: ["w": zeros([3, 2])])
  }),
  ("node Gemm 'n0' has transA, alpha or beta set", {
    try model(sample: [2], [("Gemm", ["input", "w"], [.float("alpha", 2)])],
              initializers: ["w": zeros([2, 3])])
  }),
  ("node Conv 'n0' pads [2, 2, 2, 2]; nn's convolutions pad \"valid\" (none) or \"same\" "
     + "([1, 1, 1, 1] here)", {
    try model(sample: [1, 5, 5], [("Conv", ["input", "w"], [.ints("pads", [2, 2, 2, 2])])],
              initializers: ["w": zeros([2, 1, 3, 3])])
  }),
  ("node LayerNormalization 'n0' normalises the last 1 axes of [4, 3] samples", {
    try model(sample: [4, 3], [("LayerNormalization", ["input", "s"], [.int("axis", -1)])],
              initializers: ["s": zeros([3])])
  }),
  ("node Softmax 'n0' takes a softmax along axis 0", {
    try model(sample: [3], [("Softmax", ["input"], [.int("axis", 0)])])
  }),
  ("node Dropout 'n0' drops a ratio 1.5 outside [0, 1)", {
    try model(sample: [3], [("Dropout", ["input", "r"], [])],
              initializers: ["r": Tensor(scalar: 1.5)])
  }),
  ("node LSTM 'n1' is bidirectional, clipped, coupled or has other activations", {
    try model(sample: [4, 3], [("Transpose", ["input"], [.ints("perm", [1, 0, 2])]),
                               ("LSTM", ["v0", "w", "r"], [.string("direction", "bidirectional")])],
              initializers: ["w": zeros([2, 8, 3]), "r": zeros([2, 8, 2])])
  }),
  ("node Gemm 'n0' takes a computed value as input 2", {
    try model(sample: [2], [("Gemm", ["input", "input"], [])])
  }),
  ("node Gemm 'n0' takes an empty tensor as input 2", {
    try model(sample: [2], [("Gemm", ["input", "w"], [])], initializers: ["w": zeros([2, 0])])
  }),
  ("its graph has 2 inputs; nn models take one", {
    try model(sample: [2], [("Relu", ["input"], [])], inputs: 2)
  }),
  ("it names no version of ONNX's operator set", {
    try model(sample: [2], [("Relu", ["input"], [])], opset: 0)
  }),
  ("tensor 'w' is stored in an external file", {
    try model(sample: [2], [("Relu", ["input"], [])], initializers: ["w": zeros([1])]) {
      $0.graph.initializer[0].dataLocation = .external
    }
  }),
  ("tensor 'w' of shape [2, 2] holds 1 values, not 4", {
    try model(sample: [2], [("Relu", ["input"], [])], initializers: ["w": zeros([2, 2])]) {
      $0.graph.initializer[0].rawData = Data(count: 4)
    }
  }),
  ("tensor 'w' has element type float16", {
    try model(sample: [2], [("Relu", ["input"], [])], initializers: ["w": zeros([1])]) {
      $0.graph.initializer[0].dataType = 10
    }
  }),
  ("its input 'input' has a symbolic or empty axis after the batch axis", {
    try model(sample: [2], [("Relu", ["input"], [])]) {
      $0.graph.input[0].type.tensorType.shape.dim[1].dimParam = "n"
    }
  }),
]

@Test(arguments: refusals.indices)
func aGraphNNCannotRebuildIsRefusedSayingWhy(_ index: Int) throws {
  let (message, bytes) = refusals[index]
  let data = try bytes()
  do throws(ONNXError) {
    _ = try ONNXImport(ONNXFile(bytes: data))
    Issue.record("accepted: \(message)")
  } catch {
    #expect(error.message.contains(message), "\(error.message)")
  }
}

/// A layer a host declared with the runtime alone, without an ONNX form.
private struct Doubling: LayerDeclaration {
  var kindName: String { "doubling" }
  var declarationText: String { "doubling()" }
  static var descriptionKinds: [String] { ["doubling"] }
  func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape {
    LayerShape(output: context.input)
  }
  func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let output = try lowering.graph.add(.add, [input, input], tag: layer.tag)
    return (output, output)
  }
  func flops(of layer: Layer) -> Int { layer.outputShape.reduce(1, *) }
  func describe(_ layer: Layer, into fields: inout [String: JSONValue]) {
    fields["kind"] = .string("doubling")
  }
  static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Doubling {
    Doubling()
  }
}

@Test func aLayerWithoutAnONNXFormIsRefusedByName() throws {
  var random = RandomGenerator(seed: 0)
  let network = try NetworkBuilder.build(input: [2], [Dense(units: 2), Doubling()],
                                         random: &random)
  do throws(ONNXError) {
    _ = try ONNXExport.serialize(network, name: "net", producerVersion: "test", metadata: [:])
    Issue.record("a layer without an ONNX form was exported")
  } catch {
    #expect(error.kind == .unsupported)
    #expect(error.message == "doubling1 (doubling()) has no ONNX form in this nn")
  }
}
