import Foundation
import NNRuntime
import Testing

@testable import NNScript

// Models, losses, `grad`, `step`, `trace` and the optimizers against reference numbers that
// scripts/make_network_fixtures.py computed twice in float64 — NumPy with the backprop formulas
// written out, and PyTorch autograd with torch.optim — and wrote to Fixtures/networks.json.
// Each test runs a small .nn program built from the fixture's inputs and compares what it
// returns, with the tolerance the fixture gives for that section.

// MARK: - The fixture

/// The decoded fixture: JSON numbers, strings, arrays and objects.
indirect enum FixtureJSON: Decodable, Sendable {
  case number(Double)
  case string(String)
  case bool(Bool)
  case array([FixtureJSON])
  case object([String: FixtureJSON])
  case null

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let number = try? container.decode(Double.self) {
      self = .number(number)
    } else if let text = try? container.decode(String.self) {
      self = .string(text)
    } else if let flag = try? container.decode(Bool.self) {
      self = .bool(flag)
    } else if let items = try? container.decode([FixtureJSON].self) {
      self = .array(items)
    } else {
      self = .object(try container.decode([String: FixtureJSON].self))
    }
  }

  subscript(key: String) -> FixtureJSON {
    if case .object(let fields) = self, let value = fields[key] { return value }
    return .null
  }

  subscript(index: Int) -> FixtureJSON {
    if case .array(let items) = self, items.indices.contains(index) { return items[index] }
    return .null
  }

  var items: [FixtureJSON] {
    if case .array(let items) = self { return items }
    return []
  }

  var number: Double {
    if case .number(let value) = self { return value }
    return .nan
  }

  var text: String {
    if case .string(let value) = self { return value }
    return ""
  }

  /// Every number, row-major.
  var flat: [Double] {
    switch self {
    case .number(let value): return [value]
    case .array(let items): return items.flatMap(\.flat)
    default: return []
    }
  }

  /// The shape of a nested numeric array (`[]` for a number).
  var shape: [Int] {
    guard case .array(let items) = self else { return [] }
    return [items.count] + (items.first?.shape ?? [])
  }

  /// The value as an nn literal: `0.5`, `[0.1, 0.2]`, `[[1.0, 2.0]]`.
  var literal: String {
    switch self {
    case .number(let value): return "\(value)"
    case .array(let items): return "[" + items.map(\.literal).joined(separator: ", ") + "]"
    default: return "nil"
    }
  }
}

enum NetworkFixture {
  static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures").appendingPathComponent("networks.json").path

  static func load() throws -> FixtureJSON {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return try JSONDecoder().decode(FixtureJSON.self, from: data)
  }

  /// `model name(inputs) { dense(units, act, weight: …, bias: …) … }` for a fixture's layers
  /// (each with `weight`, `bias` and optionally `activation`).
  static func model(_ name: String, layers: [FixtureJSON], extra: [String] = []) -> String {
    let inputs = layers.first?["weight"].shape.last ?? 0
    var lines = ["model \(name)(\(inputs)) {"]
    for layer in layers {
      let units = layer["weight"].shape.first ?? 0
      var arguments = ["\(units)"]
      if case .string(let activation) = layer["activation"] { arguments.append(activation) }
      arguments.append("weight: \(layer["weight"].literal)")
      arguments.append("bias: \(layer["bias"].literal)")
      lines.append("  dense(\(arguments.joined(separator: ", ")))")
    }
    lines += extra.map { "  \($0)" }
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }
}

/// `|actual − expected| ≤ rtol·|expected| + atol`, as the fixture gives it per section.
struct Tolerance {
  var rtol: Double
  var atol: Double

  init(_ json: FixtureJSON) {
    rtol = json["rtol"].number
    atol = json["atol"].number
  }

  func accepts(_ actual: Double, _ expected: Double) -> Bool {
    abs(actual - expected) <= rtol * abs(expected) + atol
  }
}

// MARK: - Running programs

struct ProgramFailed: Error, CustomStringConvertible {
  var description: String
}

/// One interpreter whose global state carries over from one `evaluate` to the next.
private final class Session {
  let printed = OutputBuffer()
  let interpreter: Interpreter

