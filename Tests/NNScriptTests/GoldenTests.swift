import Foundation
import Testing

@testable import NNScript

/// Golden scripts: `Golden/<feature>/<behaviour>.nn` beside the exact output it must produce in
/// `<behaviour>.out` — what it prints, then its rendered diagnostics, then `[exit N]` (0 when it
/// ran to the end, 1 when it failed). A new file is a new test. Run with `NN_RECORD_GOLDEN=1`
/// to rewrite the `.out` files, then review the diff.
enum Golden {
  static let root: String = {
    let file = URL(fileURLWithPath: #filePath)
    return file.deletingLastPathComponent().appendingPathComponent("Golden").path
  }()

  /// Every golden script, as a path relative to `root`.
  static let scripts: [String] = {
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
    // Files under a `lib/` folder are imported by other scripts, not run on their own.
    return enumerator.compactMap { $0 as? String }
      .filter { $0.hasSuffix(".nn") && !$0.contains("lib/") }.sorted()
  }()

  /// The repository's `examples/` folder and the names of its scripts; their expected outputs
  /// are `Golden/examples/<name>.out`.
  static let examplesRoot: String = {
    URL(fileURLWithPath: root).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("examples").path
  }()

  static let examples: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: examplesRoot)) ?? []
    return names.filter { $0.hasSuffix(".nn") }.sorted()
  }()

  /// What running a script produces, in the `.out` format. Scripts under `check/` are checked
  /// instead (`nn check`): their diagnostics, then `[exit 1]` when one is an error.
  static func transcript(of path: String, in directory: String = root) -> String {
    if path.hasPrefix("check/") { return checkTranscript(of: path, in: directory) }
    let output = OutputBuffer()
    let options = InterpreterOptions(
      output: { output.append($0) }, arguments: ["first", "second"], workingDirectory: directory,
      stepLimit: 5_000_000, showsTimings: false)
    let interpreter = Interpreter(options: options)
    var status = 0
    var diagnostics = ""
    do {
      try interpreter.runFile(path)
    } catch {
      status = 1
      diagnostics = error.rendered(color: false)
    }
    return output.text + diagnostics + "[exit \(status)]\n"
  }
}

extension Golden {
  static func checkTranscript(of path: String, in directory: String) -> String {
    let output = OutputBuffer()
    let options = InterpreterOptions(
      output: { output.append($0) }, arguments: ["first", "second"], workingDirectory: directory,
      stepLimit: 5_000_000, showsTimings: false)
    let diagnostics = Interpreter(options: options).checkFile(path)
    let failed = diagnostics.contains { $0.severity == .error }
    let rendered = ScriptError(diagnostics).rendered(color: false)
    return output.text + rendered + "[exit \(failed ? 1 : 0)]\n"
  }
}

/// Collects printed text from the interpreter's output handler.
final class OutputBuffer: @unchecked Sendable {
  private let lock = NSLock()
  private var buffer = ""

  func append(_ text: String) {
    lock.lock()
    buffer += text
    lock.unlock()
  }

  var text: String {
    lock.lock()
    defer { lock.unlock() }
    return buffer
  }
}

@Test("golden scripts print exactly their .out", arguments: Golden.scripts)
func goldenScript(_ path: String) throws {
  let actual = Golden.transcript(of: path)
  let expectedPath = Golden.root + "/" + path.dropLast(3) + ".out"
  if ProcessInfo.processInfo.environment["NN_RECORD_GOLDEN"] != nil {
    try actual.write(toFile: expectedPath, atomically: true, encoding: .utf8)
    return
  }
  let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
  #expect(actual == expected, "\(path)")
}

@Test("every example prints exactly its Golden/examples/<name>.out", arguments: Golden.examples)
func exampleScript(_ name: String) throws {
  let actual = Golden.transcript(of: name, in: Golden.examplesRoot)
  let expectedPath = Golden.root + "/examples/" + name.dropLast(3) + ".out"
  if ProcessInfo.processInfo.environment["NN_RECORD_GOLDEN"] != nil {
    try FileManager.default.createDirectory(
      atPath: Golden.root + "/examples", withIntermediateDirectories: true)
    try actual.write(toFile: expectedPath, atomically: true, encoding: .utf8)
    return
  }
  let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
  #expect(actual == expected, "examples/\(name)")
}

@Test("there are golden scripts for every feature folder")
func goldenScriptsExist() {
  #expect(Golden.scripts.count > 50)
  #expect(Golden.examples.count >= 4)
}
