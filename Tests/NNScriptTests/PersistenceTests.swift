import Foundation
import NNRuntime
import NNSyntax
import Testing

@testable import NNScript

// `save`, `load(path)` and `load(path, into: net)` through scripts that write into a fresh
// temporary folder (nothing is left in the repository), and the files' interoperability with
// the reference `safetensors` package through scripts/interop_safetensors.py.

// MARK: - Helpers

private let declarations = """
  seed(1)
  model net(3) {
    dense(5, leaky_relu(alpha: 0.2))
    block = residual {
      dense(5, tanh)
      dense(5, use_bias: false)
    }
    dropout(0.25)
    elu(alpha: 0.5)
    out = dense(2, softmax)
  }
  let x = randn(4, 3)
  """

// MARK: - save and load

@Test func savedModelLoadsWithTheSameStructureParametersAndPredictions() throws {
  let workspace = try Workspace()
  try workspace.run(declarations)
  #expect(try workspace.run(#"save(net, "net.safetensors")"#).isNil)
  #expect(workspace.files == ["net.safetensors"])
  try workspace.run(#"let copy = load("net.safetensors")"#)
  let original = try workspace.model("net")
  let copy = try workspace.model("copy")
  #expect(copy.name == "net")
  #expect(copy.displayText == original.displayText)
  #expect(copy.layerNames == original.layerNames)
  #expect(copy.network.parameterNames == original.network.parameterNames)
  #expect(parameters(copy) == parameters(original))
  #expect(try workspace.tensor("copy(x)") == workspace.tensor("net(x)"))
}

@Test func loadingDoesNotDisturbTheRandomSequence() throws {
  let workspace = try Workspace()
  try workspace.run(declarations + "\n" + #"save(net, "net.safetensors")"#)
  let plain = try workspace.tensor("seed(3)\nrand(4)")
  let afterLoad = try workspace.tensor("seed(3)\nload(\"net.safetensors\")\nrand(4)")
  #expect(plain == afterLoad)
}

@Test func savingAgainReplacesTheFileWhole() throws {
  let workspace = try Workspace()
  try workspace.run(declarations + "\n" + #"save(net, "net.safetensors")"#)
  try workspace.run("""
    net.out.bias = [0.5, -0.5]
    save(net, "net.safetensors")
    """)
  #expect(workspace.files == ["net.safetensors"])
  #expect(try workspace.tensor(#"load("net.safetensors").out.bias"#) == Tensor([0.5, -0.5]))
}

/// As in Python, a relative path is the working directory's, not the folder of the script.
@Test func pathsAreRelativeToTheWorkingDirectory() throws {
  let workspace = try Workspace()
  try FileManager.default.createDirectory(atPath: workspace.path("sub"),
                                          withIntermediateDirectories: true)
  let script = """
    model tiny(2) { dense(1) }
    save(tiny, "tiny.safetensors")
    print(load("tiny.safetensors"))
    """
  try script.write(toFile: workspace.path("sub/main.nn"), atomically: true, encoding: .utf8)
  try workspace.interpreter.runFile("sub/main.nn")
  #expect(FileManager.default.fileExists(atPath: workspace.path("tiny.safetensors")))
  #expect(!FileManager.default.fileExists(atPath: workspace.path("sub/tiny.safetensors")))
  #expect(workspace.printed.text == "<model tiny: 2 → dense(1), 3 parameters>\n")
}

@Test func saveReportsAFolderThatDoesNotExist() throws {
  let workspace = try Workspace()
  let message = workspace.failure("""
    model tiny(2) { dense(1) }
    save(tiny, "missing/tiny.safetensors")
    """)
  #expect(message?.contains(
    "error: cannot save to 'missing/tiny.safetensors': No such file or directory") == true)
  #expect(workspace.files.isEmpty)
}

// MARK: - load(path, into: net)

@Test func loadIntoCopiesEveryParameterAndPredictsTheSame() throws {
  let workspace = try Workspace()
  try workspace.run(declarations + "\n" + #"save(net, "net.safetensors")"#)
  try workspace.run("""
    seed(2)
    model other(3) {
      dense(5, leaky_relu(alpha: 0.2))
      block = residual {
        dense(5, tanh)
        dense(5, use_bias: false)
      }
      dropout(0.25)
      elu(alpha: 0.5)
      out = dense(2, softmax)
    }
    """)
  #expect(try workspace.tensor("other(x)") != workspace.tensor("net(x)"))
  #expect(try workspace.run(#"load("net.safetensors", into: other)"#).isNil)
  #expect(try workspace.tensor("other(x)") == workspace.tensor("net(x)"))
}

@Test func loadIntoAMismatchedModelListsTheProblemsAndChangesNothing() throws {
  let workspace = try Workspace()
  try workspace.run(declarations + "\n" + #"save(net, "net.safetensors")"#)
  try workspace.run("""
    model wide(3) {
      dense(6)
      extra = dense(2)
    }
    """)
  let before = parameters(try workspace.model("wide"))
  let message = workspace.failure(#"load("net.safetensors", into: wide)"#)
  #expect(message?.contains(
    "error: cannot load 'net.safetensors' into wide: the file has no tensor for extra.weight, "
      + "extra.bias; dense1.weight is [5, 3] in the file but [6, 3] in wide; dense1.bias is "
      + "[5] in the file but [6] in wide") == true, "\(message ?? "")")
  #expect(message?.contains("hint: the file's other tensors are dense2.bias, dense2.weight, "
                              + "dense3.weight, out.bias, out.weight") == true)
  #expect(parameters(try workspace.model("wide")) == before)
}