  init() {
    let printed = self.printed
    interpreter = Interpreter(options: InterpreterOptions(output: { printed.append($0) }))
  }

  /// The value of the program's last statement; a failure throws its rendered diagnostic.
  @discardableResult
  func evaluate(_ source: String) throws -> Value {
    do {
      return try interpreter.evaluate(source, name: "fixture.nn")
    } catch {
      throw ProgramFailed(description: "\(error.rendered(color: false))\nin:\n\(source)")
    }
  }
}

/// `value.a.b.c` through records.
private func member(_ value: Value?, _ path: String) -> Value? {
  var current = value
  for name in path.split(separator: ".") {
    guard case .record(let record)? = current else { return nil }
    current = record[String(name)]
  }
  return current
}

/// Compares a number or tensor with the fixture's numbers; `shape` also requires the tensor's
/// shape to be the fixture array's shape (otherwise only the elements and their count count,
/// so a batch of one may come back as `[2]` or `[1, 2]`).
private func expectClose(
  _ actual: Value?, _ expected: FixtureJSON, _ tolerance: Tolerance, _ label: String,
  shape: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
) {
  let want = expected.flat
  let got: [Double]
  switch actual {
  case .number(let value)?:
    got = [value]
  case .tensor(let tensor)?:
    got = tensor.scalars.map { Double($0) }
    if shape {
      #expect(tensor.shape == expected.shape, "\(label): shape", sourceLocation: sourceLocation)
    }
  case let other?:
    Issue.record(
      "\(label): expected numbers, got a \(other.typeName)",
      sourceLocation: sourceLocation)
    return
  case nil:
    Issue.record("\(label): missing", sourceLocation: sourceLocation)
    return
  }
  guard !want.isEmpty, got.count == want.count else {
    Issue.record(
      "\(label): \(got.count) numbers, expected \(want.count)",
      sourceLocation: sourceLocation)
    return
  }
  let wrong = zip(got, want).enumerated().filter { !tolerance.accepts($0.element.0, $0.element.1) }
  if !wrong.isEmpty {
    let shown = wrong.prefix(4).map { "[\($0.offset)] \($0.element.0) vs \($0.element.1)" }
    let summary = "\(wrong.count) of \(want.count) differ: \(shown.joined(separator: "; "))"
    Issue.record("\(label): \(summary)", sourceLocation: sourceLocation)
  }
}

/// Every test of this file, so that `swift test --filter NetworkFixtureTests` runs them all.
@Suite("network fixtures")
struct NetworkFixtureTests {}

// MARK: - a. The seed's worked example: one step through a 2-2-2-2 sigmoid network

extension NetworkFixtureTests {
  @Suite("seed network (the worked example)")
  struct SeedNetwork {
    let fixture: FixtureJSON
    let tolerance: Tolerance
    let model: String

    init() throws {
      fixture = try NetworkFixture.load()["seed_network"]
      tolerance = Tolerance(fixture["tolerance"])
      model = NetworkFixture.model("seed_net", layers: fixture["layers"].items)
    }

    @Test("the model is declared as LANGUAGE.md §1 writes it")
    func declaration() {
      let first = "dense(2, sigmoid, weight: [[0.1, 0.2], [0.3, 0.4]], bias: [0.1, 0.2])"
      #expect(model.contains(first))
    }

    @Test("forward pass, as a batch of one and as a single row")
    func forward() throws {
      let session = Session()
      try session.evaluate(model)
      let expected = fixture["sse"]["output"]
      expectClose(
        try session.evaluate("seed_net([[1, 2]])"), expected, tolerance, "batch",
        shape: true)
      expectClose(try session.evaluate("seed_net([1, 2])"), expected, tolerance, "row")
    }

    @Test("parameters read back as declared")
    func parameters() throws {
      let session = Session()
      try session.evaluate(model)
      let params = try session.evaluate("seed_net.params")
      for layer in fixture["layers"].items {
        let name = layer["name"].text
        expectClose(
          try session.evaluate("seed_net.\(name).weight"), layer["weight"], tolerance,
          "\(name).weight", shape: true)
        expectClose(
          try session.evaluate("seed_net.\(name).bias"), layer["bias"], tolerance,
          "\(name).bias", shape: true)
        expectClose(
          member(params, "\(name).weight"), layer["weight"], tolerance,
          "params.\(name).weight", shape: true)
        expectClose(
          member(params, "\(name).bias"), layer["bias"], tolerance,
          "params.\(name).bias", shape: true)
      }
    }

