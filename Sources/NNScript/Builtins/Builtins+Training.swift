import NNRuntime
import NNSyntax

extension Builtins {
  /// Names of `fit`'s options, which are also the options of a `train … on … { }` block.
  static let trainingOptions = trainingParameters.map(\.name)

  /// `fit`'s options, declared once for `fit`, `train … { }` and `crossval`.
  static let trainingParameters: [Parameter] = [
    Parameter("loss", .loss, default: .described("from the targets"), "the loss"),
    Parameter("optimizer", .optimizer, default: .described("adam"), "the optimizer"),
    .whole("epochs", 10, "passes over the data").within(.atLeastOne) {
      "epochs must be at least 1, not \($0)"
    },
    Parameter("batch", .wholeNumber, default: .described("all rows"), "rows per step")
      .within(.atLeastOne) { "a batch holds at least 1 sample, not \($0)" },
    .flag("shuffle", true, "shuffle the rows every epoch"),
    .optional("validate", .any, "a dataset, or a fraction held out from the end"),
    .optional("metrics", .metric, "metrics reported each epoch"),
    .number("l2", 0, "L2 penalty on the weights").within(.nonNegative) { _ in
      "l2 must be a number ≥ 0"
    },
    .optional("clip", .number, "largest gradient norm").within(.positive) { _ in
      "clip must be a number > 0"
    },
    Parameter("schedule", .schedule, default: .described("constant"), "learning-rate schedule"),
    .optional("early_stop", .wholeNumber, "patience in epochs").within(.atLeastOne) { _ in
      "early_stop is a patience in epochs, at least 1"
    },
    .optional("seed", .wholeNumber, "seed for shuffling and dropout"),
    Parameter("progress", .progress, default: .bool(true),
              "a bar, or about 30 epoch lines off a terminal; \"every\": all"),
    .flag("check_numerics", false, "fail on nan or infinity"),
  ]

  /// `fit(net, data, …)`; `train net on data { … }` calls the same built-in under its own name.
  static let fit = trainingBuiltin("fit", doc: BuiltinDoc(
    "training", "Trains a network on a dataset and returns the per-epoch history.",
    "let m = model(2) { dense(8, tanh); dense(1, sigmoid) }\n"
      + "let h = fit(m, xor(), epochs: 5, optimizer: adam(lr: 0.1), progress: false)"))
  static let trainBlock = trainingBuiltin("train", doc: nil)

  private static func trainingBuiltin(_ name: String, doc: BuiltinDoc?) -> Builtin {
    Builtin(name, [
      .required("net", .model, "the model"), .required("data", .dataset, "the training data"),
    ] + trainingParameters + watchParameters, doc: doc, discardable: true) {
      (context) throws(Diagnostic) in
      try TrainingSession(context).run()
    }
  }

