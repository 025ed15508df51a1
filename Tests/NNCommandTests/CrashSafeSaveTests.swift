import Foundation
import NNScript
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `save` killed with SIGKILL at random moments (issue 8, part 4): after each kill the file is
/// byte for byte one of the two complete files the process alternates between, and loads; the
/// temporary files of killed writers do not pile up, and the next save removes them.
/// Tests/NNScriptTests/DiskFullTests.swift covers a full disk.
struct CrashSafeSaveTests {
  /// Two models of about 1.2 MB each (the same every run: the seed is fixed), saved in turn to
  /// one file without end; with an argument, first saved once each as the reference files.
  static let script = """
    seed(1)
    model a(64) {
      dense(512, tanh)
      dense(512, tanh)
      dense(10)
    }
    model b(64) {
      dense(512, tanh)
      dense(512, tanh)
      dense(10)
    }
    if len(args) > 0 {
      save(a, "a.ref")
      save(b, "b.ref")
    }
    while true {
      save(a, "m.safetensors")
      save(b, "m.safetensors")
    }
    """

  @Test func aSaveKilledAtRandomMomentsLeavesTheOldOrTheNewFileWhole() throws {
    let nn = try NNExecutable.locate()
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-crash-save-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try Self.script.write(to: folder.appendingPathComponent("saver.nn"), atomically: true,
                          encoding: .utf8)
    let target = folder.appendingPathComponent("m.safetensors").path

    // The first run writes the references and goes until the file exists, which measures the
    // start-up.
    let clock = ContinuousClock()
    let started = clock.now
    var first = try Self.start(nn, in: folder, arguments: ["refs"])
    _ = Self.wait(seconds: 20) { FileManager.default.fileExists(atPath: target) }
    let startup = clock.now - started
    Self.kill(&first)
    let a = try #require(FileManager.default.contents(atPath: folder.appendingPathComponent("a.ref").path))
    let b = try #require(FileManager.default.contents(atPath: folder.appendingPathComponent("b.ref").path))
    #expect(a != b)
    try #require(FileManager.default.fileExists(atPath: target), "nn never saved (\(startup))")

    // Half the kills come at any moment from the start of the process to a few saves into its
    // loop; the other half come just after a temporary file of the target appears, in the
    // window a non-atomic writer would leave half a file in.
    let startupMs = Int(startup.components.seconds * 1_000)
      + Int(startup.components.attoseconds / 1_000_000_000_000_000)
    var generator = SystemRandomNumberGenerator()
    let kills = 24
    var midWrite = 0
    var mostDebris = 0
    for round in 0..<kills {
      var process = try Self.start(nn, in: folder)
      let pid = process.processIdentifier
      let prefix = ".m.safetensors.\(pid)."
      var moment: String
      if round % 2 == 0 {
        let delay = Int.random(in: 0...(startupMs + 300), using: &generator)
        usleep(UInt32(delay) * 1_000)
        moment = "\(delay) ms after the start"
      } else {
        let seen = Self.wait(seconds: 5) {
          Self.temporaries(in: folder).contains { $0.hasPrefix(prefix) }
        }
        let delay = Int.random(in: 0...2_000, using: &generator)
        usleep(UInt32(delay))
        moment = seen ? "\(delay) µs into a write" : "after waiting 5 s for a write"
      }
      Self.kill(&process)
      // Killed, not stopped by an error in the script.
      #expect(process.terminationReason == .uncaughtSignal, "round \(round): nn exited by itself")

      let bytes = try #require(FileManager.default.contents(atPath: target),
                               "round \(round): the file is gone")
      #expect(bytes == a || bytes == b,
              "round \(round): killed \(moment), the file is \(bytes.count) bytes, not whole")
      let debris = Self.temporaries(in: folder)
      if debris.contains(where: { $0.hasPrefix(prefix) }) { midWrite += 1 }
      mostDebris = max(mostDebris, debris.count)
    }
    #expect(midWrite > 0, "no kill landed while a temporary file was being written")
    // Each run removes the debris of the runs before it at its first save, just after making
    // its own temporary file. A kill can land between the two (microseconds, which a loaded
    // machine widens: CI once saw 3 with the whole suite running under ASan), so a few may
    // remain for a while; what must not happen is a pile growing with every kill, and the
    // save below must leave none.
    #expect(mostDebris <= 4, "temporary files pile up: \(mostDebris)")

    // The file loads, and the next save that finishes leaves no temporary file at all.
    let interpreter = Interpreter(options: InterpreterOptions(output: { _ in },
                                                              workingDirectory: folder.path))
    _ = try interpreter.evaluate(#"let m = load("m.safetensors")"#, name: "check.nn")
    _ = try interpreter.evaluate(#"save(m, "m.safetensors")"#, name: "check.nn")
    #expect(Self.temporaries(in: folder) == [])
    print("crash-safe save: \(kills) kills, \(midWrite) of them while a temporary file was "
            + "open, at most \(mostDebris) temporary files left at once (start-up \(startup))")
  }

  /// Polls `condition` every millisecond until it holds (true) or `seconds` pass (false).
  static func wait(seconds: Double, until condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if condition() { return true }
      usleep(1_000)
    }
    return condition()
  }

  static func start(
    _ nn: NNExecutable, in folder: URL, arguments: [String] = []
  ) throws -> Process {
    let process = Process()
    process.executableURL = nn.url
    process.arguments = ["saver.nn"] + arguments
    process.currentDirectoryURL = folder
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    var environment = ProcessInfo.processInfo.environment
    environment["OPENBLAS_NUM_THREADS"] = "1"
    process.environment = environment
    try process.run()
    return process
  }

  static func kill(_ process: inout Process) {
    Glibc.kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }

  /// The hidden temporary files `save` writes before renaming them.
  static func temporaries(in folder: URL) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasPrefix(".") && $0.hasSuffix(".tmp") }.sorted()
  }
}
