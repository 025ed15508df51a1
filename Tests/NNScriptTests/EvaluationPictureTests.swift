import Foundation
import NNRaster
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import NNScript

/// `roc`, `confusion` and `hist`: their numbers against scikit-learn and NumPy
/// (`Fixtures/roc/roc.json`, from scripts/make_roc_fixtures.py), `roc`'s AUC against
/// `evaluate`'s and `auc`'s, and the structure of their SVG and PNG files. The terminal
/// pictures are golden scripts in `Golden/evaluation_pictures/`.
@Suite("EvaluationPictureTests")
struct EvaluationPictureTests {
  static let fixture: FixtureJSON? = {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/roc/roc.json").path
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return try? JSONDecoder().decode(FixtureJSON.self, from: data)
  }()

  /// The numbers of a tensor or a number the script returned.
  static func numbers(_ value: Value?) -> [Double] {
    switch value {
    case .tensor(let tensor)?: return tensor.scalars.map(Double.init)
    case .number(let x)?: return [x]
    default: return []
    }
  }

  static func record(_ script: String) throws -> Record {
    let value = try Interpreter().evaluate(script)
    guard case .record(let record) = value else {
      Issue.record("not a record: \(value.typeName)")
      return Record()
    }
    return record
  }

  static func close(_ got: [Double], _ expected: [Double], tolerance: Double = 1e-6) -> Bool {
    got.count == expected.count
      && zip(got, expected).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
  }

  // MARK: - Numbers

