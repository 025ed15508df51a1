#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing

@testable import NNScript

/// Only regular files are read or replaced (issue 16, items 6 and 7): a FIFO, a device or a
/// socket is refused with a diagnostic before anything is read or written, and a save keeps
/// what it replaces (links, modes, owners) the way `open` would.
///
/// These tests run as root on the CI machine: no test writes to a real device. The non-regular
/// targets are FIFOs and sockets made in a scratch folder; `/dev/null` is only looked at.
@Suite(.serialized)
final class NonRegularFileTests {
  let folder: String

  init() throws {
    folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-nonregular-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(atPath: folder) }

  /// The diagnostic messages of running `script` in the scratch folder ("" when it succeeds).
  func failure(_ script: String, policy: FileAccessPolicy = .unrestricted) -> String {
    let interpreter = Interpreter(options: InterpreterOptions(workingDirectory: folder,
                                                              fileAccess: policy))
    do {
      _ = try interpreter.evaluate(script)
      return ""
    } catch {
      return error.diagnostics.map(\.message).joined(separator: "\n")
    }
  }

  func makeFIFO(_ name: String) throws -> String {
    let path = folder + "/" + name
    try #require(mkfifo(path, 0o644) == 0)
    return path
  }

  /// A bound Unix socket at `name` (the node stays after the descriptor is closed).
  func makeSocket(_ name: String) throws -> String {
    let path = folder + "/" + name
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    try #require(descriptor >= 0)
    defer { close(descriptor) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    try #require(bytes.count < MemoryLayout.size(ofValue: address.sun_path))
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
      for (index, byte) in bytes.enumerated() { raw[index] = byte }
    }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    try #require(bound == 0)
    return path
  }

  func kind(_ path: String) -> mode_t? {
    var status = stat()
    guard lstat(path, &status) == 0 else { return nil }
    return status.st_mode & S_IFMT
  }

  func mode(_ path: String) -> mode_t {
    var status = stat()
    _ = stat(path, &status)
    return status.st_mode & 0o7777
  }

  /// Without the check, reading a FIFO with no writer blocks forever. So that such a
  /// regression fails instead of hanging, a writer opens and closes the FIFO after a while,
  /// which ends a blocked read with an empty file; a refused read never meets it.
  func unblock(_ fifo: String, after seconds: Double) {
    Thread.detachNewThread {
      Thread.sleep(forTimeInterval: seconds)
      let descriptor = open(fifo, O_WRONLY | O_NONBLOCK)
      if descriptor >= 0 { close(descriptor) }
    }
  }

  // MARK: - Reading (item 6)

  @Test func everyReadRefusesAFIFOInsteadOfBlocking() throws {
    let fifo = try makeFIFO("f")
    for (script, verb) in [("read(\"f\")", "read"), ("load_csv(\"f\")", "read"),
                           ("load(\"f\")", "load"), ("import \"f\"", "import")] {
      unblock(fifo, after: 3)
      let message = failure(script)
      #expect(message.contains("cannot \(verb) 'f'"), "\(script): \(message)")
      #expect(message.contains("it is a FIFO, not a regular file"), "\(script): \(message)")
    }
    #expect(kind(fifo) == S_IFIFO)
  }

