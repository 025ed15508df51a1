import Foundation
import Testing

@testable import NNScript

// Files too large to read, through the built-ins that read them: each is refused from its size
// before anything is allocated (sparse files, so the tests write nothing of that size), and a
// file that grows without end (/dev/zero) stops at the limit. The small hostile files are the
// golden scripts in Golden/hostile_files.

/// A fresh folder and an interpreter working in it.
private final class Folder {
  let path: String
  let interpreter: Interpreter

  init() throws {
    path = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-hostile-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    interpreter = Interpreter(options: InterpreterOptions(output: { _ in }, workingDirectory: path))
  }

  deinit {
    try? FileManager.default.removeItem(atPath: path)
  }

  /// A sparse file of `size` bytes (holes take no disk space).
  func sparse(_ name: String, size: Int) throws -> String {
    let file = path + "/" + name
    #expect(FileManager.default.createFile(atPath: file, contents: nil))
    let handle = try #require(FileHandle(forWritingAtPath: file))
    try handle.truncate(atOffset: UInt64(size))
    try handle.close()
    return file
  }

  /// The rendered diagnostic `source` fails with, or nil when it runs.
  func failure(_ source: String) -> String? {
    do {
      _ = try interpreter.evaluate(source, name: "test.nn")
      return nil
    } catch {
      return error.rendered(color: false)
    }
  }
}

@Test func loadRefusesAFilePastItsSizeLimitBeforeReadingIt() throws {
  let folder = try Folder()
  _ = try folder.sparse("huge.safetensors", size: Persistence.maxFileBytes + 1)
  let message = try #require(folder.failure(#"load("huge.safetensors")"#))
  #expect(message.hasPrefix("error: cannot load 'huge.safetensors': the file is larger than the "
                              + "\(Persistence.maxFileBytes) bytes load reads"), "\(message)")
}

@Test func loadCSVRefusesAFilePastItsSizeLimitBeforeReadingIt() throws {
  let folder = try Folder()
  _ = try folder.sparse("huge.csv", size: Builtins.maxCSVBytes + 1)
  let message = try #require(folder.failure(#"load_csv("huge.csv")"#))
  #expect(message.hasPrefix("error: cannot read 'huge.csv': the file is larger than the "
                              + "4294967296 bytes load_csv reads"), "\(message)")
}

@Test func aFileThatNeverEndsIsRefusedBeforeItIsRead() throws {
  // /dev/zero says it is 0 bytes long and never ends: as a character device it is refused
  // before the first read (only regular files are read), so no limit needs to stop it.
  let refusal = "it is a character device, not a regular file"
  #expect(FileAccess.readBytes("/dev/zero", limit: 3 << 20) == .failure(.cannotRead(refusal)))
  guard case .failure(.cannotRead(let reason)) = FileAccess.readText("/dev/zero", limit: 1 << 20)
  else {
    Issue.record("read /dev/zero to its end")
    return
  }
  #expect(reason == refusal)
}

@Test func readRefusesATextFilePastItsLimit() throws {
  let folder = try Folder()
  _ = try folder.sparse("huge.txt", size: FileAccess.maxTextBytes + 1)
  let message = try #require(folder.failure(#"read("huge.txt")"#))
  #expect(message.hasPrefix("error: cannot read 'huge.txt': it is larger than the 1073741824 "
                              + "bytes nn reads as text"), "\(message)")
}

@Test func readBytesReportsMissingFilesAndFolders() {
  #expect(FileAccess.readBytes("/nonexistent/nn/file", limit: 10)
    == .failure(.notFound("No such file or directory")))
  #expect(FileAccess.readBytes("/", limit: 10) == .failure(.cannotRead("it is a directory")))
  // Exactly at the limit is allowed.
  let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("nn-limit-\(UUID().uuidString)").path
  defer { try? FileManager.default.removeItem(atPath: path) }
  FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3]))
  #expect(FileAccess.readBytes(path, limit: 3) == .success([1, 2, 3]))
  #expect(FileAccess.readBytes(path, limit: 2) == .failure(.tooLarge(limit: 2)))
}
