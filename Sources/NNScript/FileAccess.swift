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

  /// The whole file as text (invalid UTF-8 is repaired, not rejected: the lexer reports it).
  static func readText(_ path: String) -> Result<String, Failure> {
    guard let file = fopen(path, "rb") else {
      return .failure(.cannotRead(String(cString: strerror(errno))))
    }
    defer { fclose(file) }
    var status = stat()
    if fstat(fileno(file), &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR {
      return .failure(.cannotRead("it is a directory"))
    }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
      if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
      if count < chunk.count {
        if ferror(file) != 0 { return .failure(.cannotRead(String(cString: strerror(errno)))) }
        break
      }
    }
    return .success(String(decoding: bytes, as: UTF8.self))
  }

  /// `path` resolved against `directory` unless it is absolute.
  static func resolve(_ path: String, relativeTo directory: String?) -> String {
    guard !path.hasPrefix("/"), let directory, !directory.isEmpty else { return normalize(path) }
    return normalize(directory.hasSuffix("/") ? directory + path : directory + "/" + path)
  }

  /// Removes `.` and `name/..` segments, lexically, so diagnostics show `lib/a.nn` rather than
  /// `tests/../lib/a.nn`.
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
    let joined = parts.joined(separator: "/")
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