    @Test("grad gives the loss and ∂L/∂W, ∂L/∂b of every layer", arguments: ["sse", "mse"])
    func gradient(loss: String) throws {
      let session = Session()
      try session.evaluate(model)
      let g = try session.evaluate("grad(seed_net, [[1, 2]], [[3, 4]], loss: \(loss))")
      let expected = fixture[loss]
      expectClose(member(g, "loss"), expected["loss"], tolerance, "g.loss")
      for layer in expected["layers"].items {
        let name = layer["name"].text
        expectClose(
          member(g, "\(name).weight"), layer["dweight"], tolerance,
          "g.\(name).weight", shape: true)
        expectClose(
          member(g, "\(name).bias"), layer["dbias"], tolerance, "g.\(name).bias",
          shape: true)
      }
    }

    @Test(
      "trace returns z, a, δ, ∂L/∂W, ∂L/∂b and the stepped weights", arguments: ["sse", "mse"])
    func trace(loss: String) throws {
      let session = Session()
      try session.evaluate(model)
      let t = try session.evaluate("trace(seed_net, [1, 2], [3, 4], loss: \(loss), lr: 0.1)")
      checkTrace(t, fixture[loss], tolerance)
      #expect(session.printed.text.contains("dense1"), "trace prints its table")
    }

    @Test("trace leaves the model alone unless apply: true")
    func traceApply() throws {
      let session = Session()
      try session.evaluate(model)
      let expected = fixture["sse"]
      let first = try session.evaluate("trace(seed_net, [1, 2], [3, 4], loss: sse, lr: 0.1)")
      for layer in fixture["layers"].items {
        let name = layer["name"].text
        expectClose(
          try session.evaluate("seed_net.\(name).weight"), layer["weight"], tolerance,
          "\(name).weight after trace", shape: true)
        expectClose(
          try session.evaluate("seed_net.\(name).bias"), layer["bias"], tolerance,
          "\(name).bias after trace", shape: true)
      }
      checkTrace(first, expected, tolerance)
      let applied = try session.evaluate(
        "trace(seed_net, [1, 2], [3, 4], loss: sse, lr: 0.1, apply: true)")
      checkTrace(applied, expected, tolerance)
      for layer in expected["layers"].items {
        let name = layer["name"].text
        expectClose(
          try session.evaluate("seed_net.\(name).weight"), layer["weight"], tolerance,
          "\(name).weight after apply", shape: true)
        expectClose(
          try session.evaluate("seed_net.\(name).bias"), layer["bias"], tolerance,
          "\(name).bias after apply", shape: true)
      }
    }

    @Test("grad then step with sgd(lr: 0.1) lands on trace's weights")
    func stepMatchesTrace() throws {
      let session = Session()
      try session.evaluate(model)
      try session.evaluate(
        """
        let opt = sgd(lr: 0.1)
        step(seed_net, opt, grad(seed_net, [[1, 2]], [[3, 4]], loss: sse))
        """)
      for layer in fixture["sse"]["layers"].items {
        let name = layer["name"].text
        expectClose(
          try session.evaluate("seed_net.\(name).weight"), layer["weight"], tolerance,
          "\(name).weight", shape: true)
        expectClose(
          try session.evaluate("seed_net.\(name).bias"), layer["bias"], tolerance,
          "\(name).bias", shape: true)
      }
    }
  }
}

/// Every field of a `trace` record against one loss's entry of a fixture section.
private func checkTrace(
  _ t: Value, _ expected: FixtureJSON, _ tolerance: Tolerance,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  expectClose(
    member(t, "loss"), expected["loss"], tolerance, "t.loss",
    sourceLocation: sourceLocation)
  expectClose(
    member(t, "output"), expected["output"], tolerance, "t.output",
    sourceLocation: sourceLocation)
  for layer in expected["layers"].items {
    let name = layer["name"].text
    for key in ["z", "a", "delta"] {
      expectClose(
        member(t, "\(name).\(key)"), layer[key], tolerance, "t.\(name).\(key)",
        sourceLocation: sourceLocation)
    }
    for key in ["dweight", "dbias", "weight", "bias"] {
      expectClose(
        member(t, "\(name).\(key)"), layer[key], tolerance, "t.\(name).\(key)",
        shape: true, sourceLocation: sourceLocation)
    }
  }
}

