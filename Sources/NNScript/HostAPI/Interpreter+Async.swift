import Foundation
import NNSyntax

// `async` runs: the script runs on a thread of the interpreter's own, never on a thread of
// Swift's cooperative pool (a training run would hold one for its whole length), and the
// calling task awaits it. Cancelling the task stops the script at its next safe point, as
// `cancellation.cancel()` does.

/// Carries the interpreter (not `Sendable`: one thread at a time) to the thread that runs it;
/// the awaiting task does not touch it until the run ends.
private final class Unchecked<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}

extension Interpreter {
  /// Runs a whole script without blocking the calling task's thread; cancelling the task
  /// stops the script within a few thousand steps (or after the current training batch) with
  /// an `.interrupted` diagnostic, and the interpreter is ready for the next run.
  nonisolated(nonsending) public func run(
    _ text: String, name: String, folder: String? = nil
  ) async throws(ScriptError) {
    _ = try await detached { interpreter throws(ScriptError) in
      try interpreter.run(text, name: name, folder: folder)
      return SendableValue.nil
    }
  }

  /// Runs a script and returns a `Sendable` snapshot of its last statement's value, without
  /// blocking the calling task's thread; cancelling the task stops it.
  nonisolated(nonsending) public func evaluate(
    _ text: String, name: String = "<input>"
  ) async throws(ScriptError) -> SendableValue {
    try await detached { interpreter throws(ScriptError) in
      try interpreter.evaluate(text, name: name).snapshot
    }
  }

  /// Reads and runs the script at `path` without blocking the calling task's thread.
  nonisolated(nonsending) public func runFile(_ path: String) async throws(ScriptError) {
    _ = try await detached { interpreter throws(ScriptError) in
      try interpreter.runFile(path)
      return SendableValue.nil
    }
  }

  nonisolated(nonsending) private func detached(
    _ work: @escaping (Interpreter) throws(ScriptError) -> SendableValue
  ) async throws(ScriptError) -> SendableValue {
    let stop = CancellationHandle()
    let box = Unchecked((self, work))
    let outcome: Result<SendableValue, ScriptError> = await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        let thread = Thread {
          let (interpreter, work) = box.value
          let outer = interpreter.evaluator.taskCancelled
          interpreter.evaluator.taskCancelled = stop
          let result: Result<SendableValue, ScriptError>
          do throws(ScriptError) {
            result = .success(try work(interpreter))
          } catch {
            result = .failure(error)
          }
          // Put the outer handle back before the task resumes: once it does, the next run
          // may start on another thread and set its own.
          interpreter.evaluator.taskCancelled = outer
          continuation.resume(returning: result)
        }
        thread.start()
      }
    } onCancel: {
      stop.cancel()
    }
    return try outcome.get()
  }
}

/// A value that can cross threads: numbers, strings, tensors, lists and records of them, as
/// `Value.snapshot` copies them out of an interpreter. Objects the script holds (models,
/// datasets, functions) have no `Sendable` copy: they come as `.other` with their type and the
/// text the script would print.
public indirect enum SendableValue: Sendable, Equatable {
  case number(Double)
  case bool(Bool)
  case string(String)
  case `nil`
  case tensor(Tensor)
  case list([SendableValue])
  case record([Field])
  case other(type: String, description: String)

  /// One field of a record.
  public struct Field: Sendable, Equatable {
    public var name: String
    public var value: SendableValue
  }

  /// The value back in an interpreter (`.other` becomes its description, a string).
  public var value: Value {
    switch self {
    case .number(let x): .number(x)
    case .bool(let flag): .bool(flag)
    case .string(let text): .string(text)
    case .nil: .nil
    case .tensor(let t): .tensor(t)
    case .list(let items): .list(items.map(\.value))
    case .record(let fields): .record(Record(fields.map { ($0.name, $0.value.value) }))
    case .other(_, let description): .string(description)
    }
  }
}

extension Value {
  /// A `Sendable` copy of the value, to hand to another thread (tensors share their storage
  /// copy-on-write, so this copies no elements).
  public var snapshot: SendableValue {
    switch self {
    case .number(let x): return .number(x)
    case .bool(let flag): return .bool(flag)
    case .string(let text): return .string(text)
    case .nil: return .nil
    case .tensor(let t): return .tensor(t)
    case .list(let items): return .list(items.map(\.snapshot))
    case .record(let record):
      return .record(record.names.compactMap { name in
        record[name].map { SendableValue.Field(name: name, value: $0.snapshot) }
      })
    default:
      return .other(type: typeName, description: ValueFormatter.describe(self))
    }
  }
}