// MARK: - Files whose tensors disagree with their description

/// A file with nn's metadata for `net` but the tensors given.
private func writeNNFile(
  _ workspace: Workspace, _ tensors: [(name: String, tensor: Tensor)], name: String
) throws {
  try workspace.run(declarations)
  let description = ModelDescription.encode(try workspace.model("net"))
  let bytes = SafeTensorsFile.serialize(
    tensors, metadata: ["format": "nn", "nn_version": "0.1.0", "model": description])
  try Data(bytes).write(to: URL(fileURLWithPath: workspace.path(name)))
}

@Test func loadRejectsMissingExtraAndMisshapenTensors() throws {
  let workspace = try Workspace()
  try workspace.run(declarations)
  let full = parameters(try workspace.model("net")).map { (name: $0.key, tensor: $0.value) }

  try writeNNFile(workspace, full.filter { $0.name != "out.bias" }, name: "missing.safetensors")
  #expect(workspace.failure(#"load("missing.safetensors")"#)?.contains(
    "cannot load 'missing.safetensors' into net: the file has no tensor for out.bias") == true)

  try writeNNFile(workspace, full + [("stray", Tensor([1]))], name: "extra.safetensors")
  #expect(workspace.failure(#"load("extra.safetensors")"#)?.contains(
    "the file has tensors that net has no parameter for: stray") == true)

  let reshaped = full.map { $0.name == "out.bias" ? ($0.name, Tensor([1, 2, 3])) : $0 }
  try writeNNFile(workspace, reshaped, name: "shape.safetensors")
  #expect(workspace.failure(#"load("shape.safetensors")"#)?.contains(
    "out.bias is [3] in the file but [2] in net") == true)
}

// MARK: - Interoperability with the safetensors package

