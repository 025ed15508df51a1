#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Set by the SIGINT handler; read by the interpreter through `interruptRequested`. A plain
/// word written by a signal handler and read by another thread: `sig_atomic_t` is the type C
/// guarantees for that.
nonisolated(unsafe) private var interruptFlag: sig_atomic_t = 0
/// Whether a second Ctrl-C ends the process: yes for scripts, no in the REPL, where Ctrl-C only
/// ever stops the line being run or cleared.
nonisolated(unsafe) private var secondInterruptKills: sig_atomic_t = 1

/// Ctrl-C while a script runs: the first asks the script to stop at its next safe point (after
/// the current training batch); a second one, if the script has not stopped, ends the process
/// as Ctrl-C normally does.
enum Interrupts {
  /// The exit status of a script stopped by Ctrl-C (128 + SIGINT, as shells report it).
  static let exitStatus: Int32 = 130

  /// `secondKills` false is the REPL's mode: every Ctrl-C just sets the flag.
  static func install(secondKills: Bool = true) {
    secondInterruptKills = secondKills ? 1 : 0
    // A parent may start us with SIGINT blocked (some process launchers hand down their mask);
    // the threads made later inherit this one's mask, so unblock it here.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    signal(SIGINT) { _ in
      if interruptFlag != 0, secondInterruptKills != 0 {
        signal(SIGINT, SIG_DFL)
        raise(SIGINT)
      }
      interruptFlag = 1
    }
  }

  static var requested: Bool { interruptFlag != 0 }

  /// Clears a request already handled (the REPL, before each line and after a cleared prompt).
  static func reset() { interruptFlag = 0 }
}
