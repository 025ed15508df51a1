import Foundation
import Testing

@testable import NNScript

/// The embedding API's second version: model handles, calling script functions, typed host
/// functions, tensor bridging, async runs, structured progress and diagnostics' places.
@Suite("HostAPIv2Tests")
struct HostAPIv2Tests {
  static let trained = """
    seed(0)
    model net(2) { dense(4, tanh); dense(1, sigmoid) }
    let h = train net on xor() { optimizer: adam(lr: 0.1); epochs: 50; progress: false }
    """

  // MARK: - Model handle

  @Test("a model handle reads layers and parameters, predicts and evaluates as the script does")
  func modelHandle() throws {
    let interpreter = Interpreter()
    try interpreter.run(Self.trained, name: "t.nn")
    let net = try #require(interpreter.model(named: "net"))
    #expect(interpreter.model(named: "h") == nil && interpreter.model(named: "nope") == nil)
    #expect(net.name == "net" && net.inputShape == [2] && net.outputShape == [1])
    #expect(net.layers.map(\.name) == ["dense1", "dense2"])
    #expect(net.layers[0].kind == "dense(4, tanh)")
    #expect(net.layers[0].parameters.map(\.name) == ["dense1.weight", "dense1.bias"])
    #expect(net.layers[0].parameters.map(\.shape) == [[4, 2], [4]])
    #expect(net.parameterNames == ["dense1.weight", "dense1.bias", "dense2.weight",
                                   "dense2.bias"])
    #expect(net.parameterCount == 17)
    let x = Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])
    let fromSwift = try net.predict(x)
    interpreter.define("probe", .tensor(x))
    let fromScript = try interpreter.evaluate("net(probe)")
    #expect(fromScript.tensor?.scalars == fromSwift.scalars)
    let moons = try interpreter.evaluate("moons(n: 20, seed: 1)")
    interpreter.define("moons_data", moons)
    let figures = try net.evaluate(moons)
    let scripted = try interpreter.evaluate("evaluate(net, moons_data)")
    #expect(figures["loss"] == scripted.record?.first { $0.0 == "loss" }?.1.number)
    #expect(figures["accuracy"] == scripted.record?.first { $0.0 == "accuracy" }?.1.number)
    #expect(figures["accuracy"] != nil)
  }

  @Test("writing a parameter from Swift is what the script sees; bad writes are diagnostics")
  func parameterWrites() throws {
    let interpreter = Interpreter()
    try interpreter.run(Self.trained, name: "t.nn")
    let net = try #require(interpreter.model(named: "net"))
    try net.setParameter("dense2.bias", Tensor([0.25]))
    #expect(try interpreter.evaluate("net.dense2.bias").tensor?.scalars == [0.25])
    #expect(net.parameter("dense2.bias")?.scalars == [0.25])
    #expect(net.parameter("dense9.bias") == nil)
    #expect(throws: ScriptError.self) { try net.setParameter("dense2.bias", Tensor([1, 2])) }
    do {
      try net.setParameter("dense2.bais", Tensor([1]))
      Issue.record("a misspelt parameter was accepted")
    } catch {
      #expect(error.diagnostics[0].message == "net has no parameter named 'dense2.bais'")
      #expect(error.diagnostics[0].hint == "did you mean dense2.bias?")
    }
  }

  @Test("save from a handle writes a file the script loads back")
  func saveFromHandle() throws {
    let workspace = try Workspace()
    try workspace.run(Self.trained)
    let net = try #require(workspace.interpreter.model(named: "net"))
    try net.save(to: "net.safetensors")
    #expect(try workspace.run("""
      let copy = load("net.safetensors")
      sum(abs(copy(xor().x) - net(xor().x)))
      """).number == 0)
  }

  // MARK: - Calling script functions

  @Test("call runs a script's function with positional and named arguments")
  func callScriptFunctions() throws {
    let interpreter = Interpreter()
    try interpreter.run("fn scaled(x, by = 2) { x * by }", name: "f.nn")
    let scaled = try #require(interpreter.value(named: "scaled"))
    #expect(try interpreter.call(scaled, [.number(3)]).number == 6)
    #expect(try interpreter.call(scaled, [.number(3)], named: [("by", .number(5))]).number == 15)
    #expect(try interpreter.call(interpreter.value(named: "len")!, [.list([.nil])]).number == 1)
    do {
      _ = try interpreter.call(scaled, [], named: [("y", .number(1))])
      Issue.record("an unknown argument was accepted")
    } catch {
      #expect(error.diagnostics[0].message == "scaled has no parameter named 'y'")
      #expect(error.diagnostics[0].location == nil, "the host's call has no source text")
    }
    #expect(throws: ScriptError.self) { try interpreter.call(.number(1), []) }
  }

  @Test("an error inside a called function points into its script")
  func callErrorsPointIntoTheScript() throws {
    let interpreter = Interpreter()
    try interpreter.run("fn bad(x) {\n  x @ [[1, 2]]\n}", name: "bad.nn")
    do {
      _ = try interpreter.call(interpreter.value(named: "bad")!, [.tensor(Tensor([1, 2, 3]))])
      Issue.record("a shape error was not reported")
    } catch {
      #expect(error.diagnostics[0].file == "bad.nn" && error.diagnostics[0].line == 2)
    }
  }

  // MARK: - Typed host functions

  @Test("a host function declared to take a number, given a string, fails at that argument")
  func typedParameters() throws {
    let interpreter = Interpreter()
    try interpreter.register("celsius", parameters: [
      .required("fahrenheit", .number, "degrees"),
      .number("offset", 0, "added"),
    ]) { call in
      .number((call["fahrenheit"]!.number! - 32) * 5 / 9 + call["offset"]!.number!)
    }
    #expect(try interpreter.evaluate("celsius(212)").number == 100)
    #expect(try interpreter.evaluate("celsius(32, offset: 1)").number == 1)
    do {
      try interpreter.run("let x = 1\nlet c = celsius(\"hot\")", name: "use.nn")
      Issue.record("a string was accepted for a number")
    } catch {
      let diagnostic = error.diagnostics[0]
      #expect(diagnostic.code == .typeMismatch)
      #expect(diagnostic.message
                == "the argument 'fahrenheit' of celsius must be a number, but this is a string")
      #expect(diagnostic.file == "use.nn" && diagnostic.line == 2 && diagnostic.column == 17)
    }
    #expect(throws: ScriptError.self) { try interpreter.run("celsius()", name: "m.nn") }
  }

  @Test("variadic arguments are delivered in order")
  func variadic() throws {
    let interpreter = Interpreter()
    try interpreter.register("total", parameters: ["values...", .number("scale", 1, "factor")]) {
      call in
      .number(call.variadic.compactMap(\.number).reduce(0, +) * call["scale"]!.number!)
    }
    #expect(try interpreter.evaluate("total(1, 2, 3, scale: 10)").number == 60)
    #expect(try interpreter.evaluate("total()").number == 0)
  }

  @Test("a thrown Diagnostic keeps its code and hint; a LocalizedError shows its description")
  func hostErrors() throws {
    struct Unreachable: LocalizedError {
      var errorDescription: String? { "the sensor at port 3 did not answer" }
    }
    let interpreter = Interpreter()
    try interpreter.register("sensor", parameters: []) { _ in throw Unreachable() }
    try interpreter.register("strict", parameters: []) { _ in
      throw Diagnostic(code: .dataError, message: "the table is empty", hint: "load rows first")
    }
    do {
      try interpreter.run("sensor()", name: "a.nn")
    } catch {
      #expect(error.diagnostics[0].message == "sensor: the sensor at port 3 did not answer")
      #expect(error.diagnostics[0].line == 1)
    }
    do {
      try interpreter.run("\n  strict()", name: "b.nn")
    } catch {
      let diagnostic = error.diagnostics[0]
      #expect(diagnostic.code == .dataError && diagnostic.message == "the table is empty")
      #expect(diagnostic.hint == "load rows first")
      #expect(diagnostic.line == 2 && diagnostic.column == 3)
    }
  }

  @Test("shadowing a built-in needs the flag; bad names and repeated parameters are refused")
  func registrationRules() throws {
    let interpreter = Interpreter()
    #expect(throws: HostRegistrationError.self) {
      try interpreter.register("print", parameters: []) { _ in .nil }
    }
    try interpreter.register("print", parameters: [], replacingBuiltin: true) { _ in
      .string("mine")
    }
    #expect(try interpreter.evaluate("print()").string == "mine")
    #expect(throws: HostRegistrationError.self) {
      try interpreter.register("two words", parameters: []) { _ in .nil }
    }
    #expect(throws: HostRegistrationError.self) {
      try interpreter.register("while", parameters: []) { _ in .nil }
    }
    #expect(throws: HostRegistrationError.self) {
      try interpreter.register("f", parameters: ["a", "a"]) { _ in .nil }
    }
  }

  @Test("a host function sees that a cancel was requested")
  func hostSeesCancel() throws {
    let interpreter = Interpreter()
    let handle = interpreter.cancellation
    try interpreter.register("check", parameters: []) { call in
      handle.cancel()
      return .bool(call.isCancelled)
    }
    #expect(throws: ScriptError.self) { try interpreter.run("let seen = check()", name: "c.nn") }
  }

  // MARK: - Tensors and datasets

  @Test("tensor values bridge without copies where they can, and explain what is wrong")
  func tensorBridging() throws {
    let value = try Value.tensor(shape: [2, 3]) { buffer in
      for i in buffer.indices { buffer[i] = Float(i) }
    }
    #expect(value.tensorShape == [2, 3])
    #expect(value.withUnsafeScalars { Array($0) } == [0, 1, 2, 3, 4, 5])
    #expect(Value.number(1).tensorShape == nil && Value.number(1).withUnsafeScalars { $0.count }
              == nil)
    #expect(throws: Diagnostic.self) { try Value.tensor(shape: [2, 2], scalars: [1, 2, 3]) }
    #expect(throws: Diagnostic.self) { try Value.tensor(shape: [-1], scalars: []) }
    do {
      _ = try Value.dataset(x: try Value.tensor(shape: [3, 1], scalars: [1, 2, 3]),
                            y: try Value.tensor(shape: [2], scalars: [0, 1]))
      Issue.record("rows that disagree were accepted")
    } catch {
      #expect(error.code == .dataError && error.message.contains("3"))
    }
    #expect(throws: Diagnostic.self) { try Value.dataset(x: .string("x"), y: .nil) }
    let data = try Value.dataset(x: try Value.tensor(shape: [2, 1], scalars: [1, 2]),
                                 y: try Value.tensor(shape: [2], scalars: [0, 1]), classes: 2)
    #expect(data.dataset?.classes == 2 && data.dataset?.x.shape == [2, 1])
  }

  // MARK: - Concurrency

  @Test("an async run cancelled through its Task stops, and the next run works")
  @MainActor func asyncCancel() async throws {
    var options = InterpreterOptions()
    // A lost cancel fails the test instead of hanging it. The limit is long because a loaded
    // machine (the sanitizer pass on two cores) has held the main actor for over ten seconds
    // between the run's start and the cancel.
    options.timeLimit = 600
    let interpreter = Interpreter(options: options)
    let run = Task { try await interpreter.run("while true { let x = 1 }", name: "loop.nn") }
    try await Task.sleep(for: .milliseconds(30))
    run.cancel()
    let result = await run.result
    guard case .failure(let error as ScriptError) = result else {
      Issue.record("the cancelled run returned \(result)")
      return
    }
    #expect(error.diagnostics[0].code == .interrupted)
    #expect(try await interpreter.evaluate("1 + 1") == .number(2))
  }

  /// A finished run's thread must not reset the cancel of the run after it, which may
  /// already have started on a thread of its own.
  @Test("runs in a row keep each one's cancel")
  @MainActor func runsInARowKeepTheirCancel() async throws {
    var options = InterpreterOptions()
    // A lost cancel fails the test instead of hanging it. The limit is long because a loaded
    // machine (the sanitizer pass on two cores) has held the main actor for over ten seconds
    // between the run's start and the cancel.
    options.timeLimit = 600
    let interpreter = Interpreter(options: options)
    for _ in 0..<50 {
      try await interpreter.run("let a = 1", name: "a.nn")
      let run = Task { try await interpreter.run("while true { let x = 1 }", name: "loop.nn") }
      run.cancel()
      let result = await run.result
      guard case .failure(let error as ScriptError) = result,
        error.diagnostics.first?.code == .interrupted
      else {
        Issue.record("the cancelled run returned \(result)")
        return
      }
    }
  }

  @Test("a task cancelled before its run starts still stops the run")
  @MainActor func cancelledBeforeStart() async throws {
    var options = InterpreterOptions()
    // A lost cancel fails the test instead of hanging it. The limit is long because a loaded
    // machine (the sanitizer pass on two cores) has held the main actor for over ten seconds
    // between the run's start and the cancel.
    options.timeLimit = 600
    let interpreter = Interpreter(options: options)
    let run = Task {
      withUnsafeCurrentTask { $0?.cancel() }
      try await interpreter.run("while true { let x = 1 }", name: "loop.nn")
    }
    do {
      try await run.value
      Issue.record("the run was not stopped")
    } catch let error as ScriptError {
      #expect(error.diagnostics.first?.code == .interrupted)
    }
  }

  @Test("snapshots are Sendable copies, and come back as values")
  func snapshots() throws {
    let interpreter = Interpreter()
    let value = try interpreter.evaluate("""
      model m(2) { dense(1) }
      {a: 1, b: [true, "x", nil], t: [[1, 2]], m: m}
      """)
    let snapshot = value.snapshot
    guard case .record(let fields) = snapshot else {
      Issue.record("not a record: \(snapshot)")
      return
    }
    #expect(fields.map(\.name) == ["a", "b", "t", "m"])
    #expect(fields[0].value == .number(1))
    #expect(fields[1].value == .list([.bool(true), .string("x"), .nil]))
    #expect(fields[2].value == .tensor(Tensor(shape: [1, 2], scalars: [1, 2])))
    #expect(fields[3].value == .other(type: "model", description:
                                        "<model m: 2 → dense(1), 3 parameters>"))
    interpreter.define("back", snapshot.value)
    #expect(try interpreter.evaluate("back.b[1]").string == "x")
  }

  // MARK: - Progress, sources

  @Test("each epoch's figures arrive as numbers")
  func structuredProgress() throws {
    final class Epochs: @unchecked Sendable { var all: [TrainingUpdate.EpochSummary] = [] }
    let epochs = Epochs()
    var options = InterpreterOptions()
    options.trainingProgress = { if let summary = $0.summary { epochs.all.append(summary) } }
    let interpreter = Interpreter(options: options)
    try interpreter.run("""
      seed(0)
      let data = moons(n: 40, seed: 1)
      model net(2) { dense(4, tanh); dense(1, sigmoid) }
      let h = train net on data {
        epochs: 3; validate: 0.25; metrics: [accuracy]; optimizer: sgd(lr: 0.1)
      }
      """, name: "p.nn")
    #expect(epochs.all.map(\.epoch) == [1, 2, 3])
    let last = try #require(epochs.all.last)
    #expect(last.values.map(\.name) == ["loss", "val_loss", "accuracy", "val_accuracy"])
    #expect(last.learningRate == 0.1 && last.seconds >= 0)
    let history = try interpreter.evaluate("[h.loss[-1], h.val_loss[-1], h.accuracy[-1]]")
    let scalars = try #require(history.tensor?.scalars)
    #expect(Float(last.loss) == scalars[0] && Float(last.validationLoss!) == scalars[1])
    #expect(Float(last["accuracy"]!) == scalars[2])
  }

  @Test("a run's display name and the folder its imports resolve from are separate")
  func runFolder() throws {
    let workspace = try Workspace()
    try FileManager.default.createDirectory(atPath: workspace.path("lib"),
                                            withIntermediateDirectories: true)
    try "let shared = 42\n".write(toFile: workspace.path("lib/shared.nn"), atomically: true,
                                  encoding: .utf8)
    try workspace.interpreter.run("import \"shared.nn\"", name: "<config>",
                                  folder: workspace.path("lib"))
    #expect(workspace.interpreter.value(named: "shared")?.number == 42)
    do {
      try workspace.interpreter.run("import \"shared.nn\"", name: "<config>")
      Issue.record("an import resolved without its folder")
    } catch {
      #expect(error.diagnostics[0].file == "<config>")
    }
  }
}
