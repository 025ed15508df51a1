#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing

/// `nn`'s own files and streams (issue 16, items 6 and 7): output lost to a full disk is a
/// failure, and a history file that is not a regular file cannot block the REPL.
struct OutputAndHistoryFileTests {
  /// `/dev/full` accepts no byte (ENOSPC), as a full disk: the script's output is lost, so the
  /// run fails, and says why on standard error.
  @Test func outputToAFullDiskIsAnError() throws {
    let nn = try NNExecutable.locate()
    let scratch = try ScratchDirectory()
    let errorsURL = scratch.url.appendingPathComponent("errors.txt")
    try Data().write(to: errorsURL)
    let process = Process()
    process.executableURL = nn.url
    process.arguments = ["-e", "print(1)"]
    process.currentDirectoryURL = scratch.url
    guard let full = FileHandle(forWritingAtPath: "/dev/full") else {
      print("/dev/full is missing; the test is skipped")
      return
    }
    let errors = try FileHandle(forWritingTo: errorsURL)
    defer {
      try? full.close()
      try? errors.close()
    }
    process.standardOutput = full
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationReason == .exit)
    #expect(process.terminationStatus == 1)
    let message = String(decoding: try Data(contentsOf: errorsURL), as: UTF8.self)
    #expect(message == "error: cannot write to standard output: No space left on device\n")
  }

  /// A FIFO as the history file used to block readline's read of it before the first prompt.
  @Test func aFIFOAsTheHistoryFileIsRefusedAndTheSessionGoesOn() throws {
    let nn = try NNExecutable.locate()
    // A short path, so the warning fits on one line of the terminal.
    let fifo = "/tmp/nn-fifo-\(UUID().uuidString.prefix(8))"
    try #require(mkfifo(fifo, 0o644) == 0)
    defer { unlink(fifo) }
    guard let terminal = try TerminalTests.Terminal(
      command: "env NN_HISTORY=\(fifo) OPENBLAS_NUM_THREADS=1 \(nn.url.path)")
    else {
      print("tmux is not installed; the terminal test is skipped")
      return
    }
    #expect(terminal.waitFor("warning: cannot use the history file '\(fifo)': it is a FIFO, "
                               + "not a regular file; history will not be saved"))
    try terminal.type("print(40 + 2)")
    #expect(terminal.waitFor("42"))
    try terminal.key("C-d")
    var status = stat()
    #expect(lstat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
  }
}
