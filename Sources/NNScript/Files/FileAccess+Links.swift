#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FileAccess {
  /// The most links `linkTarget` follows, as the kernel's own limit (`ELOOP` after 40).
  static let maxLinkHops = 40

  /// Where a save to `path` writes: `path` itself, or, when it is a symbolic link, the file at
  /// the end of its chain of links (which need not exist yet: a dangling link is written
  /// through, as `open` does). A relative link is taken from the link's folder. Nil when the
  /// chain is longer than `maxLinkHops` (a loop). The file access policy checks this same
  /// target, so a link cannot carry a save out of the folder a host allows.
  static func linkTarget(_ path: String) -> String? {
    var current = path
    for _ in 0..<maxLinkHops {
      var status = stat()
      guard lstat(current, &status) == 0, (status.st_mode & S_IFMT) == S_IFLNK else {
        return current
      }
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let length = readlink(current, &buffer, buffer.count - 1)
      guard length > 0 else { return current }
      let target = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) },
                          as: UTF8.self)
      current = target.hasPrefix("/")
        ? target : normalizeKeepingParents((directory(of: current) ?? ".") + "/" + target)
    }
    return nil
  }

  /// `folder/target` without lexical `..` removal, which a link's target may not survive
  /// (`a/link -> ../b` where `a` is itself a link); only `./` segments go.
  private static func normalizeKeepingParents(_ path: String) -> String {
    path.hasPrefix("./") ? String(path.dropFirst(2)) : path
  }
}
