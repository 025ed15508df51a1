import Foundation

/// The built `nn` executable, run as a user runs it: arguments, standard input, environment in;
/// standard output, standard error and exit status out.
struct NNExecutable {
  /// What one run of `nn` did.
  struct Outcome {
    var status: Int32
    var output: String
    var errors: String
    /// Whether the process ended by a signal (a crash) rather than by exiting.
    var crashed: Bool
  }

  let url: URL

  /// Whether this run is the AddressSanitizer pass (`scripts/test --asan` sets ASAN_OPTIONS).
  /// Under ASan no program runs inside `ulimit -v`: its shadow memory alone reserves terabytes
  /// of address space, so the tests that need an address-space limit skip that pass.
  static let underAddressSanitizer = ProcessInfo.processInfo.environment["ASAN_OPTIONS"] != nil

  /// Finds `nn` beside the test bundle, so it works with any `--scratch-path`; `NN_EXECUTABLE`
  /// overrides the search.
  static func locate() throws -> NNExecutable {
    let environment = ProcessInfo.processInfo.environment
    var candidates: [URL] = []
    if let path = environment["NN_EXECUTABLE"] { candidates.append(URL(fileURLWithPath: path)) }
    // The test runner is `<products>/nnPackageTests.xctest` (Linux) or a bundle inside
    // `<products>` (macOS); the `nn` product lies in `<products>`.
    var directory = Bundle.main.bundleURL
    for _ in 0..<4 {
      candidates.append(directory.appendingPathComponent("nn"))
      directory = directory.deletingLastPathComponent()
    }
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
      candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("nn"))
    }
    let fileManager = FileManager.default
    for candidate in candidates {
      var isDirectory: ObjCBool = false
      if fileManager.fileExists(atPath: candidate.path, isDirectory: &isDirectory),
        !isDirectory.boolValue, fileManager.isExecutableFile(atPath: candidate.path)
      {
        return NNExecutable(url: candidate)
      }
    }
    throw LocateError(searched: candidates.map(\.path))
  }

  struct LocateError: Error, CustomStringConvertible {
    var searched: [String]
    var description: String {
      "no built `nn` found (build it first, or set NN_EXECUTABLE); looked at: "
        + searched.joined(separator: ", ")
    }
  }

  /// Runs `nn` with `arguments` in `directory`. Output goes through files, not pipes, so a
  /// large output cannot fill a pipe and stall the child.
  func run(
    _ arguments: [String], input: String? = nil, environment extra: [String: String] = [:],
    in directory: URL
  ) throws -> Outcome {
    try runProgram(url, arguments, input: input, environment: extra, in: directory)
  }
}

/// Runs `program` with `arguments` in `directory`, standard input from `input` (or empty), and
/// NO_COLOR removed from the environment unless `environment` sets it.
func runProgram(
  _ program: URL, _ arguments: [String], input: String? = nil,
  environment extra: [String: String] = [:], in directory: URL
) throws -> NNExecutable.Outcome {
  let id = UUID().uuidString
  let inputURL = directory.appendingPathComponent(".stdin-\(id)")
  let outputURL = directory.appendingPathComponent(".stdout-\(id)")
  let errorsURL = directory.appendingPathComponent(".stderr-\(id)")
  try Data((input ?? "").utf8).write(to: inputURL)
  try Data().write(to: outputURL)
  try Data().write(to: errorsURL)
  defer {
    for url in [inputURL, outputURL, errorsURL] { try? FileManager.default.removeItem(at: url) }
  }

  let process = Process()
  process.executableURL = program
  process.arguments = arguments
  process.currentDirectoryURL = directory
  var environment = ProcessInfo.processInfo.environment
  environment["NO_COLOR"] = nil
  environment["OPENBLAS_NUM_THREADS"] = "1"
  environment.merge(extra) { _, new in new }
  process.environment = environment
  let inputHandle = try FileHandle(forReadingFrom: inputURL)
  let outputHandle = try FileHandle(forWritingTo: outputURL)
  let errorsHandle = try FileHandle(forWritingTo: errorsURL)
  defer {
    for handle in [inputHandle, outputHandle, errorsHandle] { try? handle.close() }
  }
  process.standardInput = inputHandle
  process.standardOutput = outputHandle
  process.standardError = errorsHandle
  try process.run()
  process.waitUntilExit()

  return NNExecutable.Outcome(
    status: process.terminationStatus,
    output: String(decoding: try Data(contentsOf: outputURL), as: UTF8.self),
    errors: String(decoding: try Data(contentsOf: errorsURL), as: UTF8.self),
    crashed: process.terminationReason == .uncaughtSignal)
}

/// A fresh directory for one test's files, removed when the test's suite instance goes away.
final class ScratchDirectory {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory
      .appendingPathComponent("nn-command-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  deinit {
    try? FileManager.default.removeItem(at: url)
  }

  /// Writes `text` to `name` inside the directory and returns its path.
  @discardableResult
  func write(_ name: String, _ text: String) throws -> String {
    let file = url.appendingPathComponent(name)
    try Data(text.utf8).write(to: file)
    return file.path
  }
}
