import NNRuntime
import NNSyntax

extension Builtins {
  /// Names of `fit`'s options, which are also the options of a `train … on … { }` block.
  static let trainingOptions = trainingParameters.map(\.name)

  /// `fit`'s options, declared once for `fit`, `train … { }` and `crossval`.
  static let trainingParameters: [Parameter] = [
    Parameter("loss", .loss, default: .described("from the targets"), "the loss"),
    Parameter("optimizer", .optimizer, default: .described("adam"), "the optimizer"),
    .whole("epochs", 10, "passes over the data"),
    Parameter("batch", .wholeNumber, default: .described("all rows"), "rows per step"),
    .flag("shuffle", true, "shuffle the rows every epoch"),
    .optional("validate", .any, "a dataset, or a fraction held out from the end"),
    .optional("metrics", .metric, "metrics reported each epoch"),
    .number("l2", 0, "L2 penalty on the weights"),
    .optional("clip", .number, "largest gradient norm"),
    Parameter("schedule", .schedule, default: .described("constant"), "learning-rate schedule"),
    .optional("early_stop", .wholeNumber, "patience in epochs"),
    .optional("seed", .wholeNumber, "seed for shuffling and dropout"),
    .flag("progress", true, "print one line per epoch"),
    .flag("check_numerics", false, "fail on NaN or infinity"),
  ]

  /// `fit(net, data, …)`; `train net on data { … }` calls the same built-in under its own name.
  static let fit = trainingBuiltin("fit")
  static let trainBlock = trainingBuiltin("train")

  private static func trainingBuiltin(_ name: String) -> Builtin {
    Builtin(name, [
      .required("net", .model, "the model"), .required("data", .dataset, "the training data"),
    ] + trainingParameters) { (context) throws(Diagnostic) in
      try TrainingSession(context).run()
    }
  }

  /// Training, schedules, metrics and evaluation.
  static let training: [Builtin] = [
    fit,
    Builtin("exponential", [.number("gamma", 0.9, "decay factor per epoch")],
            produces: .schedule) { (context) throws(Diagnostic) in
      try context.schedule(.exponential(gamma: try context.number("gamma")))
    },
    Builtin("cosine", [.number("min", 0, "the final learning rate")], produces: .schedule) { (context) throws(Diagnostic) in
      try context.schedule(.cosine(minimum: try context.number("min")))
    },
    Builtin("warmup", [
      .whole("epochs", 2, "epochs of linear warm-up"),
      Parameter("then", .schedule, default: .described("constant"), "the schedule after"),
    ], produces: .schedule) { (context) throws(Diagnostic) in
      let then = context.has("then") ? try context.scheduleValue("then") : .constant
      return try context.schedule(.warmup(epochs: try context.integer("epochs"),
                                          then: then))
    },
    metric("accuracy"), metric("precision"), metric("recall"), metric("f1"), metric("auc"),
    metric("r2"),
    Builtin("evaluate", [
      .required("net", .model, "the model"), .required("data", .dataset, "the data"),
      Parameter("loss", .loss, default: .described("from the targets"), "the loss"),
    ]) { (context) throws(Diagnostic) in
      let model = try context.model("net")
      let data = try context.dataArgument("data")
      return .record(try Evaluation.record(model, data, context: context))
    },
    Builtin("crossval", [
      .required("factory", .function, "fn () making a fresh model"),
      .required("data", .dataset, "the data"), .whole("folds", 5, "number of folds"),
    ] + trainingParameters) {
      (context) throws(Diagnostic) in
      try CrossValidation.run(context)
    },
  ]

  /// `accuracy(pred, y)` and friends compute the metric; named bare they are `metrics:` entries.
  private static func metric(_ name: String) -> Builtin {
    Builtin(name, [
      .required("pred", .tensor, "predictions"), .required("y", .tensor, "targets"),
    ]) { (context) throws(Diagnostic) in
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
