import Foundation
import NNRuntime
import Testing

#if canImport(Glibc)
import Glibc
#endif

// Data-parallel training through mpirun (issue 10), with the built `nn` as users run it. Every
// job runs through scripts/mpirun-local: shared memory and loopback only, inside a network
// namespace with only loopback where the machine allows one. The suite runs when the `nn`
// under test was built with MPI (`--traits MPI`, as scripts/test builds it) and mpirun exists.

/// Starting jobs through scripts/mpirun-local.
enum MPIRun {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
  static let launcher = root.appendingPathComponent("scripts/mpirun-local")

  /// Whether the `nn` under test has MPI and the launcher can start jobs.
  static let available: Bool = {
    guard let nn = try? NNExecutable.locate(),
      FileManager.default.isExecutableFile(atPath: launcher.path),
      let version = try? nn.run(["--version"], in: FileManager.default.temporaryDirectory)
    else { return false }
    return version.output.contains("MPI")
  }()

  /// Runs `mpirun -np ranks nn ARGS…` in `directory`. `timeout` ends a job that hangs (a
  /// failure of the test, not a measurement): the test then fails instead of CI waiting.
  /// `environment` entries (`NAME=value`) are set on every rank (`mpirun -x`).
  static func run(
    ranks: Int, _ arguments: [String], in directory: URL, seconds: Int = 300,
    environment: [String] = []
  ) throws -> NNExecutable.Outcome {
    let nn = try NNExecutable.locate()
    return try runProgram(
      URL(fileURLWithPath: "/usr/bin/timeout"),
      ["-k", "5", String(seconds), launcher.path] + environment.flatMap { ["-x", $0] }
        + ["-np", String(ranks), nn.url.path] + arguments, in: directory)
  }

  /// Runs an MPMD job: each element of `commands` is one rank's `nn` arguments.
  static func run(each commands: [[String]], in directory: URL) throws -> NNExecutable.Outcome {
    let nn = try NNExecutable.locate()
    var arguments = ["-k", "5", "300", launcher.path]
    for (index, command) in commands.enumerated() {
      if index > 0 { arguments.append(":") }
      arguments += ["-np", "1", nn.url.path] + command
    }
    return try runProgram(URL(fileURLWithPath: "/usr/bin/timeout"), arguments, in: directory)
  }
}

