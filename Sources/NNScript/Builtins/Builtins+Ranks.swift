import NNRuntime
import NNSyntax

// Data-parallel runs (`mpirun -np N nn run train.nn`): every rank runs the same script, and
// training shares each batch out among them. What a script shows or writes would be repeated
// N times, so only rank 0 prints, plots and writes files, unless a call says `every_rank: true`.

extension Builtins {
  static let ranks: [Builtin] = [
    Builtin("rank", [], doc: BuiltinDoc(
      "ranks",
      "This process's index in an mpirun job (0 alone); every_rank: true outputs on all.",
      "print(\"rank {rank()} of {ranks()}\", every_rank: true)")) { (context) throws(Diagnostic) in
      .number(Double(context.evaluator.rank))
    },
    Builtin("ranks", [], doc: BuiltinDoc(
      "ranks",
      "How many processes train together under mpirun; 1 when it runs alone.",
      "if ranks() > 1 { print(\"data-parallel over {ranks()} "
      + "processes\") }")) { (context) throws(Diagnostic) in
      .number(Double(context.evaluator.rankCount))
    },
  ]
}

extension Evaluator {
  /// This process's index among the ranks training together (0 when it trains alone).
  var rank: Int { options.communicator?.rank ?? 0 }

  /// How many processes train together (1 when this one trains alone).
  var rankCount: Int { options.communicator?.size ?? 1 }

  /// Writes text a script shows (summaries, traces, plots, progress) on rank 0 only.
  func emit(_ text: String) {
    if rank == 0 { options.output(text) }
  }
}

extension CallContext {
  /// Whether this call shows output or writes its file on this rank: rank 0 always, every
  /// rank with `every_rank: true`.
  func actsOnThisRank() throws(Diagnostic) -> Bool {
    let everyRank = try bool("every_rank")
    return everyRank || evaluator.rank == 0
  }

  /// Writes a file atomically on rank 0 (or with `every_rank: true`); on the other ranks keeps
  /// the bytes instead, so that the script reads back what it wrote on every rank alike
  /// (`save` then `load` works on every rank, and only rank 0 touches the disk).
  func writeFile(_ resolved: String, _ bytes: [UInt8]) throws(Diagnostic)
    -> Result<Void, FileAccess.WriteFailure> {
    guard try actsOnThisRank() else {
      evaluator.keptFiles[resolved] = bytes
      return .success(())
    }
    evaluator.keptFiles[resolved] = nil
    return FileAccess.writeAtomically(resolved, bytes)
  }

  /// The bytes of a file, as this rank last wrote it when it kept it (see `writeFile`).
  func readFile(_ resolved: String, limit: Int) -> Result<[UInt8], FileAccess.ReadFailure> {
    if let kept = evaluator.keptFiles[resolved] {
      return kept.count > limit ? .failure(.tooLarge(limit: limit)) : .success(kept)
    }
    return FileAccess.readBytes(resolved, limit: limit)
  }
}
