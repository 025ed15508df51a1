import NNRuntime
import NNSyntax

/// `evaluate(net, data)` and the metric built-ins: everything over the whole dataset at once.
enum Evaluation {
  static func record(
    _ model: ModelObject, _ data: Dataset, context: CallContext
  ) throws(Diagnostic) -> Record {
    let (result, trainingData, loss) = try predict(model, data, context: context)
    var record = Record()
    record["loss"] = .number(Value.float32(result.loss))
    // Class metrics for class labels (a dataset's classes, or cross-entropy's indices), value
    // metrics otherwise; of those, only the ones that apply (auc needs two classes).
    if let classes = trainingData.classes {
      let labels = Metrics.labels(from: trainingData.y, predictions: result.predictions.shape)
      let report = Metrics.classification(scores: result.predictions, labels: labels,
                                          classes: classes)
      record["accuracy"] = .number(Value.float32(report.accuracy))
      record["precision"] = .number(Value.float32(report.precision))
      record["recall"] = .number(Value.float32(report.recall))
      record["f1"] = .number(Value.float32(report.f1))
      let confusion = report.confusion.flatMap { $0.map(Float.init) }
      record["confusion"] = .tensor(Tensor(shape: [classes, classes], scalars: confusion))
      if let auc = report.auc, Metric.auc.mismatch(.classes(classes)) == nil {
        record["auc"] = .number(Value.float32(auc))
      }
    } else {
      let report = Metrics.regression(predictions: result.predictions, targets: trainingData.y)
      record["mse"] = .number(Value.float32(report.mse))
      record["mae"] = .number(Value.float32(report.mae))
      record["r2"] = .number(Value.float32(report.r2))
    }
    // A metric that is the loss itself (`loss: mse` beside `mse`) is one quantity: it takes the
    // loss's value, so the record prints it once, the same both times, as `mse(pred, y)` does.
    if case .builtin(let kind) = loss.kind, record[kind.name] != nil {
      record[kind.name] = record["loss"]
    }
    return record
  }

  /// The model's loss and predictions over the whole dataset, with the targets as the loss
  /// reads them (`loss:` of the call, or the default for the data): what `evaluate` and the
  /// evaluation pictures measure.
  static func predict(
    _ model: ModelObject, _ data: Dataset, context: CallContext
  ) throws(Diagnostic) -> (
    result: (loss: Double, predictions: Tensor), data: TrainingData, loss: LossObject
  ) {
    let loss = context.has("loss") ? try context.lossObject("loss")
      : TrainingSession.defaultLoss(for: model, data: data)
    let trainingData = try TrainingSession.trainingData(data, model: model, loss: loss,
                                                        context: context)
    let configuration = TrainingConfiguration(
      epochs: 1, batchSize: nil, shuffle: false, optimizer: OptimizerRule.defaults("sgd")!,
      learningRate: 0, schedule: .constant, l2: 0, clip: nil, earlyStop: nil, metrics: [])
    let trainer = try TrainingSession.trainer(
      model, configuration, optimizer: OptimizerObject(rule: OptimizerRule.defaults("sgd")!,
                                                       learningRate: 0),
      loss: loss, context: context)
    let result: (loss: Double, predictions: Tensor)
    let evaluator = context.evaluator
    do {
      result = try trainer.evaluate(trainingData, shouldStop: { evaluator.stopRequested })
    } catch {
      if error == .stopped {
        let stop = evaluator.stopDiagnostic(at: nil)
        throw context.error(stop.code, stop.message)
      }
      throw context.error(.shapeMismatch, error.message)
    }
    return (result, trainingData, loss)
  }

  /// One metric of predictions against targets: class metrics when the targets are class
  /// indices (`[n]`) or one-hot rows, regression metrics otherwise.
  static func metric(
    _ name: String, predictions: Tensor, targets: Tensor, context: CallContext
  ) throws(Diagnostic) -> Value {
    try checkRows(name, predictions: predictions, targets: targets, context: context)
    if ["mse", "mae", "r2"].contains(name) {
      guard targets.count == predictions.count else {
        throw context.error(.shapeMismatch,
                            "\(name): predictions \(shapeText(predictions.shape)) and "
                              + "targets \(shapeText(targets.shape)) differ")
      }
      let report = Metrics.regression(
        predictions: predictions, targets: NetworkRunner.reshaped(targets, predictions.shape))
      let value = name == "mse" ? report.mse : name == "mae" ? report.mae : report.r2
      return .number(Value.float32(value))
    }
    let (labels, classes) = try classLabels(name, predictions: predictions, targets: targets,
                                            context: context)
    let report = Metrics.classification(scores: predictions, labels: labels, classes: classes)
    switch name {
    case "accuracy": return .number(Value.float32(report.accuracy))
    case "precision": return .number(Value.float32(report.precision))
    case "recall": return .number(Value.float32(report.recall))
    case "f1": return .number(Value.float32(report.f1))
    default:
      guard let auc = report.auc else {
        throw context.error(.invalidArgument,
                            "auc needs two classes, both present among the targets")
      }
      return .number(Value.float32(auc))
    }
  }

