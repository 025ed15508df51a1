#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading files and resolving paths with the C library, so the core does not pull in
/// Foundation (it costs start-up time) for a handful of calls.
enum FileAccess {
  enum Failure: Error {
    case cannotRead(String)
  }

  /// The most bytes `readText` reads (1 GiB): far past any script or text file, and a bound
  /// for `read("/dev/zero")`, which would otherwise fill memory.
  static let maxTextBytes = 1 << 30

  /// The whole file as text (invalid UTF-8 is repaired, not rejected: the lexer reports it).
  /// Only a regular file is read (`openRegular`).
  static func readText(_ path: String, limit: Int = maxTextBytes) -> Result<String, Failure> {
    let file: UnsafeMutablePointer<FILE>
    let status: stat
    switch openRegular(path) {
    case .success(let opened): (file, status) = opened
    case .failure(.notFound(let reason)), .failure(.cannotRead(let reason)):
      return .failure(.cannotRead(reason))
    case .failure(.tooLarge(let limit)):
      return .failure(.cannotRead("it is larger than the \(limit) bytes nn reads as text"))
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    let tooLarge = Failure.cannotRead("it is larger than the \(limit) bytes nn reads as text")
    if Int(status.st_size) > limit { return .failure(tooLarge) }
    while true {
      let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
      guard bytes.count + count <= limit else { return .failure(tooLarge) }
      if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
      if count < chunk.count {
        if ferror(file) != 0 { return .failure(.cannotRead(String(cString: strerror(errno)))) }
        break
      }
    }
    return .success(String(decoding: bytes, as: UTF8.self))
  }

  /// Why `readBytes` gave no bytes.
  enum ReadFailure: Error, Equatable {
    /// Nothing is at the path (`strerror`'s words come with it).
    case notFound(String)
    /// The C library's reason (`"Permission denied"`), or ours (`"it is a directory"`,
    /// `"it is a FIFO, not a regular file"`).
    case cannotRead(String)
    /// The file holds more than the limit the caller gave.
    case tooLarge(limit: Int)
  }

  /// A whole file's bytes, refusing what is not a regular file (`openRegular`) and files of
  /// more than `limit` bytes. The size
  /// is checked before anything is allocated for it, and again while reading (the file may
  /// grow), so memory stays bounded by `limit` whatever the file.
  static func readBytes(_ path: String, limit: Int) -> Result<[UInt8], ReadFailure> {
    let file: UnsafeMutablePointer<FILE>
    let status: stat
    switch openRegular(path) {
    case .success(let opened): (file, status) = opened
    case .failure(let failure): return .failure(failure)
    }
    defer { fclose(file) }
    if Int(status.st_size) > limit { return .failure(.tooLarge(limit: limit)) }
    var bytes: [UInt8] = []
    // The size of a regular file; a pipe or device says 0 and grows as it is read.
    bytes.reserveCapacity(max(Int(status.st_size), 0))
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
      guard bytes.count + count <= limit else { return .failure(.tooLarge(limit: limit)) }
      bytes.append(contentsOf: chunk[0..<count])
      if count < chunk.count {
        if ferror(file) != 0 { return .failure(.cannotRead(String(cString: strerror(errno)))) }
        return .success(bytes)
      }
    }
  }

  /// `path` resolved against `directory` unless it is absolute.
  static func resolve(_ path: String, relativeTo directory: String?) -> String {
    guard !path.hasPrefix("/"), let directory, !directory.isEmpty else { return normalize(path) }
    return normalize(directory.hasSuffix("/") ? directory + path : directory + "/" + path)
  }

  /// Removes `.` and `name/..` segments (and repeated slashes), lexically, so diagnostics show
  /// `lib/a.nn` rather than `tests/../lib/a.nn`.
  static func normalize(_ path: String) -> String {
    var parts: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
      if part == "." { continue }
      if part == "..", let last = parts.last, last != ".." {
        parts.removeLast()
        continue
      }
      parts.append(part)
    }
    // A trailing slash stays: `out/` names a folder, and a save must refuse it rather than
    // write a file called `out`.
    let trailing = path.hasSuffix("/") && !parts.isEmpty ? "/" : ""
    let joined = parts.joined(separator: "/") + trailing
    if path.hasPrefix("/") { return "/" + joined }
    return joined.isEmpty ? "." : joined
  }

  /// The folder part of a path (`"a/b.nn"` → `"a"`, `"b.nn"` → `nil`).
  static func directory(of path: String) -> String? {
    guard let slash = path.lastIndex(of: "/") else { return nil }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }

  /// The canonical absolute path of an existing file, so one file imported by two spellings
  /// counts once.
  static func canonical(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }
}