  @Test func theHostsRunFileRefusesAFIFOToo() throws {
    let fifo = try makeFIFO("script.nn")
    unblock(fifo, after: 3)
    let diagnostics = Interpreter(options: InterpreterOptions(workingDirectory: folder))
      .checkFile("script.nn")
    #expect(diagnostics.map(\.message)
              == ["cannot read 'script.nn': it is a FIFO, not a regular file"])
  }

  @Test func readingASocketOrADeviceIsRefused() throws {
    _ = try makeSocket("s")
    #expect(failure("read(\"s\")").contains("it is a socket, not a regular file"))
    #expect(FileAccess.readBytes("/dev/zero", limit: 10)
              == .failure(.cannotRead("it is a character device, not a regular file")))
  }

  // MARK: - Saving (item 7)

  @Test func aSaveRefusesAFIFOAndASocketAndLeavesThem() throws {
    let fifo = try makeFIFO("out.txt")
    let socketPath = try makeSocket("out.sock")
    #expect(failure("write(\"out.txt\", \"x\")")
              == "cannot write 'out.txt': it is a FIFO, not a regular file")
    #expect(failure("write(\"out.sock\", \"x\")")
              == "cannot write 'out.sock': it is a socket, not a regular file")
    #expect(failure("save(model(1) { dense(1) }, \"out.txt\")")
              .contains("it is a FIFO, not a regular file"))
    #expect(kind(fifo) == S_IFIFO)
    #expect(kind(socketPath) == S_IFSOCK)
    // No temporary file was made: the refusal comes before any write.
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
              == ["out.sock", "out.txt"])
  }

  /// `/dev/null` is only looked at: the save's target check refuses it before any temporary
  /// file exists, and the device is still a device afterwards.
  @Test func aSaveToADeviceIsRefusedBeforeAnythingIsWritten() {
    guard case .failure(let failure) = FileAccess.saveTarget("/dev/null") else {
      Issue.record("/dev/null was accepted as a save target")
      return
    }
    #expect(failure.reason == "it is a character device, not a regular file")
    #expect(kind("/dev/null") == S_IFCHR)
  }

  @Test func aSaveWritesThroughASymbolicLinkWhichStays() throws {
    try "old".write(toFile: folder + "/target.txt", atomically: false, encoding: .utf8)
    try #require(symlink("target.txt", folder + "/link.txt") == 0)
    try #require(symlink("sub/new.txt", folder + "/dangling.txt") == 0)
    try FileManager.default.createDirectory(atPath: folder + "/sub",
                                            withIntermediateDirectories: true)
    #expect(failure("write(\"link.txt\", \"new\"); write(\"dangling.txt\", \"made\")") == "")
    #expect(kind(folder + "/link.txt") == S_IFLNK)
    #expect(kind(folder + "/dangling.txt") == S_IFLNK)
    #expect(try String(contentsOfFile: folder + "/target.txt", encoding: .utf8) == "new")
    #expect(try String(contentsOfFile: folder + "/sub/new.txt", encoding: .utf8) == "made")
  }

  @Test func aLinkCannotCarryASaveOutOfTheAllowedFolder() throws {
    let inside = folder + "/inside"
    try FileManager.default.createDirectory(atPath: inside, withIntermediateDirectories: true)
    try #require(symlink(folder + "/escaped.txt", inside + "/link.txt") == 0)
    let message = failure("write(\"inside/link.txt\", \"x\")",
                          policy: .readWrite(root: inside))
    #expect(message.contains("file access is not allowed"))
    #expect(kind(folder + "/escaped.txt") == nil)
  }

  @Test func aSaveKeepsTheModeOfTheFileItReplaces() throws {
    for wanted: mode_t in [0o600, 0o640, 0o755] {
      let path = folder + "/kept-\(String(wanted, radix: 8))"
      try "old".write(toFile: path, atomically: false, encoding: .utf8)
      try #require(chmod(path, wanted) == 0)
      #expect(failure("write(\"\((path as NSString).lastPathComponent)\", \"new\")") == "")
      #expect(mode(path) == wanted)
      #expect(try String(contentsOfFile: path, encoding: .utf8) == "new")
    }
  }

  @Test func aReadOnlyFileIsAnErrorAndStaysAsItWas() throws {
    let path = folder + "/read-only.txt"
    try "old".write(toFile: path, atomically: false, encoding: .utf8)
    try #require(chmod(path, 0o444) == 0)
    let message = failure("write(\"read-only.txt\", \"new\")")
    // Root passes every access check; for root, a file that no one may write is read-only.
    let reason = geteuid() == 0 ? "it is read-only (no one has write permission)"
      : "Permission denied"
    #expect(message == "cannot write 'read-only.txt': \(reason)")
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "old")
    #expect(mode(path) == 0o444)
  }

  @Test func asRootASaveKeepsTheOwner() throws {
    guard geteuid() == 0 else { return }
    let path = folder + "/owned.txt"
    try "old".write(toFile: path, atomically: false, encoding: .utf8)
    try #require(chown(path, 4321, 4322) == 0)
    #expect(failure("write(\"owned.txt\", \"new\")") == "")
    var status = stat()
    _ = stat(path, &status)
    #expect(status.st_uid == 4321)
    #expect(status.st_gid == 4322)
  }

  @Test func aPathWithATrailingSlashIsRefused() throws {
    #expect(failure("write(\"out/\", \"x\")")
              == "cannot write 'out/': the path ends with '/', so it names a folder, not a file")
    #expect(kind(folder + "/out") == nil)
  }
}
