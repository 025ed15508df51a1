// How a process learns whether it is one rank of an MPI job, and joins it. Reading the
// launcher's environment needs no MPI library, so a binary built without the MPI trait can
// still tell that mpirun started it and refuse, instead of training alone N times over.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if MPI
import CMPI
#endif

/// Detects an MPI launch and starts MPI for data-parallel training.
public enum DistributedLaunch {
  /// The variables launchers set to the job's number of ranks, most specific first: Open MPI's
  /// mpirun, then PMI (MPICH's Hydra, Slurm's srun). PMIx launchers name no size variable
  /// (Open MPI 4.1.4 sets only PMIX_RANK), so there is no PMIx fallback for the size.
  static let sizeVariables = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"]
  /// The variables launchers set to this process's rank: Open MPI's, then PMIx's, then PMI's.
  static let rankVariables = ["OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"]

  /// Whether this build has MPI support (the package's `MPI` trait).
  public static var builtWithMPI: Bool {
    #if MPI
    return true
    #else
    return false
    #endif
  }

  /// The MPI library's own name for itself, such as `Open MPI v4.1.4`: the first line of
  /// `MPI_Get_library_version`, up to its first comma. `nil` in a build without MPI.
  /// Safe to read before `start()` and without mpirun: it does not initialise MPI.
  public static var libraryVersion: String? {
    #if MPI
    var buffer = [CChar](repeating: 0, count: Int(cmpi_max_library_version_string()) + 1)
    var length: Int32 = 0
    guard MPI_Get_library_version(&buffer, &length) == cmpi_success() else { return nil }
    let text = mpiString(buffer, length: length)
    let firstLine = text.split(separator: "\n", omittingEmptySubsequences: true).first ?? ""
    let name = firstLine.split(separator: ",", maxSplits: 1).first ?? ""
    let trimmed = trimmingSpaces(name)
    return trimmed.isEmpty ? nil : trimmed
    #else
    return nil
    #endif
  }

  /// The number of ranks the launcher started, when this process was started by `mpirun`
  /// (or another MPI launcher); `nil` when it was started on its own.
  public static func launchedRanks() -> Int? {
    launchedRanks(environment: currentEnvironment())
  }

  /// The number of ranks that `environment` (a process environment) says the launcher
  /// started; `nil` when it names none, or not a positive whole number.
  public static func launchedRanks(environment: [String: String]) -> Int? {
    firstNumber(in: environment, names: sizeVariables, minimum: 1)
  }

  /// This process's rank as the launcher numbered it; `nil` when not started by a launcher.
  public static func launchedRank() -> Int? {
    launchedRank(environment: currentEnvironment())
  }

  /// The rank that `environment` (a process environment) gives this process; `nil` when it
  /// names none, or not a whole number ≥ 0.
  public static func launchedRank(environment: [String: String]) -> Int? {
    firstNumber(in: environment, names: rankVariables, minimum: 0)
  }

  /// Joins the MPI job and returns a communicator over all of its ranks, when this build has
  /// MPI and `mpirun` started the process; otherwise `nil`, without touching MPI at all, so a
  /// plain run behaves as it does without MPI.
  ///
  /// Call it once, from the thread that will call `MPICommunicator.finalize()` (the main
  /// thread). MPI is initialised with `MPI_THREAD_SERIALIZED`: collectives may then come from
  /// any one thread at a time, such as the interpreter's own large-stack thread. Calling it
  /// again while MPI runs returns another communicator over the same ranks.
  ///
  /// When MPI's job has another size than the launcher announced, the process exits with
  /// status 1 after saying so on stderr: that is a library from another MPI than the `mpirun`
  /// (each rank would be a job of one and train alone), or a child process that inherited a
  /// rank's environment.
  public static func start() -> MPICommunicator? {
    start(environment: currentEnvironment())
  }

  /// `start()` with the launch decided by `environment` rather than the process's own.
  static func start(environment: [String: String]) -> MPICommunicator? {
    guard let ranks = launchedRanks(environment: environment) else { return nil }
    #if MPI
    return MPICommunicator.initializeWorld(launchedRanks: ranks)
    #else
    return nil
    #endif
  }

  /// Whether MPI is initialised and not yet finalised in this process.
  static var mpiIsRunning: Bool {
    #if MPI
    var initialized: Int32 = 0
    var finalized: Int32 = 0
    MPI_Initialized(&initialized)
    MPI_Finalized(&finalized)
    return initialized != 0 && finalized == 0
    #else
    return false
    #endif
  }

  /// The process's values of the launcher variables (the only ones read).
  static func currentEnvironment() -> [String: String] {
    var environment: [String: String] = [:]
    for name in sizeVariables + rankVariables {
      if let value = getenv(name) { environment[name] = String(cString: value) }
    }
    return environment
  }

  private static func firstNumber(
    in environment: [String: String], names: [String], minimum: Int
  ) -> Int? {
    for name in names {
      guard let text = environment[name] else { continue }
      // A variable that is set but unreadable says nothing; a later one may still say more.
      if let number = Int(trimmingSpaces(Substring(text))), number >= minimum { return number }
    }
    return nil
  }

  static func trimmingSpaces(_ text: Substring) -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
    guard let first = text.firstIndex(where: { !isSpace($0) }),
      let last = text.lastIndex(where: { !isSpace($0) })
    else { return "" }
    return String(text[first...last])
  }

  /// A string MPI wrote into `buffer`, `length` bytes long (MPI does not promise a NUL).
  static func mpiString(_ buffer: [CChar], length: Int32) -> String {
    let count = max(0, min(Int(length), buffer.count))
    return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
