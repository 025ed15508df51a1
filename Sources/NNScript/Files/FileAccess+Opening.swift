#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FileAccess {
  /// Opens `path` for reading only when it is a regular file. The open itself does not wait
  /// (`O_NONBLOCK`: opening a FIFO with no writer would block forever), the check is made on
  /// the open descriptor (`fstat`, so the file cannot be swapped between a look and the open),
  /// and reads then block as usual. The caller closes the stream.
  static func openRegular(_ path: String)
    -> Result<(file: UnsafeMutablePointer<FILE>, status: stat), ReadFailure> {
    let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard descriptor >= 0 else {
      let error = errno
      let reason = String(cString: strerror(error))
      if error == ENOENT { return .failure(.notFound(reason)) }
      // A socket cannot be opened at all ("No such device or address"): say what it is.
      return .failure(.cannotRead(FileKind.refusal(atPath: path) ?? reason))
    }
    var status = stat()
    guard fstat(descriptor, &status) == 0 else {
      let reason = String(cString: strerror(errno))
      close(descriptor)
      return .failure(.cannotRead(reason))
    }
    if let refusal = FileKind.refusal(mode: status.st_mode) {
      close(descriptor)
      return .failure(.cannotRead(refusal))
    }
    let flags = fcntl(descriptor, F_GETFL)
    guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) == 0,
      let file = fdopen(descriptor, "rb")
    else {
      let reason = String(cString: strerror(errno))
      close(descriptor)
      return .failure(.cannotRead(reason))
    }
    return .success((file, status))
  }
}
