import Foundation
import Testing

/// examples/runtime: a Swift program that imports only NNRuntime builds an MLP from layer
/// declarations, trains it on XOR and prints its predictions.
struct RuntimeExampleTests {
  @Test func theRuntimeExampleBuildsTrainsAndRunsANetwork() throws {
    let nn = try NNExecutable.locate()
    let example = nn.url.deletingLastPathComponent().appendingPathComponent("RuntimeExample")
    try #require(FileManager.default.isExecutableFile(atPath: example.path),
                 "RuntimeExample is built beside nn")
    let directory = FileManager.default.temporaryDirectory
    let outcome = try runProgram(example, [], input: nil, environment: [:], in: directory)
    #expect(outcome.status == 0)
    #expect(outcome.errors == "")
    #expect(outcome.output.contains(
      "parameters dense1.weight dense1.bias dense2.weight dense2.bias"))
    // XOR learned: each prediction rounds to its target.
    let expected = ["xor(0, 0)": 0.0, "xor(0, 1)": 1, "xor(1, 0)": 1, "xor(1, 1)": 0]
    for (call, target) in expected {
      let line = outcome.output.split(separator: "\n").first { $0.hasPrefix(call) }
      let value = line.flatMap { Double($0.split(separator: " ").last ?? "") }
      #expect(value.map { abs($0 - target) < 0.2 } == true, "\(call): \(line ?? "missing")")
    }
    let source = try String(contentsOf: URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("examples/runtime/main.swift"), encoding: .utf8)
    #expect(!source.contains("import NNScript"))
  }
}