  /// Training, schedules, metrics and evaluation.
  static let training: [Builtin] = [
    fit,
    Builtin("exponential", LearningRateSchedule.exponentialHyperparameters.map(Parameter.init),
            doc: BuiltinDoc(
      "training",
      "A schedule multiplying the learning rate by gamma every epoch.",
      "let m = model(2) { dense(1, sigmoid) }\n"
      + "fit(m, xor(), epochs: 3, schedule: exponential(0.9), progress: false)"),
            produces: .schedule) { (context) throws(Diagnostic) in
      try context.schedule(.exponential(gamma: try context.number("gamma")))
    },
    Builtin("cosine", LearningRateSchedule.cosineHyperparameters.map(Parameter.init),
            doc: BuiltinDoc(
      "training",
      "A schedule annealing the learning rate to min along a cosine over the run.",
      "let m = model(2) { dense(1, sigmoid) }\n"
      + "fit(m, xor(), epochs: 3, "
      + "schedule: cosine(min: 0.001), "
      + "progress: false)"), produces: .schedule) { (context) throws(Diagnostic) in
      try context.schedule(.cosine(minimum: try context.number("min")))
    },
    Builtin("warmup", LearningRateSchedule.warmupHyperparameters.map(Parameter.wholeNumber) + [
      Parameter("then", .schedule, default: .described("constant"), "the schedule after"),
    ], doc: BuiltinDoc(
      "training",
      "A schedule ramping the rate up linearly over epochs, then following then.",
      "let m = model(2) { dense(1, sigmoid) }\n"
      + "fit(m, xor(), epochs: 4, "
      + "schedule: warmup(epochs: 2, "
      + "then: cosine()), progress: false)"), produces: .schedule) { (context) throws(Diagnostic) in
      let then = context.has("then") ? try context.scheduleValue("then") : .constant
      return try context.schedule(.warmup(epochs: try context.integer("epochs"),
                                          then: then))
    },
    metric("accuracy",
           "The fraction of rows (or positions) whose predicted class is the target; bare, a "
             + "metric.",
           "print(accuracy([[0.9, 0.1], [0.2, 0.8]], [0, 0]))"),
    metric("precision",
           "Of the rows predicted positive, the fraction that are (macro for classes).",
           "print(precision([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7]], [0, 1, 0]))"),
    metric("recall",
           "Of the positive rows, the fraction predicted positive (macro for classes).",
           "print(recall([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], [0, 1, 1]))"),
    metric("f1", "The harmonic mean of precision and recall.",
           "print(f1([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], [0, 1, 1]))"),
    metric("auc", "The area under the ROC curve for two classes.",
           "print(auc([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]], [0, 1, 1, 1]))"),
    metric("r2", "The coefficient of determination of a regression.",
           "print(r2([[1], [2], [3]], [[1], [2], [4]]))"),
  ] + Metric.aliases.sorted { $0.key < $1.key }.map { alias, metric in
    Self.metric(alias, "Another name of \(metric.rawValue) (Keras's spelling); bare, a metric.",
                "print(\(alias)([[0.9, 0.1], [0.2, 0.8]], [0, 0]))", computes: metric.rawValue)
  } + [
    Builtin("evaluate", [
      .required("net", .model, "the model"), .required("data", .dataset, "the data"),
      Parameter("loss", .loss, default: .described("from the targets"), "the loss"),
    ], doc: BuiltinDoc(
      "training",
      "Returns a record of the loss and metrics of a network over a whole dataset.",
      "let m = model(2) { dense(1, sigmoid) }\n"
      + "print(evaluate(m, xor()).loss)")) { (context) throws(Diagnostic) in
      let model = try context.model("net")
      let data = try context.dataArgument("data")
      return .record(try Evaluation.record(model, data, context: context))
    },
    Builtin("crossval", [
      .required("factory", .function, "fn () making a fresh model")
        .hinting("crossval(fn () { model(2) { dense(1) } }, data)"),
      .required("data", .dataset, "the data"), .whole("folds", 5, "number of folds"),
    ] + trainingParameters, doc: BuiltinDoc(
      "training",
      "Trains a fresh model per fold and returns each metric's mean and std.",
      "let f = fn () { model(2) { dense(4, tanh); dense(1, sigmoid) } }\n"
      + "print(crossval(f, moons(n: 40, seed: 1), folds: 2, epochs: 2))")) {
      (context) throws(Diagnostic) in
      try CrossValidation.run(context)
    },
  ]

  /// `accuracy(pred, y)` and friends compute the metric; named bare they are `metrics:` entries.
  /// `computes` names the metric an alias stands for.
  private static func metric(
    _ name: String, _ summary: String, _ example: String, computes: String? = nil
  ) -> Builtin {
    Builtin(name, [
      .required("pred", .tensor, "predictions"), .required("y", .tensor, "targets"),
    ], doc: BuiltinDoc("metrics", summary, example)) { (context) throws(Diagnostic) in
      let predictions = try context.tensorLike("pred")
      let targets = try context.tensorLike("y")
      let value = try Evaluation.metric(computes ?? name, predictions: predictions,
                                        targets: targets, context: context)
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
      if let metricName, let metric = Metric.named(metricName) { return metric }
      let names = Metric.allCases.map(\.rawValue)
      throw error(.typeMismatch,
                  "a metric is one of \(names.joined(separator: ", ")), not "
                    + ValueFormatter.describe(item), at: name,
                  hint: metricName.flatMap { Suggestions.nearest(to: $0, in: names) }
                    .map { "did you mean \($0)?" })
    }
  }
}
