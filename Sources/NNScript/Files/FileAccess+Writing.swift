#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

extension FileAccess {
  /// Why a file could not be written: the C library's reason (`"Permission denied"`), or ours.
  struct WriteFailure: Error, Equatable {
    var reason: String
  }

  /// Writes `bytes` to `path` so that the file is either the old one or the complete new one,
  /// never half of either, even if the process or the machine dies midway: the bytes go to a
  /// fresh temporary file in the same folder (a rename is atomic only within one file system),
  /// are flushed to disk, and the temporary file is then renamed over `path`. On any failure the
  /// temporary file is removed and `path` is left as it was.
  ///
  /// The rename replaces whatever node has the name, so the target is looked at first
  /// (`saveTarget`): only a regular file is replaced, a symbolic link is written through (the
  /// link stays), and the new file keeps the old one's mode and, for root, its owner.
  ///
  /// A process killed midway leaves its temporary file behind (nothing runs after SIGKILL). The
  /// writer holds an exclusive `flock` on its temporary file, which the kernel drops when the
  /// process dies, so the next write to the same `path` removes every such file that is
  /// unlocked and whose process is gone (`removeAbandonedTemporaries`).
  static func writeAtomically(_ path: String, _ bytes: [UInt8]) -> Result<Void, WriteFailure> {
    let target: String
    let existing: stat?
    switch saveTarget(path) {
    case .success(let found): (target, existing) = found
    case .failure(let failure): return .failure(failure)
    }
    let folder = directory(of: target) ?? "."
    let name = String(target.split(separator: "/").last ?? Substring(target))
    var descriptor: Int32 = -1
    var temporary = ""
    // A name taken by another writer (O_EXCL refuses it) just moves on to the next counter.
    // A new file gets the usual 0666 less the umask; a replaced one its own mode, below.
    for _ in 0..<100 {
      temporary = folder + "/." + name + ".\(getpid()).\(nextTemporaryNumber()).tmp"
      descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                        existing == nil ? 0o666 : 0o600)
      if descriptor >= 0 || errno != EEXIST { break }
    }
    guard descriptor >= 0 else { return .failure(WriteFailure(reason: lastError())) }
    if let existing, let reason = copyOwnership(existing, to: descriptor) {
      close(descriptor)
      unlink(temporary)
      return .failure(WriteFailure(reason: reason))
    }
    // The file is new and ours alone, so this cannot block; it marks the file as in use.
    _ = flock(descriptor, LOCK_EX | LOCK_NB)
    // Before writing, so that space held by the debris of a killed writer is free for this one.
    removeAbandonedTemporaries(in: folder, of: name)
    let limit = writeFaults.limit(for: path)
    if let reason = writeAll(bytes, to: descriptor, limit: limit) ?? flush(descriptor) {
      close(descriptor)
      unlink(temporary)
      return .failure(WriteFailure(reason: reason))
    }
    guard close(descriptor) == 0 else {
      let reason = lastError()
      unlink(temporary)
      return .failure(WriteFailure(reason: reason))
    }
    guard rename(temporary, target) == 0 else {
      let reason = lastError()
      unlink(temporary)
      return .failure(WriteFailure(reason: reason))
    }
    syncFolder(folder)
    return .success(())
  }

  /// Text as UTF-8, written atomically.
  static func writeAtomically(_ path: String, text: String) -> Result<Void, WriteFailure> {
    writeAtomically(path, Array(text.utf8))
  }

  // MARK: - Helpers

  /// Writes every byte, going on after short writes and interrupted calls; the error's reason on
  /// failure. With a `limit` (tests only), the disk is full after that many bytes.
  private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, limit: Int?) -> String? {
    bytes.withUnsafeBytes { buffer -> String? in
      var offset = 0
      while offset < buffer.count {
        var count = buffer.count - offset
        if let limit {
          guard offset < limit else { return String(cString: strerror(ENOSPC)) }
          count = min(count, limit - offset)
        }
        let written = write(descriptor, buffer.baseAddress! + offset, count)
        if written < 0 {
          if errno == EINTR { continue }
          return lastError()
        }
        if written == 0 { return "the disk accepted no more bytes" }
        offset += written
      }
      return nil
    }
  }

  private static func flush(_ descriptor: Int32) -> String? {
    while fsync(descriptor) != 0 {
      if errno != EINTR { return lastError() }
    }
    return nil
  }

  /// Flushes the folder's entry for the renamed file, so the rename itself survives a crash.
  /// Best effort: some file systems refuse to open or sync a folder, and the file is written.
  private static func syncFolder(_ folder: String) {
    let descriptor = open(folder, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    _ = fsync(descriptor)
    close(descriptor)
  }

  /// Removes the temporary files that writers of `name` in `folder` left when they were killed:
  /// `.NAME.PID.N.tmp` files that no one holds a lock on and whose process no longer exists.
  /// Both tests are needed: the lock alone would race with a writer between creating its file
  /// and locking it (the process is alive then), and the process id alone can be reused, or
  /// belong to another machine sharing the folder (the lock is held then). Best effort: a file
  /// that cannot be opened, locked or removed is left alone.
  static func removeAbandonedTemporaries(in folder: String, of name: String) {
    guard let directory = opendir(folder) else { return }
    defer { closedir(directory) }
    let prefix = "." + name + "."
    while let entry = readdir(directory) {
      let entryName = withUnsafePointer(to: &entry.pointee.d_name) {
        String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
      }
      guard entryName.hasPrefix(prefix), entryName.hasSuffix(".tmp"),
        let process = temporaryOwner(String(entryName.dropFirst(prefix.count).dropLast(4)))
      else { continue }
      let temporary = folder + "/" + entryName
      let descriptor = open(temporary, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
      guard descriptor >= 0 else { continue }
      if flock(descriptor, LOCK_EX | LOCK_NB) == 0, kill(process, 0) != 0, errno == ESRCH {
        unlink(temporary)
      }
      close(descriptor)
    }
  }

  /// The process id in the `PID.N` part of a temporary name, or nil when it is not one.
  private static func temporaryOwner(_ middle: String) -> pid_t? {
    let parts = middle.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII)
                                                 && $0.allSatisfy(\.isNumber) }),
      let process = pid_t(parts[0]), process > 0, Int(parts[1]) != nil
    else { return nil }
    return process
  }

  private static func lastError() -> String { String(cString: strerror(errno)) }

  /// A number unique within this process, so two writes to one folder never share a temporary
  /// name (the process id in the name separates processes).
  private static func nextTemporaryNumber() -> Int {
    temporaryCounter.next()
  }

  private static let temporaryCounter = TemporaryCounter()

  /// Simulated full disks, for tests: `writeAtomically` to a path given here fails with ENOSPC
  /// after the given number of bytes, as a write to a full file system does.
  static let writeFaults = WriteFaults()
}

/// Byte limits per path for `writeAtomically`, set only by tests (keyed by the path it is given,
/// so tests running in parallel in other folders are not affected).
final class WriteFaults: Sendable {
  private let limits = Mutex<[String: Int]>([:])

  /// Makes writes to `path` fail after `bytes` bytes; nil lets them through again.
  func setLimit(_ bytes: Int?, for path: String) {
    limits.withLock { $0[path] = bytes }
  }

  func limit(for path: String) -> Int? {
    limits.withLock { $0.isEmpty ? nil : $0[path] }
  }
}

/// A counter safe to use from several threads (interpreters may run on different threads).
private final class TemporaryCounter: Sendable {
  private let value = Mutex(0)

  func next() -> Int {
    value.withLock { value in
      value += 1
      return value
    }
  }
}
