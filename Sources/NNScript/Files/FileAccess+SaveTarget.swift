#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FileAccess {
  /// The file a save to `path` replaces, and its `stat` when it exists, or why the save is
  /// refused before anything is written: a path ending in `/` (it names a folder), a loop of
  /// links, a target that is not a regular file (`FileKind`: a save must never turn
  /// `/dev/null` or a FIFO into a regular file), or a read-only file.
  ///
  /// Read-only: for a user, what `access(W_OK)` says, so a file that `open` would refuse is
  /// not replaced by a rename that only needs the folder's permission. Root passes every
  /// `access` check, so for root a file is read-only when no one has write permission (mode
  /// without any `w` bit), as root may execute a file only when some `x` bit is set.
  static func saveTarget(_ path: String) -> Result<(String, stat?), WriteFailure> {
    if path.hasSuffix("/") {
      return .failure(WriteFailure(reason: "the path ends with '/', so it names a folder, "
                                     + "not a file"))
    }
    guard let target = linkTarget(path) else {
      return .failure(WriteFailure(reason: String(cString: strerror(ELOOP))))
    }
    var status = stat()
    guard stat(target, &status) == 0 else { return .success((target, nil)) }
    if let refusal = FileKind.refusal(mode: status.st_mode) {
      return .failure(WriteFailure(reason: refusal))
    }
    if geteuid() == 0 {
      if status.st_mode & 0o222 == 0 {
        return .failure(WriteFailure(reason: "it is read-only (no one has write permission)"))
      }
    } else if access(target, W_OK) != 0 {
      return .failure(WriteFailure(reason: String(cString: strerror(errno))))
    }
    return .success((target, status))
  }

  /// Gives the temporary file the replaced file's owner (root only; a user keeps the group
  /// when it is one of theirs) and then its mode (after the owner: `chown` clears set-id
  /// bits). The error's reason, or nil.
  static func copyOwnership(_ existing: stat, to descriptor: Int32) -> String? {
    if geteuid() == 0 {
      guard fchown(descriptor, existing.st_uid, existing.st_gid) == 0 else {
        return String(cString: strerror(errno))
      }
    } else {
      _ = fchown(descriptor, uid_t.max, existing.st_gid)
    }
    guard fchmod(descriptor, existing.st_mode & 0o7777) == 0 else {
      return String(cString: strerror(errno))
    }
    return nil
  }
}
