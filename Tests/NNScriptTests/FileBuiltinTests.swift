import Foundation
import Testing

@testable import NNScript

/// `read` and `write`: text files relative to the script, written atomically.
struct FileBuiltinTests {
  @Test func writeThenReadRoundTripsText() throws {
    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-files-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let interpreter = Interpreter(options: InterpreterOptions(workingDirectory: directory.path))
    let value = try interpreter.evaluate("""
      write("notes.txt", json({loss: [0.5, 0.25], ok: true}))
      read("notes.txt")
      """)
    guard case .string(let text) = value else {
      Issue.record("read returned \(value.typeName)")
      return
    }
    #expect(text == #"{"loss":[0.5,0.25],"ok":true}"#)
    let onDisk = try String(contentsOf: directory.appendingPathComponent("notes.txt"),
                            encoding: .utf8)
    #expect(onDisk == text)
    // Nothing but the file itself is left behind (no temporary files).
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["notes.txt"])
  }
}
