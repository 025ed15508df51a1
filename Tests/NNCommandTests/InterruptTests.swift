import Foundation
import Testing

/// Ctrl-C during training: the script stops after the current batch, says where, keeps the
/// weights, and `nn` exits with 130.
struct InterruptTests {
  @Test func sigintStopsTrainingAfterTheCurrentBatchWithStatus130() throws {
    let nn = try NNExecutable.locate()
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-interrupt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let script = directory.appendingPathComponent("long.nn")
    try """
      seed(0)
      let data = moons(n: 2000, noise: 0.1, seed: 0)
      model net(2) { dense(64, relu); dense(64, relu); dense(1, sigmoid) }
      print("training")
      train net on data { loss: bce, epochs: 1000000, batch: 8, progress: false }
      print("not reached")
      """.write(to: script, atomically: true, encoding: .utf8)

    let process = Process()
    process.executableURL = nn.url
    process.arguments = [script.path]
    process.currentDirectoryURL = directory
    let errors = Pipe()
    let output = Pipe()
    process.standardInput = FileHandle.nullDevice
    process.standardError = errors
    process.standardOutput = output
    try process.run()
    // Wait until training has started, then press Ctrl-C.
    Thread.sleep(forTimeInterval: 1.5)
    process.interrupt()
    // A process that ignores Ctrl-C must fail the test, not hang the run.
    let deadline = Date().addingTimeInterval(30)
    while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      Issue.record("nn did not stop within 30 s of SIGINT")
    }
    process.waitUntilExit()
    let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationReason == .exit)
    #expect(process.terminationStatus == 130)
    #expect(stderr.contains("training interrupted at epoch"))
    #expect(stderr.contains("keeps the weights"))
    #expect(stdout.contains("training"))
    #expect(!stdout.contains("not reached"))
  }

  /// One matrix product takes tens of milliseconds; the evaluator polled only every 4,096
  /// steps, so the loop ran on for many seconds after Ctrl-C and then exited 0. Each tensor
  /// operator now polls when it finishes.
  @Test func sigintStopsALoopOfLargeMatrixProductsWithinSeconds() throws {
    let nn = try NNExecutable.locate()
    let scratch = try ScratchDirectory()
    let script = scratch.url.appendingPathComponent("products.nn")
    try """
      let a = randn(1000, 1000)
      print("started")
      for i in 0..<100000 { let c = a @ a }
      print("not reached")
      """.write(to: script, atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = nn.url
    process.arguments = [script.path]
    process.currentDirectoryURL = scratch.url
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_NUM_THREADS"] = "1"
    process.environment = environment
    let errors = Pipe()
    let output = Pipe()
    process.standardInput = FileHandle.nullDevice
    process.standardError = errors
    process.standardOutput = output
    try process.run()
    Thread.sleep(forTimeInterval: 1.5)
    process.interrupt()
    let interrupted = Date()
    // Generous for a busy two-core machine; without the poll it took minutes.
    let deadline = interrupted.addingTimeInterval(10)
    while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      Issue.record("nn did not stop within 10 s of SIGINT")
    }
    process.waitUntilExit()
    let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 130)
    #expect(stderr.contains("error: interrupted"))
    #expect(stderr.contains("products.nn:3:31"))
    #expect(stdout.contains("started"))
    #expect(!stdout.contains("not reached"))
  }
}
