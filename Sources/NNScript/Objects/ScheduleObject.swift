import NNRuntime
import NNSyntax

/// `schedule:` values: `step(every:, gamma:)`, `exponential(gamma)`, `cosine()`,
/// `warmup(epochs:, then:)`.
final class ScheduleObject: ScriptObject {
  let schedule: LearningRateSchedule

  init(_ schedule: LearningRateSchedule) { self.schedule = schedule }

  var typeName: String { "schedule" }
  var displayText: String { "<schedule \(Self.describe(schedule))>" }

  static func describe(_ schedule: LearningRateSchedule) -> String {
    switch schedule {
    case .constant: return "constant"
    case .step(let every, let gamma): return "step(every: \(every), gamma: \(formatNumber(gamma)))"
    case .exponential(let gamma): return "exponential(\(formatNumber(gamma)))"
    case .cosine(let minimum):
      return minimum == 0 ? "cosine()" : "cosine(min: \(formatNumber(minimum)))"
    case .warmup(let epochs, let then): return "warmup(epochs: \(epochs), then: \(describe(then)))"
    }
  }
}

extension CallContext {
  /// A schedule made at this call, checked.
  func schedule(_ schedule: LearningRateSchedule) throws(Diagnostic) -> Value {
    if let problem = schedule.validate() {
      throw error(.invalidArgument, problem)
    }
    return .object(ScheduleObject(schedule))
  }

  func stepSchedule() throws(Diagnostic) -> Value {
    guard has("every") || has("gamma") else {
      throw error(.invalidArgument,
                  "step(net, opt, g) takes a model, an optimizer and gradients; "
                    + "step(every:, gamma:) is the step schedule")
    }
    return try schedule(.step(every: try integer("every"),
                              gamma: try number("gamma")))
  }

  /// `schedule:` — a schedule value, or a schedule built-in named bare (`cosine`).
  func scheduleValue(_ name: String) throws(Diagnostic) -> LearningRateSchedule {
    let value = try require(name)
    switch value {
    case .object(let object as ScheduleObject): return object.schedule
    case .builtin(let builtin) where builtin.name == "cosine": return .defaultCosine
    default:
      throw error(.typeMismatch,
                  "a schedule is step(every:, gamma:), exponential(gamma), cosine() or "
                    + "warmup(epochs:, then:), not \(ValueFormatter.describe(value))", at: name)
    }
  }
}
