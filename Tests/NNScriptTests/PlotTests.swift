import Foundation
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import NNScript

/// `plot(..., file:)` writes SVG: compared byte for byte with `Golden/plots/expected/<name>.svg`
/// (re-recorded with `NN_RECORD_GOLDEN=1`, like the golden scripts) and parsed as XML.
/// The terminal charts are covered by the golden scripts in `Golden/plots/`.
@Suite("PlotTests")
struct PlotTests {
  static let expectedFolder = Golden.root + "/plots/expected"

  static let svgCases: [(name: String, script: String)] = [
    ("two_series_with_legend", """
      let loss = [2.3, 1.5, 1.1, 0.9, 0.75, 0.66, 0.6, 0.55, 0.52, 0.5, 0.49, 0.47]
      let val_loss = [2.4, 1.7, 1.3, 1.1, 1.0, 0.95, 0.93, 0.92, 0.93, 0.95, 0.97, 1.0]
      plot(loss, val_loss, title: "loss", labels: ["loss", "val_loss"], xlabel: "epoch",
           ylabel: "cross-entropy", file: "two_series_with_legend.svg")
      """),
    ("gaps_and_escaped_text", """
      let nan = 0 / 0
      plot([2, 1.8, nan, 1.2, 1, 0.9, nan, 0.7, nan, -0.6, -0.8], [0.1, 0.4, 0.5, 0.6],
           [1, 1, 1], [0.5], title: "a < b & \\"c\\" > 'd'",
           labels: ["gappy", "<short>", "flat & wide", "one point"],
           width: 480, height: 300, file: "gaps_and_escaped_text.svg")
      """),
    ("one_series_with_x_positions", """
      plot([0.00001, 0.00004, 0.00002], x: [0.1, 0.2, 0.35],
           file: "one_series_with_x_positions.svg")
      """),
  ]

