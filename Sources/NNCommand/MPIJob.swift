#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNDistributed
import NNScript

/// This process's part in a data-parallel run under `mpirun`: joining the job, checking at the
/// start that every rank runs the same script, and ending so that a failure is reported once,
/// names its rank, and never leaves the other ranks waiting.
final class MPIJob {
  let communicator: MPICommunicator

  /// Seconds a rank that failed waits for the others to reach the end too; past it they are
  /// taken to be blocked in training (waiting for this rank) and the job is aborted.
  static let failureGrace: Double = 3

  private init(communicator: MPICommunicator) {
    self.communicator = communicator
  }

  /// The job this process was started in, nil when it runs alone; a message instead when
  /// `mpirun` started it but this `nn` cannot take part (built without MPI).
  static func join() -> Result<MPIJob?, JoinFailure> {
    guard let ranks = DistributedLaunch.launchedRanks() else { return .success(nil) }
    guard DistributedLaunch.builtWithMPI else {
      let rank = DistributedLaunch.launchedRank().map { "rank \($0)" } ?? "a rank"
      return .failure(JoinFailure(message: """
        error: this nn was built without MPI, but mpirun started it as \(rank) of \(ranks); \
        it would train alone \(ranks) times over. Build it with MPI (scripts/nn --mpi, or \
        swift build --traits MPI) and run that binary under mpirun.

        """))
    }
    guard let communicator = DistributedLaunch.start() else { return .success(nil) }
    let job = MPIJob(communicator: communicator)
    job.reportTermination()
    return .success(job)
  }

  /// Why this process cannot join its job.
  struct JoinFailure: Error {
    let message: String
  }

  var rank: Int { communicator.rank }
  var size: Int { communicator.size }

  // MARK: - The start

  /// Checks that every rank runs the same script with the same arguments and the same `nn`;
  /// a message (the same on every rank) when they do not.
  func checkSameRun(script: [UInt8], arguments: [String]) -> String? {
    let facts: [(Int64, String)] = [
      (Self.hash(Array(nnVersion.utf8) + Array((DistributedLaunch.libraryVersion ?? "").utf8)),
       "runs another version of nn than rank 0: every machine needs the same build"),
      (Self.hash(script), "runs another script than rank 0 (its text differs): every rank "
         + "must run the same script; copy it to every machine"),
      (Self.hash(Array(arguments.joined(separator: "\u{0}").utf8)),
       "was given other script arguments than rank 0"),
    ]
    let all = communicator.allGather(facts.map(\.0))
    for rank in all.indices.dropFirst() {
      for (index, fact) in facts.enumerated() where all[rank][index] != all[0][index] {
        return "error: the ranks disagree: rank \(rank) \(fact.1)\n"
      }
    }
    return nil
  }

  static func hash(_ bytes: [UInt8]) -> Int64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return Int64(bitPattern: hash)
  }

  // MARK: - The end

  /// Ends this rank's part: the ranks compare how they ended, each distinct failure is printed
  /// once (by the lowest rank that had it, naming the ranks when not all had it), and MPI is
  /// finalised. A rank that failed while the others still run (they wait for it inside
  /// training) prints its diagnostics and aborts the job. Returns the exit status.
  func finish(status: Int32, diagnostics: ScriptError?) -> Int32 {
    let rendered = diagnostics.map { $0.rendered(color: StandardStreams.colorDiagnostics) }
    let fingerprint = rendered.map { Self.hash(Array($0.utf8)) } ?? 0
    let wait = status == ExitStatus.success ? nil : Self.failureGrace
    guard let all = communicator.allGather([Int64(status), fingerprint], timeout: wait) else {
      if let rendered {
        StandardStreams.writeError("on rank \(rank) of \(size) (the job stops):\n" + rendered)
      }
      communicator.abort(code: status)
    }
    // Every rank knows how the others ended: from here a SIGTERM is mpirun tearing the job
    // down because a rank already exited with a failure all have agreed on (and printed
    // once), not news to report: without this, a rank still finalising said it was stopped.
    signal(SIGTERM, SIG_DFL)
    if let rendered {
      let same = all.indices.filter { all[$0][0] != 0 && all[$0][1] == fingerprint }
      if same.first == rank {
        if same.count == size {
          StandardStreams.writeError(rendered)
        } else {
          let names = same.count == 1 ? "rank \(rank)"
            : "ranks " + same.map(String.init).joined(separator: ", ")
          StandardStreams.writeError("on \(names) of \(size):\n" + rendered)
        }
      }
    }
    StandardStreams.output.flush()
    communicator.finalize()
    return status
  }

  // MARK: - Killed from outside

  /// When one rank dies, mpirun ends the others with SIGTERM: each says so before it goes, so
  /// that every rank's end is explained (mpirun itself names the rank that died).
  private func reportTermination() {
    let text = "nn: rank \(rank) of \(size) stopped: mpirun ended the job (a rank failed or "
      + "was killed, or mpirun was interrupted)\n"
    terminationMessage = text.utf8CString
    signal(SIGTERM) { _ in
      terminationMessage.withUnsafeBufferPointer { bytes in
        _ = write(2, bytes.baseAddress, bytes.count - 1)
      }
      signal(SIGTERM, SIG_DFL)
      raise(SIGTERM)
    }
  }
}

/// The SIGTERM handler's message, made before the handler can run: a handler may only call
/// async-signal-safe functions, so it writes these bytes and formats nothing.
nonisolated(unsafe) private var terminationMessage = ContiguousArray<CChar>()
