#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set by the SIGINT handler; read by the interpreter through `interruptRequested`. A plain
/// word written by a signal handler and read by another thread: `sig_atomic_t` is the type C
/// guarantees for that.
nonisolated(unsafe) private var interruptFlag: sig_atomic_t = 0

/// Ctrl-C while a script runs: the first asks the script to stop at its next safe point (after
/// the current training batch); a second one, if the script has not stopped, ends the process
/// as Ctrl-C normally does.
enum Interrupts {
  /// The exit status of a script stopped by Ctrl-C (128 + SIGINT, as shells report it).
  static let exitStatus: Int32 = 130

  static func install() {
    // A parent may start us with SIGINT blocked (some process launchers hand down their mask);
    // the threads made later inherit this one's mask, so unblock it here.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    signal(SIGINT) { _ in
      if interruptFlag != 0 {
        signal(SIGINT, SIG_DFL)
        raise(SIGINT)
      }
      interruptFlag = 1
    }
  }

  static var requested: Bool { interruptFlag != 0 }
}
