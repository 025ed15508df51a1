import Foundation
import Testing

/// examples/embed: the `trainer` host (under 150 lines, documented API only) trains a model on
/// host data through typed host functions, serves it from Swift (layers, predict, evaluate,
/// save), shows diagnostics with their places, and cancels a run through its Task.
struct EmbedExampleTests {
  @Test func theTrainerHostTrainsServesAndCancels() throws {
    let nn = try NNExecutable.locate()
    let example = nn.url.deletingLastPathComponent().appendingPathComponent("EmbedExample")
    try #require(FileManager.default.isExecutableFile(atPath: example.path),
                 "EmbedExample is built beside nn")
    let directory = FileManager.default.temporaryDirectory
    let outcome = try runProgram(example, [], input: nil, environment: [:], in: directory)
    #expect(outcome.status == 0)
    #expect(outcome.errors == "")
    let lines = outcome.output.split(separator: "\n").map(String.init)
    #expect(lines.contains { $0.hasPrefix("script said: trained <model net: 2 → dense(16, tanh)") })
    #expect(lines.contains("epochs: 40, last loss 0.001334, accuracy 1")
              || lines.contains { $0.hasPrefix("epochs: 40, last loss ") })
    #expect(lines.contains("layer dense3: dense(1, sigmoid) → [1]  dense3.weight [1, 16], "
                             + "dense3.bias [1]"))
    #expect(lines.contains { $0.hasPrefix("predict([[0, 1], [1, -0.5]]) = [") })
    #expect(lines.contains("setParameter: net.dense3.bias has shape [1]; the new value has "
                             + "shape [2]"))
    #expect(lines.contains("saved net.safetensors: true"))
    #expect(lines.contains("mistake.nn:1:16: the argument 'n' of sensor_data must be a whole "
                             + "number, but this is a string"))
    #expect(lines.contains { $0.hasPrefix("mistake.nn:1:1: file access is not allowed") })
    // How soon is measured and printed, not tested: a loaded machine may take longer.
    #expect(lines.contains { $0.hasPrefix("cancelled (interrupted) after ") })
    #expect(lines.last == "next run: after the cancel")
    let source = try String(contentsOf: URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("examples/embed/main.swift"), encoding: .utf8)
    #expect(source.split(separator: "\n", omittingEmptySubsequences: false).count < 150)
  }
}
