#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What kind of node a path names, for the one rule every read and save keeps: only regular
/// files are read or replaced. A FIFO or a terminal would block a read forever, `/dev/zero`
/// never ends, and a save renames its temporary file over the target, which would turn a
/// device such as `/dev/null` into a regular file.
public enum FileKind {
  /// Why `mode` (from `stat`) is not a regular file — `"it is a FIFO, not a regular file"` —
  /// or nil when it is one. A directory keeps its shorter `"it is a directory"`.
  public static func refusal(mode: mode_t) -> String? {
    switch mode & S_IFMT {
    case S_IFREG: return nil
    case S_IFDIR: return "it is a directory"
    case S_IFIFO: return "it is a FIFO, not a regular file"
    case S_IFCHR: return "it is a character device, not a regular file"
    case S_IFBLK: return "it is a block device, not a regular file"
    case S_IFSOCK: return "it is a socket, not a regular file"
    default: return "it is not a regular file"
    }
  }

  /// Why what is at `path` (links followed) may not be read or replaced, or nil when it is a
  /// regular file or nothing is there. Looks without opening, so a FIFO cannot block it.
  public static func refusal(atPath path: String) -> String? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    return refusal(mode: status.st_mode)
  }
}