private enum Interop {
  static let python: String? = {
    let environment = ProcessInfo.processInfo.environment
    guard environment["NN_SKIP_INTEROP"] != "1" else { return nil }
    return environment["NN_INTEROP_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
  }()

  static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("scripts/interop_safetensors.py").path

  /// Runs the interop script; its output when it fails.
  static func run(_ arguments: [String]) throws {
    let (status, text) = try runPython(python ?? "python3", script, arguments)
    if status != 0 {
      throw ScriptFailure(text: "interop_safetensors.py \(arguments.first ?? "") failed "
                            + "(status \(status)):\n\(text)")
    }
  }
}

@Test(.enabled(if: Interop.python != nil,
               "NN_INTEROP_PYTHON is not set (scripts/test sets it); interop not checked"))
func theSafetensorsPackageReadsWhatSaveWrites() throws {
  let workspace = try Workspace()
  try workspace.run(declarations + "\n" + #"save(net, "net.safetensors")"#)
  var tensors: [String: Any] = [:]
  for (name, tensor) in parameters(try workspace.model("net")) {
    tensors[name] = ["shape": tensor.shape, "values": tensor.scalars.map(Double.init)]
  }
  let expected: [String: Any] = [
    "tensors": tensors,
    "metadata": ["format": "nn", "nn_version": "0.1.0"],
    "model_name": "net",
  ]
  try JSONSerialization.data(withJSONObject: expected)
    .write(to: URL(fileURLWithPath: workspace.path("expected.json")))
  try Interop.run(["read", workspace.path("net.safetensors"), workspace.path("expected.json")])
}

@Test(.enabled(if: Interop.python != nil,
               "NN_INTEROP_PYTHON is not set (scripts/test sets it); interop not checked"))
func loadIntoReadsAFileTheSafetensorsPackageWrote() throws {
  let workspace = try Workspace()
  try Interop.run(["write", workspace.path("torch.safetensors"), workspace.path("forward.json")])
  let forward = try JSONSerialization.jsonObject(
    with: Data(contentsOf: URL(fileURLWithPath: workspace.path("forward.json")))) as? [String: Any]
  let x = try #require(forward?["x"] as? [[Double]])
  let y = try #require(forward?["y"] as? [[Double]])
  let literal = "[" + x.map { "[" + $0.map { "\($0)" }.joined(separator: ", ") + "]" }
    .joined(separator: ", ") + "]"
  try workspace.run("""
    model net(3) {
      dense(4, tanh)
      dense(2, sigmoid)
    }
    load("torch.safetensors", into: net)
    """)
  let predicted = try workspace.tensor("net(\(literal))")
  #expect(predicted.shape == [y.count, 2])
  for (got, want) in zip(predicted.scalars, y.flatMap { $0 }) {
    #expect(abs(Double(got) - want) <= 1e-5, "\(got) vs \(want)")
  }
}

// MARK: - Descriptions that cannot be used

/// A file holding no tensors whose nn metadata describes the model as `description`.
private func describedFile(_ workspace: Workspace, _ description: String) throws {
  let bytes = SafeTensorsFile.serialize(
    [], metadata: ["format": "nn", "nn_version": "0.1.0", "model": description])
  try Data(bytes).write(to: URL(fileURLWithPath: workspace.path("described.safetensors")))
}

private let dense = #"{"kind":"dense","name":"d","units":1,"activation":"relu"}"#

@Test(arguments: [
  ("{", "its model description is invalid: it is not valid JSON"),
  ("[]", "its model description is invalid: it is an array, not an object"),
  (#"{"version":2,"name":"m","input":[1],"layers":[\#(dense)]}"#,
   "it has version 2; this nn reads version 1"),
  (#"{"name":"m","input":[0],"layers":[\#(dense)]}"#,
   "its input shape holds 0, not a positive whole number"),
  (#"{"name":"m","input":[1],"layers":[]}"#, "it has no layers"),
  (#"{"name":"m","input":[1],"layers":[{"kind":"dense","name":"x.y","units":1}]}"#,
   "layer 1 has no name, or one that is not an identifier"),
  (#"{"name":"m","input":[1],"layers":[{"kind":"dense","name":"d","units":1.5}]}"#,
   "layer 1 (d) needs a positive whole number of units"),
  (#"{"name":"m","input":[1],"layers":[{"kind":"activation","name":"a","activation":"swish"}]}"#,
   #"layer 1 (a) has an unknown activation "swish""#),
  (#"{"name":"m","input":[1],"layers":[{"kind":"dropout","name":"p","p":1}]}"#,
   "layer 1 (p) needs a dropout probability p in [0, 1)"),
  (#"{"name":"m","input":[1],"layers":[{"kind":"residual","name":"r","layers":[7]}]}"#,
   "layer 1.1 is a number, not an object"),
  (#"{"name":"m","input":[1],"layers":[\#(dense),\#(dense)]}"#,
   "its model description is invalid: the model m already has a layer named 'd'"),
  (#"{"name":"m","input":[1000],"layers":[{"kind":"dense","name":"d","units":100000}]}"#,
   "its model description needs 100100000 parameter values, but the file holds only 0"),
])
func unusableDescriptionsAreReported(_ description: String, _ message: String) throws {
  let workspace = try Workspace()
  try describedFile(workspace, description)
  let failure = workspace.failure(#"load("described.safetensors")"#) ?? "no error"
  #expect(failure.contains("error: cannot load 'described.safetensors': "), "\(failure)")
  #expect(failure.contains(message), "\(failure)")
}

// MARK: - Image layers

private let imageDeclarations = """
  seed(4)
  model cnn(48) {
    reshape([3, 4, 4])
    conv2d(4, 3, act: relu)
    maxpool(2, stride: 1)
    conv2d(5, [2, 3], stride: [1, 2], padding: "valid", act: tanh)
    avgpool([2, 1])
    flatten()
    dense(3)
  }
  let x = randn(2, 48)
  """

@Test func savedCNNLoadsWithTheSameLayersParametersAndPredictions() throws {
  let workspace = try Workspace()
  try workspace.run(imageDeclarations)
  try workspace.run(#"save(cnn, "cnn.safetensors")"#)
  try workspace.run(#"let copy = load("cnn.safetensors")"#)
  let original = try workspace.model("cnn")
  let copy = try workspace.model("copy")
  #expect(copy.layerNames == original.layerNames)
  #expect(copy.network.layers.map(\.summary) == original.network.layers.map(\.summary))
  #expect(copy.network.layers.map(\.outputShape) == original.network.layers.map(\.outputShape))
  #expect(copy.network.parameterNames == original.network.parameterNames)
  #expect(copy.network.parameters.shapes == original.network.parameters.shapes)
  #expect(parameters(copy) == parameters(original))
  #expect(try workspace.tensor("copy(x)") == workspace.tensor("cnn(x)"))
  // The description names every image layer's settings.
  let description = ModelDescription.encode(original)
  for field in [#""kind":"conv2d""#, #""padding":"valid""#, #""stride":[1,2]"#,
                #""kind":"maxpool""#, #""kind":"avgpool""#, #""kind":"flatten""#,
                #""kind":"reshape""#, #""shape":[3,4,4]"#] {
    #expect(description.contains(field), "\(field) in \(description)")
  }
}

@Test func hostileImageLayerDescriptionsAreRefusedWithTheField() throws {
  let location = SourceSpan(source: Source(name: "t.nn", text: "x"),
                            range: SourceRange(start: 0, end: 1))
  func failure(_ layer: String) -> String? {
    let text = #"{"name": "m", "input": [1, 8, 8], "layers": ["# + layer + "]}"
    do {
      _ = try ModelDescription.decode(text, at: location)
      return nil
    } catch {
      return error.message
    }
  }
  #expect(failure(#"{"kind": "conv2d", "name": "c", "filters": 0, "kernel": [3, 3], "#
                  + #""stride": [1, 1], "padding": "same"}"#)?.contains("filters") == true)
  #expect(failure(#"{"kind": "conv2d", "name": "c", "filters": 2, "kernel": [3], "#
                  + #""stride": [1, 1], "padding": "same"}"#)?.contains("kernel") == true)
  #expect(failure(#"{"kind": "conv2d", "name": "c", "filters": 2, "kernel": [3, 3], "#
                  + #""stride": [0, 1], "padding": "same"}"#)?.contains("stride") == true)
  #expect(failure(#"{"kind": "conv2d", "name": "c", "filters": 2, "kernel": [3, 3], "#
                  + #""stride": [1, 1], "padding": "full"}"#)?.contains("padding") == true)
  #expect(failure(#"{"kind": "maxpool", "name": "p", "size": [2, 2]}"#)?
    .contains("stride") == true)
  #expect(failure(#"{"kind": "reshape", "name": "r", "shape": [-1, 8]}"#)?
    .contains("shape") == true)
  // Huge sizes are counted without overflow, so the parameter limit refuses them.
  let huge = try ModelDescription.decode(
    #"{"name": "m", "input": [1, 8, 8], "layers": [{"kind": "conv2d", "name": "c", "#
      + #""filters": 268435456, "kernel": [268435456, 268435456], "#
      + #""stride": [1, 1], "padding": "same"}]}"#, at: location)
  #expect(huge.parameterCount == Int.max)
}
