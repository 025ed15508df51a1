import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program that may leave a daemon behind (tmux starts its server this way) and returns
/// what it wrote to standard output.
///
/// Foundation's `Process` is not used here. Tests run in parallel, and a child spawned while
/// another thread holds descriptors without close-on-exec (Foundation's own bookkeeping for a
/// `Process` among them) inherits them; a daemon keeps such a descriptor open for its whole
/// life, and `waitUntilExit()` or a read to the end of a pipe then waits forever. This spawn
/// closes every descriptor above 2 in the child and reaps it with `waitpid`, which depends on
/// no descriptor. It gives up on a child after `seconds`.
func spawnDetached(_ program: String, _ arguments: [String], seconds: Double = 10) -> String {
  let outputPath = FileManager.default.temporaryDirectory
    .appendingPathComponent("nn-spawn-\(UUID().uuidString).out").path
  defer { try? FileManager.default.removeItem(atPath: outputPath) }

  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
  closeDescriptorsAbove2(&actions)

  let argv = ([program] + arguments).map { strdup($0) } + [nil]
  defer { for pointer in argv { free(pointer) } }
  var pid: pid_t = 0
  guard posix_spawn(&pid, program, &actions, nil, argv, environ) == 0 else { return "" }

  let deadline = Date().addingTimeInterval(seconds)
  var status: Int32 = 0
  while waitpid(pid, &status, WNOHANG) == 0 {
    if Date() > deadline {
      kill(pid, SIGKILL)
      waitpid(pid, &status, 0)
      break
    }
    usleep(5_000)
  }
  let data = FileManager.default.contents(atPath: outputPath) ?? Data()
  return String(decoding: data, as: UTF8.self)
}

/// glibc (2.34 and later) has `posix_spawn_file_actions_addclosefrom_np`, but Swift's Glibc
/// module does not declare it; look it up by name.
private func closeDescriptorsAbove2(_ actions: inout posix_spawn_file_actions_t) {
  typealias CloseFrom = @convention(c) (
    UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
  guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0),
                           "posix_spawn_file_actions_addclosefrom_np") else { return }
  _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
}
