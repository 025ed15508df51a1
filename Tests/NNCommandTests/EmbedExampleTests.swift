import Foundation
import Testing

/// examples/embed: a Swift host of under twenty lines registers a data source, runs a script
/// that trains on it, and reads the trained weights back as `[Float]`.
struct EmbedExampleTests {
  @Test func theExampleHostTrainsAndReadsWeightsBack() throws {
    let nn = try NNExecutable.locate()
    let example = nn.url.deletingLastPathComponent().appendingPathComponent("EmbedExample")
    try #require(FileManager.default.isExecutableFile(atPath: example.path),
                 "EmbedExample is built beside nn")
    let directory = FileManager.default.temporaryDirectory
    let outcome = try runProgram(example, [], input: nil, environment: [:], in: directory)
    #expect(outcome.status == 0)
    #expect(outcome.errors == "")
    // XOR learned: outputs near 0, 1, 1, 0.
    #expect(outcome.output.contains("predictions [[0.00"))
    let weights = outcome.output.split(separator: "\n").last { $0.hasPrefix("dense2.weight") }
    let values = weights?.split(separator: "[").last?.dropLast().split(separator: ",")
      .compactMap { Float($0.trimmingCharacters(in: .whitespaces)) } ?? []
    #expect(values.count == 8)
    let source = try String(contentsOf: URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("examples/embed/main.swift"), encoding: .utf8)
    #expect(source.split(separator: "\n").count < 20)
  }
}