  @Test("plot writes the expected SVG", arguments: svgCases.map(\.name))
  func svgMatchesExpected(_ name: String) throws {
    let script = try #require(Self.svgCases.first { $0.name == name }).script
    let folder = try TemporaryFolder()
    let output = OutputBuffer()
    let interpreter = Interpreter(options: InterpreterOptions(
      output: { output.append($0) }, workingDirectory: folder.path))
    try interpreter.run(script, name: "plot.nn")
    #expect(output.text.isEmpty, "writing a file prints nothing")
    let written = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/\(name).svg"))
    #expect(Self.parsesAsXML(written))
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["\(name).svg"],
            "no temporary file is left behind")
    let expectedPath = Self.expectedFolder + "/\(name).svg"
    if ProcessInfo.processInfo.environment["NN_RECORD_GOLDEN"] != nil {
      try FileManager.default.createDirectory(
        atPath: Self.expectedFolder, withIntermediateDirectories: true)
      try written.write(to: URL(fileURLWithPath: expectedPath))
      return
    }
    let expected = try Data(contentsOf: URL(fileURLWithPath: expectedPath))
    #expect(written == expected, "\(name).svg differs from \(expectedPath)")
  }

  @Test("an SVG holds one path per series, the palette's colours and the escaped text")
  func svgContents() throws {
    let chart = Chart(
      series: [
        ChartSeries(label: "a&b", xs: [1, 2, 3], ys: [1, 2, 3]),
        ChartSeries(label: "c", xs: [1, 2, 3], ys: [3, .nan, 1]),
      ],
      title: "<t>", xLabel: nil, yLabel: nil, integerX: true)
    let svg = SVGChart(chart: chart, width: 640, height: 400).render()
    #expect(svg.contains("viewBox=\"0 0 640 400\""))
    #expect(svg.components(separatedBy: "<path ").count - 1 == 1, "series 2 is two lone points")
    #expect(svg.components(separatedBy: "<circle ").count - 1 == 2)
    #expect(svg.contains(SVGChart.palette[0]) && svg.contains(SVGChart.palette[1]))
    #expect(svg.contains("&lt;t&gt;") && svg.contains("a&amp;b"))
    #expect(Self.parsesAsXML(Data(svg.utf8)))
  }

  @Test("a relative file is written in the working directory, not beside the script")
  func relativeToWorkingDirectory() throws {
    let folder = try TemporaryFolder()
    try FileManager.default.createDirectory(
      atPath: folder.path + "/sub", withIntermediateDirectories: true)
    try "plot([1, 2, 3], file: \"out.svg\")\n".write(
      toFile: folder.path + "/sub/script.nn", atomically: true, encoding: .utf8)
    let interpreter = Interpreter(options: InterpreterOptions(workingDirectory: folder.path))
    try interpreter.runFile("sub/script.nn")
    #expect(FileManager.default.fileExists(atPath: folder.path + "/out.svg"))
    #expect(!FileManager.default.fileExists(atPath: folder.path + "/sub/out.svg"))
  }

  // MARK: - Atomic writes

  @Test("writeAtomically replaces a file and leaves no temporary file")
  func atomicWriteReplaces() throws {
    let folder = try TemporaryFolder()
    let path = folder.path + "/data.bin"
    try "old contents".write(toFile: path, atomically: false, encoding: .utf8)
    let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
    let result = FileAccess.writeAtomically(path, bytes)
    #expect((try? result.get()) != nil)
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["data.bin"])
  }

  @Test("writeAtomically fails with a reason, touching nothing")
  func atomicWriteFailures() throws {
    let folder = try TemporaryFolder()
    let missing = FileAccess.writeAtomically(folder.path + "/no/such/file", [1, 2, 3])
    #expect(Self.reason(missing) == "No such file or directory")
    let directory = FileAccess.writeAtomically(folder.path, [1])
    #expect(Self.reason(directory) == "it is a directory")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
  }

  // MARK: - Ticks

  @Test("ticks are round numbers in steps of 1, 2 or 5")
  func niceTicks() {
    let loss = Ticks.scale(lower: 0.47, upper: 2.4, maximum: 6, loose: true)
    #expect(loss.labels == ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5"])
    #expect(loss.lower == 0 && loss.upper == 2.5)
    let epochs = Ticks.scale(lower: 1, upper: 100, maximum: 6, loose: false, integers: true)
    #expect(epochs.labels == ["20", "40", "60", "80", "100"])
    #expect(epochs.lower == 1 && epochs.upper == 100)
    let few = Ticks.scale(lower: 1, upper: 3, maximum: 6, loose: false, integers: true)
    #expect(few.labels == ["1", "2", "3"])
    let tenths = Ticks.scale(lower: 0.1, upper: 0.7, maximum: 8, loose: true)
    #expect(tenths.labels == ["0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"])
    let negative = Ticks.scale(lower: -0.03, upper: 0.01, maximum: 6, loose: true)
    #expect(negative.labels == ["-0.03", "-0.02", "-0.01", "0.00", "0.01"])
  }

  @Test("very large and very small ticks use exponents")
  func exponentTicks() {
    #expect(Ticks.scale(lower: 1e6, upper: 3e6, maximum: 3, loose: true).labels
      == ["1e6", "2e6", "3e6"])
    #expect(Ticks.scale(lower: 1e-5, upper: 4e-5, maximum: 3, loose: true).labels
      == ["0", "2e-5", "4e-5"])
    #expect(Ticks.scientific(-15, 5) == "-1.5e6")
    #expect(Ticks.positional(-5, -3) == "-0.005")
  }

  @Test("a flat range is widened so it can be drawn")
  func flatRange() {
    let scale = Ticks.scale(lower: 5, upper: 5, maximum: 6, loose: true)
    #expect(scale.lower < 5 && scale.upper > 5 && scale.ticks.contains(5))
    let zero = Ticks.scale(lower: 0, upper: 0, maximum: 6, loose: true)
    #expect(zero.labels == ["-1.0", "-0.5", "0.0", "0.5", "1.0"])
  }

  // MARK: - Helpers

  static func reason(_ result: Result<Void, FileAccess.WriteFailure>) -> String? {
    if case .failure(let failure) = result { return failure.reason }
    return nil
  }

  static func parsesAsXML(_ data: Data) -> Bool {
    XMLParser(data: data).parse()
  }
}

/// A fresh folder under the system's temporary folder, removed when the value goes away.
final class TemporaryFolder {
  let path: String

  init() throws {
    path = NSTemporaryDirectory() + "nn-plot-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }
}
