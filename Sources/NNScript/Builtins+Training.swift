import NNRuntime
import NNSyntax

extension Builtins {
  /// Names of `fit`'s options, which are also the options of a `train … on … { }` block.
  static let trainingOptions = [
    "loss", "optimizer", "epochs", "batch", "shuffle", "validate", "metrics", "l2", "clip",
    "schedule", "early_stop", "seed", "progress", "check_numerics",
  ]

  /// `fit(net, data, …)`; `train net on data { … }` calls the same built-in under its own name.
  static let fit = trainingBuiltin("fit")
  static let trainBlock = trainingBuiltin("train")

  private static func trainingBuiltin(_ name: String) -> Builtin {
    Builtin(name, ["net", "data"] + trainingOptions) { (context) throws(Diagnostic) in
      try TrainingSession(context).run()
    }
  }

  /// Training, schedules, metrics and evaluation.
  static let training: [Builtin] = [
    fit,
    Builtin("exponential", ["gamma"]) { (context) throws(Diagnostic) in
      try context.schedule(.exponential(gamma: try context.number("gamma", default: 0.9)))
    },
    Builtin("cosine", ["min"]) { (context) throws(Diagnostic) in
      try context.schedule(.cosine(minimum: try context.number("min", default: 0)))
    },
    Builtin("warmup", ["epochs", "then"]) { (context) throws(Diagnostic) in
      let then = context.has("then") ? try context.scheduleValue("then") : .constant
      return try context.schedule(.warmup(epochs: try context.integer("epochs", default: 2),
                                          then: then))
    },
    metric("accuracy"), metric("precision"), metric("recall"), metric("f1"), metric("auc"),
    metric("r2"),
    Builtin("evaluate", ["net", "data", "loss"]) { (context) throws(Diagnostic) in
      let model = try context.model("net")
      let data = try context.dataArgument("data")
      return .record(try Evaluation.record(model, data, context: context))
    },
    Builtin("crossval", ["factory", "data", "folds"] + trainingOptions.filter { $0 != "data" }) {
      (context) throws(Diagnostic) in
      try CrossValidation.run(context)
    },
  ]

  /// `accuracy(pred, y)` and friends compute the metric; named bare they are `metrics:` entries.
  private static func metric(_ name: String) -> Builtin {
    Builtin(name, ["pred", "y"]) { (context) throws(Diagnostic) in
      let predictions = try context.tensorLike("pred")
      let targets = try context.tensorLike("y")
      let value = try Evaluation.metric(name, predictions: predictions, targets: targets,
                                        context: context)
      return value
    }
  }
}

extension CallContext {
  /// `metrics: [accuracy, "f1"]`.
  func metricList(_ name: String) throws(Diagnostic) -> [Metric] {
    guard let value = value(name), !value.isNil else { return [] }
    let items: [Value]
    if case .list(let list) = value { items = list } else { items = [value] }
    return try items.map { (item) throws(Diagnostic) in
      var metricName: String?
      switch item {
      case .builtin(let builtin): metricName = builtin.name
      case .string(let text): metricName = text
      default: break
      }
      if let metricName, let metric = Metric(rawValue: metricName) { return metric }
      let names = Metric.allCases.map(\.rawValue)
      throw error(.typeMismatch,
                  "a metric is one of \(names.joined(separator: ", ")), not "
                    + ValueFormatter.describe(item), at: name,
                  hint: metricName.flatMap { Suggestions.nearest(to: $0, in: names) }
                    .map { "did you mean \($0)?" })
    }
  }
}