/// The largest absolute difference between the same parameters of two safetensors files,
/// with every parameter's largest magnitude (for a relative bound).
func parameterDifference(_ a: URL, _ b: URL) throws -> (difference: Float, scale: Float) {
  let first = try SafeTensorsFile(bytes: Array(try Data(contentsOf: a)))
  let second = try SafeTensorsFile(bytes: Array(try Data(contentsOf: b)))
  #expect(first.entries.map(\.name) == second.entries.map(\.name))
  var difference: Float = 0
  var scale: Float = 0
  for entry in first.entries {
    let x = try first.tensor(entry).scalars
    let y = try second.tensor(try #require(second[entry.name])).scalars
    #expect(x.count == y.count)
    for (u, v) in zip(x, y) {
      difference = max(difference, abs(u - v))
      scale = max(scale, abs(u))
    }
  }
  return (difference, scale)
}

@Suite(.enabled(if: MPIRun.available, "nn was built without MPI, or mpirun is missing"),
       .serialized)
struct MPITests {
  let scratch: ScratchDirectory
  let nn: NNExecutable

  init() throws {
    scratch = try ScratchDirectory()
    nn = try NNExecutable.locate()
  }

  /// The digits MLP (and a variant with dropout), trained with `args[0]` rows per rank and
  /// batch, saved to `args[1]`.
  static func equivalenceScript(dropout: Bool) -> String {
    """
    seed(5)
    let pixels = digits()
    let data = dataset(pixels.x / 16, pixels.y, classes: 10)
    model net(64) {
      dense(32, relu)
      \(dropout ? "dropout(0.3)" : "")
      dense(10)
    }
    train net on data {
      loss: cross_entropy
      optimizer: adam(lr: 1e-2)
      epochs: 3
      batch: num(args[0])
    }
    save(net, args[1])
    """
  }

  /// One process with batch N·B and N ranks with batch B each give the same weights. The
  /// gradients are summed in another order (each rank averages its rows, then the all-reduce
  /// adds the ranks), so they agree to float32 round-off, which three epochs of Adam
  /// (about 80–170 steps) let grow a little: measured 2–3e-7 of the largest weight, bounded
  /// at 1e-5.
  @Test(arguments: [(2, false), (4, false), (2, true), (4, true)])
  func ranksWithBatchBTrainAsOneProcessWithBatchNTimesB(ranks: Int, dropout: Bool) throws {
    try scratch.write("eq.nn", Self.equivalenceScript(dropout: dropout))
    let batch = 16
    let single = try nn.run(["run", "eq.nn", String(ranks * batch), "single.safetensors"],
                            in: scratch.url)
    #expect(single.status == 0, "\(single.errors)")
    let job = try MPIRun.run(ranks: ranks, ["run", "eq.nn", String(batch), "mpi.safetensors"],
                             in: scratch.url)
    #expect(job.status == 0, "\(job.output)\n\(job.errors)")
    let (difference, scale) = try parameterDifference(
      scratch.url.appendingPathComponent("single.safetensors"),
      scratch.url.appendingPathComponent("mpi.safetensors"))
    #expect(difference <= 1e-5 * scale, "largest difference \(difference), scale \(scale)")
    // Each epoch's loss is printed once (rank 0), as one process prints it.
    #expect(job.output.components(separatedBy: "epoch 3/3").count == 2, "\(job.output)")
  }

  /// A model of 76,810 parameters, over the 65,536 from which the ranks shard the update:
  /// each rank applies SGD with momentum, l2 and clipping to its own part of the parameters
  /// and the others gather it. A second run with `watch:` (not sharded: the watch reads every
  /// layer's whole gradient) continues the same momentum, which only a gathered optimizer
  /// state gives every rank. 3 ranks cut the parameters into unequal parts. The exchange goes
  /// through the ranks' shared memory (the plans writing their gradients into it), and with
  /// `NN_MPI_SHARED_MEMORY=0` through MPI's reduce-scatter and all-gather. 385 rows leave
  /// each epoch's last step one row: rank 0 holds it and the others hold none.
  @Test(arguments: [2, 3], [true, false])
  func aShardedUpdateTrainsAsOneProcess(ranks: Int, sharedMemory: Bool) throws {
    try scratch.write("shard.nn", """
      seed(4)
      let pixels = digits()
      let data = dataset(pixels.x[0:385] / 16, pixels.y[0:385], classes: 10)
      model net(64) { dense(1024, relu); dense(10) }
      let opt = sgd(lr: 0.05, momentum: 0.9)
      let rows = num(args[0])
      train net on data {
        loss: cross_entropy
        optimizer: opt
        epochs: 2
        batch: rows
        l2: 1e-3
        clip: 1
        progress: false
      }
      train net on data {
        loss: cross_entropy
        optimizer: opt
        epochs: 1
        batch: rows
        watch: [gradients]
        progress: false
      }
      save(net, args[1])
      """)
    let batch = 16
    let single = try nn.run(["run", "shard.nn", String(ranks * batch), "single.safetensors"],
                            in: scratch.url)
    #expect(single.status == 0, "\(single.errors)")
    let job = try MPIRun.run(ranks: ranks, ["run", "shard.nn", String(batch),
                                            "mpi.safetensors"], in: scratch.url,
                             environment: sharedMemory ? [] : ["NN_MPI_SHARED_MEMORY=0"])
    #expect(job.status == 0, "\(job.output)\n\(job.errors)")
    let (difference, scale) = try parameterDifference(
      scratch.url.appendingPathComponent("single.safetensors"),
      scratch.url.appendingPathComponent("mpi.safetensors"))
    #expect(difference <= 1e-5 * scale, "largest difference \(difference), scale \(scale)")
  }

  /// A sequence tagger (targets [n, T], logits [n, T, 2], the loss a mean over positions)
  /// trains across two ranks as one process on the combined batch.
  @Test func aTaggerOverPositionsTrainsAcrossRanksAsOneProcess() throws {
    try scratch.write("tag.nn", """
      seed(3)
      let x = floor(rand([48, 6]) * 10)
      let data = dataset(x, (x > 4) * 1)
      model tagger(6) { embedding(10, 8); lstm(12, return_sequences: true); dense(2) }
      train tagger on data {
        loss: cross_entropy
        optimizer: adam(lr: 0.02)
        epochs: 3
        batch: num(args[0])
        metrics: [accuracy]
      }
      save(tagger, args[1])
      """)
    let single = try nn.run(["run", "tag.nn", "16", "single.safetensors"], in: scratch.url)
    #expect(single.status == 0, "\(single.errors)")
    let job = try MPIRun.run(ranks: 2, ["run", "tag.nn", "8", "mpi.safetensors"],
                             in: scratch.url)
    #expect(job.status == 0, "\(job.output)\n\(job.errors)")
    let (difference, scale) = try parameterDifference(
      scratch.url.appendingPathComponent("single.safetensors"),
      scratch.url.appendingPathComponent("mpi.safetensors"))
    #expect(difference <= 1e-5 * scale, "largest difference \(difference), scale \(scale)")
    #expect(job.output.contains("epoch 3/3"), "\(job.output)")
  }

  /// The issue's own check: examples/digits.nn under two ranks trains to the accuracy of one
  /// process (each rank takes 32 rows of a 64-row step, so the runs differ by their batch).
  @Test func digitsExampleReachesTheAccuracyOfOneProcess() throws {
    let script = try String(contentsOf: MPIRun.root.appendingPathComponent("examples/digits.nn"),
                            encoding: .utf8)
    try scratch.write("digits.nn", script)
    let single = try nn.run(["run", "digits.nn"], in: scratch.url)
    let job = try MPIRun.run(ranks: 2, ["run", "digits.nn"], in: scratch.url)
    #expect(single.status == 0 && job.status == 0, "\(single.errors)\n\(job.errors)")
    func accuracy(_ output: String) -> Double? {
      output.split(separator: "\n").first { $0.hasPrefix("test accuracy ") }
        .flatMap { Double($0.dropFirst("test accuracy ".count)) }
    }
    let one = try #require(accuracy(single.output))
    let two = try #require(accuracy(job.output), "\(job.output)")
    #expect(abs(one - two) <= 0.02, "one process \(one), two ranks \(two)")
    #expect(two >= 0.95)
    #expect(job.output.contains("reloaded model predicts the same: true"))
    #expect(job.output.components(separatedBy: "test accuracy").count == 2)
  }

  @Test func onlyRankZeroPrintsUnlessACallSaysEveryRank() throws {
    try scratch.write("ranks.nn", """
      print("rank {rank()} of {ranks()}", every_rank: true)
      print("once")
      write("note-{rank()}.txt", "from {rank()}")
      write("every-{rank()}.txt", "from {rank()}", every_rank: true)
      print(read("note-{rank()}.txt"), every_rank: true)
      """)
    let job = try MPIRun.run(ranks: 2, ["run", "ranks.nn"], in: scratch.url)
    #expect(job.status == 0, "\(job.errors)")
    let lines = job.output.split(separator: "\n").map(String.init)
    #expect(lines.filter { $0 == "once" }.count == 1)
    #expect(Set(lines.filter { $0.hasPrefix("rank ") }) == ["rank 0 of 2", "rank 1 of 2"])
    // Rank 1 reads back what it wrote, though only rank 0's file is on the disk.
    #expect(Set(lines.filter { $0.hasPrefix("from ") }) == ["from 0", "from 1"])
    let files = FileManager.default
    #expect(files.fileExists(atPath: scratch.url.appendingPathComponent("note-0.txt").path))
    #expect(!files.fileExists(atPath: scratch.url.appendingPathComponent("note-1.txt").path))
    #expect(files.fileExists(atPath: scratch.url.appendingPathComponent("every-1.txt").path))
  }

  @Test func differentDataSizesAreReportedOnceBeforeTraining() throws {
    try scratch.write("sizes.nn", """
      seed(1)
      let all = moons(n: 100 + rank(), noise: 0.1)
      model net(2) { dense(1, sigmoid) }
      train net on all { epochs: 2, batch: 8 }
      print("trained")
      """)
    let job = try MPIRun.run(ranks: 2, ["run", "sizes.nn"], in: scratch.url)
    #expect(job.status != 0)
    #expect(!job.output.contains("trained"))
    let message = "the ranks disagree: rank 1 has 101 training rows but rank 0 has 100"
    #expect(job.errors.components(separatedBy: message).count == 2, "\(job.errors)")
  }

  @Test func differentScriptsAreReportedAtTheStart() throws {
    try scratch.write("a.nn", "print(\"a\")\n")
    try scratch.write("b.nn", "print(\"b\")\n")
    let job = try MPIRun.run(each: [["run", "a.nn"], ["run", "b.nn"]], in: scratch.url)
    #expect(job.status != 0)
    #expect(job.output.isEmpty, "\(job.output)")
    #expect(job.errors.contains("the ranks disagree: rank 1 runs another script than rank 0"),
            "\(job.errors)")
  }

  /// An error every rank meets alike is printed once, as one process prints it.
  @Test func anErrorOnEveryRankIsPrintedOnce() throws {
    try scratch.write("bad.nn", "print(\"start\")\nlet t = tensor([1, 2]) + tensor([1, 2, 3])\n")
    let job = try MPIRun.run(ranks: 2, ["run", "bad.nn"], in: scratch.url)
    let alone = try nn.run(["run", "bad.nn"], in: scratch.url)
    #expect(job.status != 0)
    #expect(job.output == "start\n")
    #expect(job.errors.contains(alone.errors), "\(job.errors)")
    #expect(!job.errors.contains("rank"), "\(job.errors)")
  }

  @Test func checkUnderMpirunReportsOnce() throws {
    try scratch.write("broken.nn", "let x = \n")
    let job = try MPIRun.run(ranks: 2, ["check", "broken.nn"], in: scratch.url)
    #expect(job.status != 0)
    let message = "error: expected an expression, found end of input"
    #expect(job.errors.components(separatedBy: message).count == 2, "\(job.errors)")
  }

  /// A rank that fails alone while the other waits for it inside training: the job ends with
  /// the failing rank's diagnostic, naming it (the other rank would otherwise wait forever).
  @Test func anErrorOnOneRankEndsTheJobNamingTheRank() throws {
    try scratch.write("one.nn", """
      seed(1)
      let data = moons(n: 200, noise: 0.1)
      model net(2) { dense(8, tanh); dense(1, sigmoid) }
      if rank() == 1 { let t = tensor([1, 2]) + tensor([1, 2, 3]) }
      train net on data { epochs: 5, batch: 8 }
      """)
    let job = try MPIRun.run(ranks: 2, ["run", "one.nn"], in: scratch.url, seconds: 120)
    #expect(job.status != 0 && job.status != 124, "status \(job.status)")
    #expect(job.errors.contains("on rank 1 of 2"), "\(job.errors)")
    #expect(job.errors.contains("shapes"), "\(job.errors)")
  }

  /// A rank killed mid-training: mpirun ends the other rank, every rank's end is explained,
  /// and nothing hangs (the job is given 240 s in all; it ends about a second after the kill).
  @Test func killingOneRankMidTrainingEndsBothWithADiagnostic() throws {
    try scratch.write("long.nn", """
      seed(1)
      let data = moons(n: 400, noise: 0.1)
      model net(2) { dense(16, tanh); dense(1, sigmoid) }
      write("started-{rank()}", "yes", every_rank: true)
      train net on data { epochs: 1000000, batch: 4 }
      """)
    let marker = "nn-test-\(UUID().uuidString)"
    let outputURL = scratch.url.appendingPathComponent("job.out")
    let errorsURL = scratch.url.appendingPathComponent("job.err")
    _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errorsURL.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    process.arguments = ["-k", "5", "240", MPIRun.launcher.path, "-np", "2", nn.url.path,
                         "run", "long.nn"]
    process.currentDirectoryURL = scratch.url
    var environment = ProcessInfo.processInfo.environment
    environment["NN_TEST_JOB"] = marker
    environment["OPENBLAS_NUM_THREADS"] = "1"
    process.environment = environment
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: outputURL)
    process.standardError = try FileHandle(forWritingTo: errorsURL)
    try process.run()
    defer { if process.isRunning { process.terminate() } }

    let started = scratch.url.appendingPathComponent("started-1").path
    var victim: pid_t?
    for _ in 0..<1200 where victim == nil {
      if FileManager.default.fileExists(atPath: started) {
        victim = Self.process(withEnvironment: ["NN_TEST_JOB=\(marker)", "OMPI_COMM_WORLD_RANK=1"])
      }
      if victim == nil { usleep(100_000) }
    }
    let pid = try #require(victim, "rank 1 never started training")
    usleep(500_000)  // well inside its training loop
    kill(pid, SIGKILL)
    process.waitUntilExit()
    let errors = String(decoding: try Data(contentsOf: errorsURL), as: UTF8.self)
      + String(decoding: try Data(contentsOf: outputURL), as: UTF8.self)
    #expect(process.terminationStatus != 0 && process.terminationStatus != 124,
            "status \(process.terminationStatus)")
    #expect(errors.contains("rank 1"), "\(errors)")
    #expect(errors.contains("nn: rank 0 of 2 stopped"), "\(errors)")
  }

  /// The pid of a process whose environment holds every one of `entries`.
  static func process(withEnvironment entries: [String]) -> pid_t? {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else {
      return nil
    }
    for name in names {
      guard let pid = pid_t(name),
        let data = FileManager.default.contents(atPath: "/proc/\(name)/environ")
      else { continue }
      let variables = Set(data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
      if entries.allSatisfy(variables.contains) { return pid }
    }
    return nil
  }
}

/// A binary built without MPI that mpirun starts refuses to train alone N times over.
@Suite(.enabled(if: !MPIRun.available, "nn was built with MPI"))
struct NoMPITests {
  @Test func aBuildWithoutMPIStartedByMpirunRefuses() throws {
    let scratch = try ScratchDirectory()
    try scratch.write("x.nn", "print(1)\n")
    let run = try NNExecutable.locate().run(
      ["run", "x.nn"], environment: ["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "1"],
      in: scratch.url)
    #expect(run.status == 1)
    #expect(run.output.isEmpty)
    #expect(run.errors.contains("this nn was built without MPI, but mpirun started it as rank 1 "
                                + "of 2"), "\(run.errors)")
  }
}