  /// Refuses predictions and targets of different row counts, or none.
  static func checkRows(
    _ name: String, predictions: Tensor, targets: Tensor, context: CallContext
  ) throws(Diagnostic) {
    let rows = predictions.shape.first ?? 0
    guard targets.shape.first == rows, rows > 0 else {
      throw context.error(.shapeMismatch,
                          "\(name): \(Evaluator.count(rows, "prediction")) but "
                            + Evaluator.count(targets.shape.first ?? 0, "target"))
    }
  }

  /// The class index of each row (or position) of `targets` for class scores `predictions`,
  /// and the number of classes the scores tell apart (2 for one column): indices `[n]` or
  /// `[n, 1]`, one-hot rows, or per-position indices of `[n, T, k]` scores. `name` is the
  /// built-in the errors name; the targets are its argument `y`.
  static func classLabels(
    _ name: String, predictions: Tensor, targets: Tensor, context: CallContext
  ) throws(Diagnostic) -> (labels: [Int], classes: Int) {
    let classes = max(2, predictions.rank >= 2 ? predictions.shape[predictions.rank - 1] : 2)
    let labels: [Int]
    if predictions.rank == 3 {
      // Per-position scores [n, T, C]: a label per position, as indices [n, T] or [n, T, 1]
      // or one-hot rows [n, T, C]; every metric counts the n·T positions.
      let positions = Array(predictions.shape.dropLast())
      guard targets.shape == positions || targets.shape == positions + [1]
        || targets.shape == predictions.shape
      else {
        throw context.error(.shapeMismatch,
                            "\(name): the predictions have shape \(shapeText(predictions.shape)), "
                              + "so the targets must be class indices \(shapeText(positions)) "
                              + "or one-hot rows \(shapeText(predictions.shape)), not shape "
                              + shapeText(targets.shape), at: "y")
      }
      labels = targets.shape == predictions.shape
        ? Metrics.labels(from: targets)
        : targets.scalars.map { Int($0.rounded()) }
    } else if targets.rank == 2, targets.shape[1] > 1 {
      labels = (try? targets.reduce(.argmax, axis: 1))?.scalars.map { Int($0) } ?? []
    } else {
      labels = targets.scalars.map { Int($0.rounded()) }
    }
    guard labels.allSatisfy({ $0 >= 0 && $0 < classes }) else {
      throw context.error(.dataError,
                          "\(name): the targets must be class indices below \(classes)", at: "y")
    }
    return (labels, classes)
  }
}

/// `crossval(factory, data, folds: 5, …)`: a fresh model per fold, trained on the other folds
/// and evaluated on its own.
enum CrossValidation {
  static func run(_ context: CallContext) throws(Diagnostic) -> Value {
    // The binder has checked that `factory` is a function (its declared kind).
    let factory = try context.function("factory")
    let data = try context.dataArgument("data")
    let folds = try context.integer("folds")
    guard folds >= 2, folds <= data.n else {
      throw context.error(.invalidArgument,
                          "folds must be between 2 and the number of rows (\(data.n))",
                          at: "folds")
    }
    var random = context.has("seed")
      ? RandomGenerator(seed: UInt64(bitPattern: Int64(try context.integer("seed"))))
      : context.evaluator.random
    let shuffled = data.shuffled(random: &random)
    var results: [String: [Double]] = [:]
    var order: [String] = []
    for fold in 0..<folds {
      let start = fold * shuffled.n / folds
      let end = (fold + 1) * shuffled.n / folds
      let test = shuffled.rows(Array(start..<end))
      let train = shuffled.rows(Array(0..<start) + Array(end..<shuffled.n))
      let made: Value
      do {
        made = try context.evaluator.callFunction(factory, [], callRange: context.callRange)
      } catch {
        throw NetworkRunner.diagnostic(error, call: context)
      }
      guard case .object(let model as ModelObject) = made else {
        throw context.error(.typeMismatch,
                            "the factory must return a model, not a \(made.typeName)",
                            at: "factory")
      }
      if fold == 0 {
        // The targets checked once, whole, so an error names the row of the data as given.
        let loss = context.has("loss") ? try context.lossObject("loss")
          : TrainingSession.defaultLoss(for: model, data: data)
        _ = try TrainingSession.trainingData(data, model: model, loss: loss, context: context)
      }
      var foldContext = context
      foldContext.bound["net"] = ArgumentValue(label: nil, labelRange: nil, value: made,
                                               range: context.callRange)
      foldContext.bound["data"] = ArgumentValue(
        label: nil, labelRange: nil, value: .object(DatasetObject(train)),
        range: context.callRange)
      if foldContext.bound["progress"] == nil {
        foldContext.bound["progress"] = ArgumentValue(label: nil, labelRange: nil,
                                                      value: .bool(false),
                                                      range: context.callRange)
      }
      _ = try TrainingSession(foldContext).run()
      let record = try Evaluation.record(model, test, context: foldContext)
      for field in record.fields {
        guard case .number(let value) = field.value else { continue }
        if results[field.name] == nil { order.append(field.name) }
        results[field.name, default: []].append(value)
      }
    }
    if !context.has("seed") { context.evaluator.random = random }
    var summary = Record()
    for name in order {
      let values = results[name] ?? []
      let mean = values.reduce(0, +) / Double(values.count)
      let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
      // The folds' metrics are float32 quantities, and so are their summaries.
      summary[name] = .record(Record([("mean", .number(Value.float32(mean))),
                                      ("std", .number(Value.float32(variance.squareRoot())))]))
    }
    return .record(summary)
  }
}