  @Test("roc's curves, AUC and average precision are scikit-learn's")
  func rocMatchesScikitLearn() throws {
    let cases = try #require(Self.fixture)["roc"].items
    #expect(cases.count == 4)
    for item in cases {
      let predictions = item["predictions"]
      let values = predictions["data"].flat
      let columns = predictions["shape"][1].number
      let rows = stride(from: 0, to: values.count, by: Int(columns)).map {
        "[" + values[$0..<($0 + Int(columns))].map { "\($0)" }.joined(separator: ", ") + "]"
      }
      let labels = item["labels"].flat.map { "\(Int($0))" }.joined(separator: ", ")
      let script = "roc([\(rows.joined(separator: ", "))], [\(labels)], "
        + "class: \(Int(item["class"].number)), plot: false)"
      let record = try Self.record(script)
      let name = item["name"].text
      for field in ["fpr", "tpr", "precision", "recall"] {
        #expect(Self.close(Self.numbers(record[field]), item[field].flat), "\(name): \(field)")
      }
      let thresholds = Self.numbers(record["thresholds"])
      #expect(thresholds.first == .infinity, "\(name): the first threshold is +inf")
      let expected = item["thresholds"].items.dropFirst().map(\.number)
      #expect(Self.close(Array(thresholds.dropFirst()), expected), "\(name): thresholds")
      #expect(Self.close(Self.numbers(record["auc"]), [item["auc"].number]), "\(name): auc")
      #expect(Self.close(Self.numbers(record["average_precision"]),
                         [item["average_precision"].number]), "\(name): average precision")
    }
  }

  @Test("roc's AUC is evaluate's and auc's, for a model and for its predictions")
  func rocAgreesWithEvaluate() throws {
    let script = """
      seed(0)
      let data = moons(n: 120, noise: 0.3, seed: 3)
      let net = model(2) { dense(8, tanh); dense(1, sigmoid) }
      fit(net, data, epochs: 30, optimizer: adam(lr: 0.05), progress: false)
      let wide = model(2) { dense(8, tanh); dense(2) }
      fit(wide, data, epochs: 30, optimizer: adam(lr: 0.05), progress: false)
      let r = roc(net, data, plot: false)
      let w = roc(wide, data, plot: false)
      {one: r.auc, evaluated: evaluate(net, data).auc, metric: auc(net(data.x), data.y),
       two: w.auc, wide_evaluated: evaluate(wide, data).auc,
       wide_metric: roc(wide(data.x), data.y, plot: false).auc}
      """
    let record = try Self.record(script)
    let one = Self.numbers(record["one"])
    #expect(one.count == 1 && one[0] > 0.5 && one[0] < 1)
    #expect(one == Self.numbers(record["evaluated"]))
    #expect(one == Self.numbers(record["metric"]))
    let two = Self.numbers(record["two"])
    #expect(two == Self.numbers(record["wide_evaluated"]))
    #expect(two == Self.numbers(record["wide_metric"]))
  }

  @Test("hist's counts and edges are numpy.histogram's")
  func histogramMatchesNumPy() throws {
    let cases = try #require(Self.fixture)["histograms"].items
    #expect(cases.count == 5)
    for item in cases {
      let values = item["values"].items.map { value -> String in
        switch value.text {
        case "nan": return "0 / 0"
        case "inf": return "1 / 0"
        case "-inf": return "-1 / 0"
        default: return "\(value.number)"
        }
      }
      let range = item["range"].flat
      let rangeArgument = range.isEmpty ? "" : ", range: [\(range[0]), \(range[1])]"
      let script = "hist([\(values.joined(separator: ", "))], bins: \(Int(item["bins"].number))"
        + rangeArgument + ", plot: false)"
      let record = try Self.record(script)
      let name = item["name"].text
      #expect(Self.numbers(record["counts"]) == item["counts"].flat, "\(name): counts")
      // Edges are computed in 64 bits and returned as float32.
      #expect(Self.numbers(record["edges"]) == item["edges"].flat.map { Double(Float($0)) },
              "\(name): edges")
    }
  }

  // MARK: - Pictures

  /// Runs `script` in a fresh folder and returns the bytes of the file it wrote.
  static func written(_ script: String, file: String) throws -> [UInt8] {
    let folder = try TemporaryFolder()
    let output = OutputBuffer()
    let interpreter = Interpreter(options: InterpreterOptions(
      output: { output.append($0) }, workingDirectory: folder.path))
    try interpreter.run(script, name: "pictures.nn")
    #expect(output.text.isEmpty, "writing a file prints nothing")
    return try [UInt8](Data(contentsOf: URL(fileURLWithPath: folder.path + "/" + file)))
  }

  static func count(_ svg: String, _ element: String) -> Int {
    svg.components(separatedBy: "<\(element) ").count - 1
  }

  static let twoClasses = "roc([0.1, 0.4, 0.35, 0.8, 0.7], [0, 0, 1, 1, 0]"

  @Test("roc's SVG holds two charts of two paths each, side by side")
  func rocSVG() throws {
    let bytes = try Self.written(Self.twoClasses + ", file: \"roc.svg\")", file: "roc.svg")
    let svg = String(decoding: bytes, as: UTF8.self)
    #expect(PlotTests.parsesAsXML(Data(bytes)))
    #expect(svg.contains("viewBox=\"0 0 880 420\""))
    #expect(Self.count(svg, "path") == 4, "curve and chance line in each chart")
    #expect(svg.contains("<g class=\"pr\" transform=\"translate(440 0)\">"))
    #expect(svg.contains("ROC, AUC 0.667") && svg.contains("precision–recall, AP "))
    #expect(svg.contains("false positive rate") && svg.contains(">recall</text>"))
  }

  @Test("the confusion heat map has a cell per pair of classes and escaped labels")
  func confusionSVG() throws {
    let script = """
      let c = confusion([[0.9, 0.1, 0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0, 0.1, 0.9]],
                        [0, 1, 1, 2], labels: ["a<b", "c&d", "\\"e\\""])
      plot(c, title: "3 < 4", file: "c.svg")
      """
    let bytes = try Self.written(script, file: "c.svg")
    let svg = String(decoding: bytes, as: UTF8.self)
    #expect(PlotTests.parsesAsXML(Data(bytes)))
    #expect(Self.count(svg, "rect") == 1 + 9, "the background and nine cells")
    #expect(svg.contains("a&lt;b") && svg.contains("c&amp;d") && svg.contains("&quot;e&quot;"))
    #expect(svg.contains("3 &lt; 4"))
    #expect(svg.contains(">predicted</text>") && svg.contains(">true</text>"))
    // The largest count's cell is the darkest colour and its count is written in white.
    #expect(svg.contains("fill=\"#08306b\"") && svg.contains("fill=\"white\">1</text>"))
  }

  @Test("the histogram's SVG has a rectangle per non-empty bin and its caption")
  func histogramSVG() throws {
    let script = "hist([1, 2, 2, 3, 3, 3, 0 / 0], bins: 5, file: \"h.svg\", width: 400, "
      + "height: 300)"
    let bytes = try Self.written(script, file: "h.svg")
    let svg = String(decoding: bytes, as: UTF8.self)
    #expect(PlotTests.parsesAsXML(Data(bytes)))
    #expect(svg.contains("viewBox=\"0 0 400 300\""))
    #expect(Self.count(svg, "rect") == 1 + 3, "the background and bins 1, 3 and 5")
    #expect(svg.contains("6 values in 5 bins of width 0.4; not shown: 1 nan"))
  }

  @Test("each picture writes a PNG of the size asked for", arguments: [
    twoClasses + ", file: \"p.png\", width: 500, height: 240)",
    "plot(confusion([[0.9, 0.1], [0.2, 0.8]], [0, 1]), file: \"p.png\", width: 300, "
      + "height: 200)",
    "hist([1, 2, 2, 3], file: \"p.png\", width: 320, height: 160)",
  ])
  func png(_ script: String) throws {
    let bytes = try Self.written(script, file: "p.png")
    let size = try #require(PNGRaster.size(png: bytes))
    let expected = script.hasPrefix("roc") ? (500, 240) : script.hasPrefix("plot") ? (300, 200)
      : (320, 160)
    #expect(size == expected)
  }

  @Test("the REPL completes a confusion value's members")
  func confusionCompletion() throws {
    let interpreter = Interpreter()
    _ = try interpreter.evaluate("let c = confusion([0.2, 0.9], [0, 1])")
    #expect(interpreter.completions(line: "c.", cursor: 2) == ["c.labels", "c.matrix", "c.n"])
  }

  @Test("a confusion value prints as a table and has its counts and names")
  func confusionValue() throws {
    let value = try Interpreter().evaluate(
      "confusion([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]], [0, 1, 1], labels: [\"no\", \"yes\"])")
    guard case .object(let object) = value, let confusion = object as? ConfusionObject else {
      Issue.record("not a confusion value")
      return
    }
    #expect(confusion.counts == [[1, 0], [1, 1]])
    #expect(confusion.displayText == """
      confusion (rows: true class, columns: predicted)
            no  yes
       no    1    0
      yes    1    1
      """)
  }
}
