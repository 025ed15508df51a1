// trainer: a host program embedding nn as a tool would. It hands a script its own data through
// typed host functions, keeps the script's output and progress in its own sinks, sandboxes
// files and memory, then serves the trained model from Swift without building source text.
// Usage: EmbedExample [script.nn]   (without one it trains the built-in job below)
import Foundation
import NNScript

// Sinks: the script's prints go to the log, each finished epoch to a metrics table.
final class Log: @unchecked Sendable {  // written only from the interpreter's thread
  var lines: [String] = []
  var epochs: [TrainingUpdate.EpochSummary] = []
}

// In an async function `run` is the async one: it awaits the script without blocking a thread.
@MainActor func trainer() async throws {
  let sandbox = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-\(getpid())")
  try FileManager.default.createDirectory(at: sandbox, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: sandbox) }

  let log = Log()
  var options = InterpreterOptions(output: { text in log.lines.append(text) })
  options.trainingProgress = { update in
    if let epoch = update.summary { log.epochs.append(epoch) }
  }
  options.fileAccess = .readWrite(root: sandbox.path)  // no file outside the sandbox
  options.workingDirectory = sandbox.path
  options.timeLimit = 30                               // seconds per run
  options.maxLiveTensorBytes = 256 << 20               // 256 MiB of tensors at most
  let interpreter = Interpreter(options: options)

  // Host data: two noisy interleaved half-circles, labelled 0 and 1.
  try interpreter.register("sensor_data", parameters: [
    .whole("n", 200, NumberRange(lower: 2, upper: 100_000), "points"),
    .number("noise", 0.1, NumberRange(lower: 0), "jitter"),
  ]) { call in
    let n = Int(call["n"]!.number!), noise = Float(call["noise"]!.number!)
    var generator = SystemRandomNumberGenerator()
    let x = try Value.tensor(shape: [n, 2]) { xy in
      for i in 0..<n {
        let angle = Float.pi * Float(i / 2) / Float(n / 2), upper = i % 2 == 0
        let jitter = { Float.random(in: -noise...noise, using: &generator) }
        xy[2 * i] = (upper ? cos(angle) : 1 - cos(angle)) + jitter()
        xy[2 * i + 1] = (upper ? sin(angle) : 0.5 - sin(angle)) + jitter()
      }
    }
    let y = try Value.tensor(shape: [n]) { labels in for i in 0..<n { labels[i] = Float(i % 2) } }
    return try Value.dataset(x: x, y: y, classes: 2)
  }

  // A sink scripts can write figures to; a wrong type is the script's error, at the argument.
  var reported: [(String, Double)] = []
  try interpreter.register("report", parameters: [
    .required("name", .string, "figure"), .required("value", .number, "its value"),
  ]) { call in
    reported.append((call["name"]!.string!, call["value"]!.number!))
    return .nil
  }

  let job = CommandLine.arguments.count > 1
    ? try String(contentsOfFile: CommandLine.arguments[1], encoding: .utf8) : """
    seed(0)
    let data = sensor_data(n: 400, noise: 0.15)
    model net(2) { dense(16, tanh); dense(16, tanh); dense(1, sigmoid) }
    let h = train net on data {
      optimizer: adam(lr: 0.02); epochs: 40; batch: 32; metrics: [accuracy]; progress: true
    }
    report("final accuracy", h.accuracy[-1])
    fn confidence(p) { abs(p - 0.5) * 2 }
    print("trained {net}")
    """
  do {
    try await interpreter.run(job, name: "job.nn")
  } catch {
    print(error.rendered())
    exit(1)
  }
  print("script said: \(log.lines.joined().trimmingCharacters(in: .newlines))")
  let last = log.epochs.last!
  print("epochs: \(log.epochs.count), last loss \(TrainingUpdate.figure(last.loss)), "
          + "accuracy \(TrainingUpdate.figure(last["accuracy"] ?? .nan))")
  print("reported: \(reported.map { "\($0.0) = \(TrainingUpdate.figure($0.1))" })")

  // Serve the model from Swift: layers, parameters, predictions, evaluation, a saved copy.
  guard let net = interpreter.model(named: "net") else { fatalError("the job defines no net") }
  for layer in net.layers {
    let shapes = layer.parameters.map { "\($0.name) \($0.shape)" }.joined(separator: ", ")
    print("layer \(layer.name): \(layer.kind) → \(layer.outputShape)  \(shapes)")
  }
  let probe = Tensor(shape: [2, 2], scalars: [0, 1, 1, -0.5])
  let figures = { (xs: UnsafeBufferPointer<Float>) in xs.map { TrainingUpdate.figure(Double($0)) } }
  let predictions = try net.predict(probe)
  print("predict([[0, 1], [1, -0.5]]) = \(predictions.withUnsafeBufferPointer(figures))")
  let confidence = interpreter.value(named: "confidence")!  // a function the script defined
  let sure = try interpreter.call(confidence, [.tensor(predictions)])
  print("confidence: \(sure.withUnsafeScalars(figures)!)")
  let sensor = interpreter.value(named: "sensor_data")!
  let fresh = try interpreter.call(sensor, named: [("n", .number(100))])
  let accuracy = try net.evaluate(fresh)["accuracy"]!
  print("evaluate on fresh data: accuracy \(TrainingUpdate.figure(accuracy))")
  let bias = net.parameter("dense3.bias")!  // parameters are named tensors, read and written
  try net.setParameter("dense3.bias", bias)
  do { try net.setParameter("dense3.bias", Tensor([0, 0])) } catch {
    print("setParameter: \(error.diagnostics[0].message)")
  }
  try net.save(to: "net.safetensors")
  let saved = sandbox.appendingPathComponent("net.safetensors").path
  print("saved net.safetensors: \(FileManager.default.fileExists(atPath: saved))")

  // Mistakes are diagnostics, with a place: a string for a number, a file outside the sandbox.
  for snippet in [#"sensor_data(n: "lots")"#, #"read("/etc/passwd")"#] {
    do { try await interpreter.run(snippet, name: "mistake.nn") } catch {
      let first = error.diagnostics[0]
      print("\(first.file!):\(first.line!):\(first.column!): \(first.message)")
    }
  }

  // A long run cancelled through its Task stops promptly, and the interpreter carries on.
  let long = Task { try await interpreter.run("while true { let x = 1 }", name: "long.nn") }
  try await Task.sleep(for: .milliseconds(50))
  let clock = ContinuousClock(), start = clock.now
  long.cancel()
  if case .failure(let error as ScriptError) = await long.result {
    let waited = (clock.now - start).components
    let ms = Double(waited.seconds) * 1000 + Double(waited.attoseconds) / 1e15
    print("cancelled (\(error.diagnostics[0].message)) after \(Int(ms.rounded())) ms")
  }
  try await interpreter.run("report(\"after the cancel\", 1)", name: "next.nn")
  print("next run: \(reported.last!.0)")
}
try await trainer()
