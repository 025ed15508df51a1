#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which files a script may touch: every read (`load_csv`, `read`, `load`, `import`, and
/// `Interpreter.runFile`) and write (`write`, `save`, `plot(…, file:)`) goes through one check.
/// A denied access is a `.fileError` diagnostic at the call, "file access is not allowed: …".
public enum FileAccessPolicy: Sendable {
  /// No file may be read or written.
  case none
  /// Files inside `root` (after resolving `..` and symlinks) may be read; none written.
  case readOnly(root: String)
  /// Files inside `root` may be read and written.
  case readWrite(root: String)
  /// Any file the process can reach (the default).
  case unrestricted
}

extension FileAccessPolicy {
  /// Why an access to `path` (already resolved against the working
  /// directory) is refused, or
  /// `nil` when it is allowed. Relative roots and paths are taken from `workingDirectory`.
  func denial(_ path: String, write: Bool, workingDirectory: String?) -> String? {
    let root: String
    switch self {
    case .unrestricted:
      return nil
    case .none:
      return "the host allows no file access"
    case .readOnly(let folder):
      if write { return "the host allows only reading files (under \(folder))" }
      root = folder
    case .readWrite(let folder):
      root = folder
    }
    let realRoot = Self.physical(Self.absolute(root, workingDirectory))
    let realPath = Self.physical(Self.absolute(path, workingDirectory))
    if realRoot == "/" || realPath == realRoot || realPath.hasPrefix(realRoot + "/") { return nil }
    return "'\(path)' is outside \(root)"
  }

  /// `path` made absolute (against `workingDirectory`, then the process's folder) and normalised.
  static func absolute(_ path: String, _ workingDirectory: String?) -> String {
    var resolved = FileAccess.resolve(path, relativeTo: workingDirectory)
    if !resolved.hasPrefix("/") {
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let cwd = getcwd(&buffer, buffer.count).map { String(cString: $0) } ?? "/"
      resolved = FileAccess.resolve(resolved, relativeTo: cwd)
    }
    return FileAccess.normalize(resolved)
  }

  /// An absolute, normalised path with the symlinks of its longest existing prefix resolved
  /// (`realpath`), so a link inside the root that points outside it is caught. The part that does
  /// not exist yet (a file about to be written) is appended as it is.
  /// A symbolic link is followed to its target even when that does not exist yet
  /// (`FileAccess.linkTarget`), as a save writes through it.
  static func physical(_ path: String) -> String {
    var existing = FileAccess.linkTarget(path) ?? path
    // `data/` and `data` are one folder here (normalize keeps a trailing slash for saves).
    while existing.count > 1, existing.hasSuffix("/") { existing.removeLast() }
    var missing: [String] = []
    while true {
      if let real = FileAccess.canonical(existing) {
        let tail = missing.reversed().joined(separator: "/")
        guard !tail.isEmpty else { return real }
        return FileAccess.normalize(real == "/" ? "/" + tail : real + "/" + tail)
      }
      guard existing != "/", let slash = existing.lastIndex(of: "/") else { return path }
      missing.append(String(existing[existing.index(after: slash)...]))
      existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
    }
  }
}

extension Evaluator {
  /// The one check every file access of a script goes through: a `.fileError` diagnostic when
  /// the host's `fileAccess` policy refuses `path` (already resolved).
  func checkFileAccess(_ path: String, write: Bool) -> String? {
    options.fileAccess.denial(path, write: write, workingDirectory: options.workingDirectory)
      .map { "file access is not allowed: \($0)" }
  }
}

extension CallContext {
  /// The path argument `name` of a file-touching built-in as its diagnostics show it: relative
  /// to the working directory where it was given so (normalised: `./data/../x.csv` is `x.csv`),
  /// which is where the file is looked for, and absolute where it was given so.
  func filePath(_ name: String) throws(Diagnostic) -> String {
    FileAccess.normalize(try string(name))
  }

  /// A file path resolved against the working directory (the host's `workingDirectory`, or the
  /// process's), as Python's `open` does — never against the calling script's folder, which
  /// only `import` uses — and checked against the host's file access policy.
  func checkedPath(_ path: String, write: Bool) throws(Diagnostic) -> String {
    let resolved = FileAccess.resolve(path, relativeTo: evaluator.options.workingDirectory)
    if let message = evaluator.checkFileAccess(resolved, write: write) {
      throw error(.fileError, message)
    }
    return resolved
  }
}