// MARK: - A batch of four rows through dense(4, tanh) → dense(2, sigmoid)

extension NetworkFixtureTests {
  @Suite("batch network: trace and grad over four rows")
  struct BatchTrace {
    @Test("trace over a batch sums ∂L/∂b over the rows", arguments: ["sse", "mse"])
    func trace(loss: String) throws {
      let fixture = try NetworkFixture.load()["batch_trace"]
      let tolerance = Tolerance(fixture["tolerance"])
      let session = Session()
      try session.evaluate(NetworkFixture.model("net", layers: fixture["layers"].items))
      try session.evaluate("let x = \(fixture["x"].literal)\nlet y = \(fixture["y"].literal)")
      let t = try session.evaluate("trace(net, x, y, loss: \(loss), lr: \(fixture["lr"].literal))")
      checkTrace(t, fixture[loss], tolerance)
      expectClose(
        try session.evaluate("net(x)"), fixture[loss]["output"], tolerance, "net(x)",
        shape: true)
      let g = try session.evaluate("grad(net, x, y, loss: \(loss))")
      expectClose(member(g, "loss"), fixture[loss]["loss"], tolerance, "g.loss")
      for layer in fixture[loss]["layers"].items {
        let name = layer["name"].text
        expectClose(
          member(g, "\(name).weight"), layer["dweight"], tolerance,
          "g.\(name).weight", shape: true)
        expectClose(
          member(g, "\(name).bias"), layer["dbias"], tolerance, "g.\(name).bias",
          shape: true)
      }
    }
  }
}

// MARK: - b. The seed's linear regression, in the language

extension NetworkFixtureTests {
  @Test("linear regression of y = x² by full-batch gradient descent")
  func linearRegression() throws {
    let fixture = try NetworkFixture.load()["linear_regression"]
    let tolerance = Tolerance(fixture["tolerance"])
    let lossTolerance = Tolerance(fixture["loss_tolerance"])
    let session = Session()
    let layer = "dense(1, weight: \(fixture["weight"].literal), bias: \(fixture["bias"].literal))"
    try session.evaluate(
      """
      let x = \(fixture["x"].literal)
      let y = \(fixture["y"].literal)
      model line(1) { \(layer) }
      let opt = sgd(lr: \(fixture["lr"].literal))
      let last = 0
      """)
    expectClose(
      try session.evaluate("grad(line, x, y, loss: mse).loss"), fixture["initial_loss"],
      lossTolerance, "initial loss")
    var done = 0
    for snapshot in fixture["snapshots"].items {
      let epochs = Int(snapshot["epochs"].number)
      try session.evaluate(
        """
        for e in 0..<\(epochs - done) {
          let g = grad(line, x, y, loss: mse)
          last = g.loss
          step(line, opt, g)
        }
        """)
      done = epochs
      expectClose(
        try session.evaluate("line.dense1.weight"), snapshot["weight"], tolerance,
        "weight after \(epochs)", shape: true)
      expectClose(
        try session.evaluate("line.dense1.bias"), snapshot["bias"], tolerance,
        "bias after \(epochs)", shape: true)
      expectClose(
        try session.evaluate("grad(line, x, y, loss: mse).loss"), snapshot["loss"],
        lossTolerance, "loss after \(epochs)")
      expectClose(
        try session.evaluate("mean((line(x) - y) ^ 2)"), snapshot["loss"],
        lossTolerance, "mean((line(x) - y) ^ 2) after \(epochs)")
      expectClose(
        try session.evaluate("last"), snapshot["step_loss"], lossTolerance,
        "g.loss of step \(epochs)")
    }
    expectClose(
      try session.evaluate("line.dense1.weight"), fixture["limit"]["weight"], tolerance,
      "W → 4")
    expectClose(
      try session.evaluate("line.dense1.bias"), fixture["limit"]["bias"], tolerance,
      "b → −2")
  }
}

// MARK: - c. Every optimizer, 100 steps on the batch network

