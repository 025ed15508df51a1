import Foundation
import NNRuntime
import Testing

@testable import NNScript

// A PyTorch module's weights load into the nn layer of the same configuration and give
// PyTorch's outputs: Fixtures/torch/<case>.safetensors holds the state_dict of a float32
// torch.nn.MultiheadAttention or TransformerEncoderLayer (names prefixed with the nn layer's,
// `attention1.` or `transformer1.`), and outputs.json the module's output for an input, both
// written by scripts/make_attention_fixtures.py. The test loads each file with the language's
// own `load(path, into: m)` and runs `m(x)` in a script. Going the other way needs nothing more:
// `save` writes the same names, shapes and dtype (checked below), so a PyTorch
// `load_state_dict` of the file, prefix stripped, reads exactly these tensors.

private struct TorchOutputCase: Decodable, Sendable, CustomStringConvertible {
  var name: String
  var kind: String
  var features: Int
  var heads: Int
  var causal: Bool
  var hidden: Int?
  var normFirst: Bool?
  var act: String?
  var input: TorchTensor
  var output: TorchTensor
  var description: String { name }

  enum CodingKeys: String, CodingKey {
    case name, kind, features, heads, causal, hidden, act, input, output
    case normFirst = "norm_first"
  }

  /// The layer as a script declares it.
  var layerSource: String {
    if kind == "attention" { return "attention(\(heads), causal: \(causal))" }
    return "transformer(\(heads), \(hidden ?? 0), causal: \(causal), "
      + "norm_first: \(normFirst ?? false), act: \(act ?? "relu"))"
  }
}

private struct TorchTensor: Decodable, Sendable {
  var shape: [Int]
  var data: [Double]
}

private let torchFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .appendingPathComponent("Fixtures/torch")

private let torchCases: [TorchOutputCase] = {
  struct File: Decodable { var cases: [TorchOutputCase] }
  let url = torchFixtures.appendingPathComponent("outputs.json")
  guard let data = try? Data(contentsOf: url),
    let file = try? JSONDecoder().decode(File.self, from: data)
  else { fatalError("cannot read \(url.path)") }
  return file.cases
}()

private func literal(_ tensor: TorchTensor) -> String {
  "reshape([" + tensor.data.map { "\($0)" }.joined(separator: ", ") + "], "
    + "[" + tensor.shape.map(String.init).joined(separator: ", ") + "])"
}

@Test(arguments: torchCases)
fileprivate func pyTorchWeightsLoadIntoTheLayerAndGiveItsOutputs(_ c: TorchOutputCase) throws {
  let interpreter = Interpreter()
  let path = torchFixtures.appendingPathComponent(c.name + ".safetensors").path
  let time = c.input.shape[1]
  let output = try interpreter.evaluate("""
    let m = model([\(time), \(c.features)]) { \(c.layerSource) }
    load("\(path)", into: m)
    m(\(literal(c.input)))
    """)
  guard case .tensor(let actual) = output else {
    Issue.record("m(x) gave \(output)")
    return
  }
  #expect(actual.shape == c.output.shape)
  let worst = zip(actual.scalars, c.output.data).map { Swift.abs(Double($0) - $1) }.max() ?? 0
  #expect(worst <= 1e-5, "\(c.name): largest difference from PyTorch \(worst)")
}

@Test func savedAttentionWeightsHaveTheNamesShapesAndTypePyTorchLoads() throws {
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("nn-torch-names-\(getpid())")
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: directory) }
  let mine = directory.appendingPathComponent("mine.safetensors").path
  let interpreter = Interpreter()
  try interpreter.run("""
    save(model([5, 8]) { transformer(4, 12, causal: true, norm_first: true, act: gelu) }, "\(mine)")
    """, name: "save.nn")
  let theirs = torchFixtures.appendingPathComponent(
    "transformer_pre_norm_gelu_causal.safetensors").path
  func header(_ path: String) throws -> [String: [String]] {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let file = try SafeTensorsFile(bytes: bytes)
    return Dictionary(uniqueKeysWithValues: file.entries.map {
      ($0.name, [$0.dtype.rawValue, $0.shape.map(String.init).joined(separator: "x")])
    })
  }
  #expect(try header(mine) == header(theirs))
}
