import ArgumentParser
import Foundation
import NNScript

/// The resource limits of `nn run` and the REPL, from the command line (`--max-memory`, …) or
/// sized for the machine. Every limit reached is a diagnostic at the line that reached it:
/// a runaway script must never end in the kernel's out-of-memory kill or a stack overflow.
struct LimitOptions: ParsableArguments {
  @Option(
    name: .customLong("max-memory"),
    // Every limit takes the next argument whatever it looks like: `--time-limit -1` is the
    // value -1, which `validate` rejects, not "missing value".
    parsing: .unconditional,
    help: ArgumentHelp(
      "Memory that tensors, model parameters, optimizer state, plans and file buffers may "
        + "hold together, such as 512M or 4G (default: half of this machine's memory, or of "
        + "its address-space limit).",
      valueName: "size"))
  var maxMemory: ByteCount?

  @Option(
    name: .customLong("max-tensor-elements"),
    parsing: .unconditional,
    help: ArgumentHelp(
      "Elements one tensor may hold (default and most: 268435456, 1 GiB of floats).",
      valueName: "count"))
  var maxTensorElements: Int?

  @Option(
    name: .customLong("max-call-depth"),
    parsing: .unconditional,
    help: ArgumentHelp("Nested calls of script functions (default and most: 1000).",
                       valueName: "depth"))
  var maxCallDepth: Int?

  @Option(
    name: .customLong("time-limit"),
    parsing: .unconditional,
    help: ArgumentHelp("Stop a script (or each REPL entry) after this many seconds.",
                       valueName: "seconds"))
  var timeLimit: Double?

  /// A limit outside what the interpreter can honour is a usage error (status 2), never
  /// clamped to the nearest value it can.
  func validate() throws {
    let mostElements = InterpreterOptions.mostTensorElements
    if let maxTensorElements, !(1...mostElements).contains(maxTensorElements) {
      throw ValidationError(
        "--max-tensor-elements must be a whole number from 1 to \(mostElements).")
    }
    let mostDepth = InterpreterOptions.mostCallDepth
    if let maxCallDepth, !(1...mostDepth).contains(maxCallDepth) {
      throw ValidationError("--max-call-depth must be a whole number from 1 to \(mostDepth).")
    }
    if let timeLimit, !(timeLimit.isFinite && timeLimit > 0) {
      throw ValidationError("--time-limit must be a number of seconds above 0.")
    }
  }

  /// The limits in force: these options over the machine's defaults.
  var settings: CommandLimits {
    let defaults = CommandLimits.defaults
    return CommandLimits(
      maxMemory: maxMemory?.bytes ?? defaults.maxMemory,
      maxTensorElements: maxTensorElements ?? defaults.maxTensorElements,
      maxCallDepth: maxCallDepth ?? defaults.maxCallDepth,
      timeLimit: timeLimit ?? defaults.timeLimit)
  }
}

/// The limits a command-line session runs under.
struct CommandLimits: Sendable {
  var maxMemory: Int
  var maxTensorElements: Int?
  var maxCallDepth: Int
  var timeLimit: Double?

  /// The limits with no options given.
  static let defaults = CommandLimits(
    maxMemory: MachineMemory.defaultLimit, maxTensorElements: nil, maxCallDepth: 1_000,
    timeLimit: nil)

  /// Set once from the command line before anything runs, then only read.
  nonisolated(unsafe) static var current = defaults
}

extension InterpreterOptions {
  /// The options of every command-line session: output to standard output, Ctrl-C, a live
  /// progress bar where a person watches (one line per epoch otherwise), and the limits.
  static func commandLine(arguments: [String]) -> InterpreterOptions {
    var progress: (@Sendable (TrainingUpdate) -> Void)?
    if isatty(1) == 1 {
      progress = { @Sendable update in ProgressBar.draw(update) }
    }
    let limits = CommandLimits.current
    return InterpreterOptions(
      output: { StandardStreams.output.write($0) }, arguments: arguments,
      interruptRequested: { Interrupts.requested }, trainingProgress: progress,
      timeLimit: limits.timeLimit, maxCallDepth: limits.maxCallDepth,
      maxTensorElements: limits.maxTensorElements, maxLiveTensorBytes: limits.maxMemory)
  }
}

/// A size on the command line: bytes, or a number with K, M, G or T (powers of 1024; an
/// optional B or iB after the letter is accepted).
struct ByteCount: ExpressibleByArgument, Sendable {
  let bytes: Int

  init?(argument: String) {
    var text = argument.trimmingCharacters(in: .whitespaces).uppercased()
    for suffix in ["IB", "B"] where text.hasSuffix(suffix) && text.count > suffix.count {
      text.removeLast(suffix.count)
      break
    }
    var scale = 1.0
    if let last = text.last, let power = ["K": 1, "M": 2, "G": 3, "T": 4][String(last)] {
      scale = pow(1024, Double(power))
      text.removeLast()
    }
    guard let value = Double(text), value.isFinite, value > 0 else { return nil }
    let bytes = value * scale
    guard bytes >= 1, bytes < Double(Int.max) else { return nil }
    self.bytes = Int(bytes)
  }
}

/// The memory this process may use: the machine's RAM, or less where a control group or the
/// address-space limit (`ulimit -v`) says so.
enum MachineMemory {
  /// Half of what is available: room for the interpreter, plans and the system besides (and
  /// for the one tensor an operation may make before the limit is checked).
  static let defaultLimit = max(min(available, addressSpaceLeft) / 2, 64 << 20)

  /// The address space still free under `RLIMIT_AS`, less the interpreter's evaluation stack:
  /// past it every allocation fails, whatever the machine's memory.
  static var addressSpaceLeft: Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0,
      limit.rlim_cur < rlim_t(Int.max) else { return .max }
    var used = 0
    // The first field of statm is the virtual size in pages.
    if let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
       let pages = text.split(separator: " ").first.flatMap({ Int($0) }) {
      used = pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
    return max(0, Int(limit.rlim_cur) - used - Interpreter.evaluationStackSize)
  }

  static var available: Int {
    let pages = sysconf(Int32(_SC_PHYS_PAGES))
    let pageSize = sysconf(Int32(_SC_PAGESIZE))
    var bytes = pages > 0 && pageSize > 0 ? pages * pageSize : 8 << 30
    // cgroup v2, then v1: a container's limit is what the out-of-memory killer enforces.
    for path in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
      if let text = try? String(contentsOfFile: path, encoding: .utf8),
         let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0 {
        bytes = min(bytes, limit)
      }
    }
    return bytes
  }
}