/// The names of the fixture's optimizer runs (listed here so that a run missing from the
/// fixture fails instead of vanishing).
let optimizerRuns = [
  "sgd", "sgd_sse", "sgd_momentum", "sgd_nesterov", "sgd_weight_decay", "adam", "adamw",
  "rmsprop", "rmsprop_momentum", "adagrad",
]

extension NetworkFixtureTests {
  @Test("100 steps of grad and step match torch.optim", arguments: optimizerRuns)
  func optimizer(name: String) throws {
    let fixture = try NetworkFixture.load()["optimizers"]
    let tolerance = Tolerance(fixture["tolerance"])
    let lossTolerance = Tolerance(fixture["loss_tolerance"])
    guard let run = fixture["runs"].items.first(where: { $0["name"].text == name }) else {
      Issue.record("no run \(name) in the fixture")
      return
    }
    let initial = fixture["initial"]
    let layers: [FixtureJSON] = [
      .object([
        "weight": initial["dense1"]["weight"], "bias": initial["dense1"]["bias"],
        "activation": .string("tanh"),
      ]),
      .object([
        "weight": initial["dense2"]["weight"], "bias": initial["dense2"]["bias"],
        "activation": .string("sigmoid"),
      ]),
    ]
    let loss = run["loss"].text
    let steps = Int(fixture["steps"].number)
    let session = Session()
    try session.evaluate(NetworkFixture.model("net", layers: layers))
    try session.evaluate(
      """
      let x = \(fixture["x"].literal)
      let y = \(fixture["y"].literal)
      let opt = \(run["optimizer"].text)
      """)
    let first = try session.evaluate(
      """
      let g = grad(net, x, y, loss: \(loss))
      step(net, opt, g)
      g.loss
      """)
    expectClose(first, run["loss_initial"], lossTolerance, "\(name): loss before step 1")
    expectClose(
      try session.evaluate("grad(net, x, y, loss: \(loss)).loss"), run["loss_after_1"],
      lossTolerance, "\(name): loss after step 1")
    try session.evaluate(
      "for i in 0..<\(steps - 1) { step(net, opt, grad(net, x, y, loss: \(loss))) }")
    expectClose(
      try session.evaluate("grad(net, x, y, loss: \(loss)).loss"),
      run["loss_after_100"], lossTolerance, "\(name): loss after step \(steps)")
    let params = try session.evaluate("net.params")
    for layer in ["dense1", "dense2"] {
      for key in ["weight", "bias"] {
        expectClose(
          member(params, "\(layer).\(key)"), run["params"][layer][key], tolerance,
          "\(name): \(layer).\(key)", shape: true)
      }
    }
  }
}

// MARK: - d. Cross-entropy (logits, fused softmax; indices and one-hot) and bce

extension NetworkFixtureTests {
  @Suite("classification losses")
  struct ClassificationLosses {
    /// Targets as class indices and as the equivalent one-hot rows.
    static let targets = ["classes", "onehot"]

    /// The three ways to end the network: logits, a softmax layer, and softmax as dense's act.
    static let endings = ["logits", "softmax_layer", "softmax_act"]

    @Test(
      "cross_entropy: loss and gradients",
      arguments: ClassificationLosses.endings, ClassificationLosses.targets)
    func crossEntropy(ending: String, target: String) throws {
      let fixture = try NetworkFixture.load()["cross_entropy"]
      let tolerance = Tolerance(fixture["tolerance"])
      let weight = fixture["weight"].literal
      let bias = fixture["bias"].literal
      let body: String
      switch ending {
      case "logits": body = "dense(3, weight: \(weight), bias: \(bias))"
      case "softmax_layer": body = "dense(3, weight: \(weight), bias: \(bias))\n  softmax"
      default: body = "dense(3, softmax, weight: \(weight), bias: \(bias))"
      }
      let session = Session()
      try session.evaluate(
        """
        model net(3) {
          \(body)
        }
        let x = \(fixture["x"].literal)
        let y = \(fixture[target].literal)
        """)
      let output = ending == "logits" ? fixture["logits"] : fixture["probabilities"]
      expectClose(try session.evaluate("net(x)"), output, tolerance, "net(x)", shape: true)
      let g = try session.evaluate("grad(net, x, y, loss: cross_entropy)")
      expectClose(member(g, "loss"), fixture["loss"], tolerance, "g.loss")
      expectClose(
        member(g, "dense1.weight"), fixture["dweight"], tolerance, "g.dense1.weight",
        shape: true)
      expectClose(
        member(g, "dense1.bias"), fixture["dbias"], tolerance, "g.dense1.bias",
        shape: true)
    }

