#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNRuntime

/// Reading files and resolving paths with the C library, so the core does not pull in
/// Foundation (it costs start-up time) for a handful of calls.
enum FileAccess {
  enum Failure: Error {
    case cannotRead(String)
    /// The file is larger than the interpreter's memory limit leaves room for (the reason).
    case pastMemoryLimit(String)
  }

  /// Nil when a buffer of `bytes` fits the memory budget of this thread; else why not. Asked
  /// before reading (with the size a regular file says) and while reading (a stream or a file
  /// that grows), so a file never takes more than the limit.
  static func memoryRefusal(_ bytes: Int) -> String? {
    MemoryBudget.refusalForCurrent("reading it", bytes: bytes)
  }

  /// Makes room in `bytes` for `needed` bytes, growing by doubling as an array does, but only
  /// after asking the memory budget: while an array grows, its old and new buffers are both
  /// alive, and `extra` more (a decoded copy) may follow. Nil on success; else the refusal.
  static func reserve(_ bytes: inout [UInt8], for needed: Int, extra: Int = 0) -> String? {
    guard needed > bytes.capacity else { return nil }
    let grown = max(needed, 2 * bytes.capacity)
    if let refusal = memoryRefusal(bytes.capacity + grown + extra) { return refusal }
    bytes.reserveCapacity(grown)
    return nil
  }

  /// The most bytes `readText` reads (1 GiB): far past any script or text file, and a bound
  /// for a regular file that keeps growing while it is read (devices and FIFOs are refused).
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
    case .failure(.pastMemoryLimit(let refusal)):
      return .failure(.pastMemoryLimit(refusal))
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    let tooLarge = Failure.cannotRead("it is larger than the \(limit) bytes nn reads as text")
    if Int(status.st_size) > limit { return .failure(tooLarge) }
    // The bytes and the decoded text are both held for a moment.
    if let refusal = memoryRefusal(2 * Int(status.st_size)) {
      return .failure(.pastMemoryLimit(refusal))
    }
    while true {
      let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
      guard bytes.count + count <= limit else { return .failure(tooLarge) }
      if let refusal = reserve(&bytes, for: bytes.count + count, extra: bytes.count + count) {
        return .failure(.pastMemoryLimit(refusal))
      }
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
    /// The file is larger than the interpreter's memory limit leaves room for (the reason).
    case pastMemoryLimit(String)
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
    if let refusal = memoryRefusal(Int(status.st_size)) {
      return .failure(.pastMemoryLimit(refusal))
    }
    var bytes: [UInt8] = []
    // The size of a regular file; a pipe or device says 0 and grows as it is read.
    bytes.reserveCapacity(max(Int(status.st_size), 0))
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
      guard bytes.count + count <= limit else { return .failure(.tooLarge(limit: limit)) }
      if let refusal = reserve(&bytes, for: bytes.count + count) {
        return .failure(.pastMemoryLimit(refusal))
      }
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