    @Test("bce with a final sigmoid: loss and gradients")
    func binaryCrossEntropy() throws {
      let fixture = try NetworkFixture.load()["bce"]
      let tolerance = Tolerance(fixture["tolerance"])
      let session = Session()
      try session.evaluate(
        """
        model net(3) {
          dense(1, sigmoid, weight: \(fixture["weight"].literal), bias: \(fixture["bias"].literal))
        }
        let x = \(fixture["x"].literal)
        let y = \(fixture["y"].literal)
        """)
      expectClose(
        try session.evaluate("net(x)"), fixture["output"], tolerance, "net(x)",
        shape: true)
      let g = try session.evaluate("grad(net, x, y, loss: bce)")
      expectClose(member(g, "loss"), fixture["loss"], tolerance, "g.loss")
      expectClose(
        member(g, "dense1.weight"), fixture["dweight"], tolerance, "g.dense1.weight",
        shape: true)
      expectClose(
        member(g, "dense1.bias"), fixture["dbias"], tolerance, "g.dense1.bias",
        shape: true)
    }
  }
}

// MARK: - The fixture itself

extension NetworkFixtureTests {
  @Test("the fixture has every section and the seed's corrected numbers")
  func fixtureIsComplete() throws {
    let fixture = try NetworkFixture.load()
    let seed = fixture["seed_network"]["sse"]["layers"]
    // The seed printed z1 = [0.7, 1.3]; W1·x + b1 is [0.6, 1.3].
    #expect(seed[0]["z"].flat == [0.6, 1.3])
    #expect(fixture["optimizers"]["runs"].items.map(\.["name"].text) == optimizerRuns)
    #expect(fixture["linear_regression"]["snapshots"].items.count == 4)
    for section in ["batch_trace", "cross_entropy", "bce"] {
      #expect(fixture[section]["tolerance"]["rtol"].number > 0, "\(section)")
    }
  }
}

// MARK: - The examples

extension NetworkFixtureTests {
  @Suite("examples that reproduce the fixture")
  struct Examples {
    static func source(_ name: String) throws -> String {
      let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
      let url = root.appendingPathComponent("examples").appendingPathComponent(name)
      return try String(contentsOf: url, encoding: .utf8)
    }

    @Test("examples/seed_step.nn traces the worked example")
    func seedStep() throws {
      let fixture = try NetworkFixture.load()["seed_network"]
      let session = Session()
      let t = try session.evaluate(try Self.source("seed_step.nn"))
      checkTrace(t, fixture["sse"], Tolerance(fixture["tolerance"]))
      #expect(!session.printed.text.isEmpty)
    }

    @Test("examples/linreg.nn ends at W ≈ 4, b ≈ −2")
    func linreg() throws {
      let fixture = try NetworkFixture.load()["linear_regression"]
      let tolerance = Tolerance(fixture["tolerance"])
      let session = Session()
      try session.evaluate(try Self.source("linreg.nn"))
      let last = fixture["snapshots"].items.last ?? .null
      expectClose(try session.evaluate("line.dense1.weight"), last["weight"], tolerance, "W")
      expectClose(try session.evaluate("line.dense1.bias"), last["bias"], tolerance, "b")
      let lines = session.printed.text.split(separator: "\n")
      #expect(lines.count == fixture["printed"].items.count + 1)
      let lossTolerance = Tolerance(fixture["loss_tolerance"])
      for (line, printed) in zip(lines, fixture["printed"].items) {
        let prefix = "epoch \(Int(printed["epoch"].number))  loss "
        #expect(line.hasPrefix(prefix), "\(line)")
        let loss = Double(line.dropFirst(prefix.count)) ?? .nan
        #expect(lossTolerance.accepts(loss, printed["loss"].number), "\(line)")
      }
      #expect(lines.last?.hasPrefix("W = ") == true)
    }
  }
}
