import NNRuntime
import NNSyntax

/// `train net on data { … }` and `fit(net, data, …)`: reads the options, hands the epoch loop to
/// the runtime's `Trainer`, reports progress, and turns the history into a record.
struct TrainingSession {
  let context: CallContext
  let model: ModelObject
  let data: Dataset

  init(_ context: CallContext) throws(Diagnostic) {
    self.context = context
    self.model = try context.model("net")
    self.data = try context.dataArgument("data")
  }

  /// The loss when none is given: cross-entropy for class targets (bce for one output),
  /// mean squared error otherwise. Targets of a data set made without `classes:` count as
  /// classes when a model of C > 1 outputs meets one column of whole numbers in 0..<C
  /// (`dataset(x, labels)`), or one whole number per position meets outputs `[T, C]`, as
  /// they do when training with cross_entropy.
  static func defaultLoss(for model: ModelObject, data: Dataset) -> LossObject {
    let output = model.network.outputShape
    if data.classes != nil {
      return LossObject(.builtin(output == [1] ? .bce : .crossEntropy))
    }
    // One index per row, or per position for a sequence model's outputs [T, C].
    let indices = [data.n] + output.dropLast()
    let column = data.y.shape == indices || data.y.shape == indices + [1]
    if let classes = output.last, output.count <= 2, classes > 1, column,
      data.y.scalars.allSatisfy({ $0 >= 0 && $0 < Float(classes) && $0.rounded() == $0 })
    {
      return LossObject(.builtin(.crossEntropy))
    }
    return LossObject(.builtin(.mse))
  }

  func run() throws(Diagnostic) -> Value {
    let loss = context.has("loss") ? try context.lossObject("loss")
      : Self.defaultLoss(for: model, data: data)
    let optimizer = context.has("optimizer") ? try context.optimizerObject("optimizer")
      : OptimizerObject(rule: OptimizerRule.defaults("adam")!, learningRate: 0.001)
    let configuration = try self.configuration(optimizer: optimizer)
    var (training, validation) = try splitValidation()
    let trainingData = try Self.trainingData(training, model: model, loss: loss, context: context)
    let validationData = try validation.map { (set) throws(Diagnostic) in
      try Self.trainingData(set, model: model, loss: loss, context: context)
    }
    validation = nil
    try checkMetrics(configuration.metrics, against: trainingData, loss: loss)
    var random = context.has("seed")
      ? RandomGenerator(seed: UInt64(bitPattern: Int64(try context.integer("seed"))))
      : context.evaluator.random
    let trainer = try Self.trainer(model, configuration, optimizer: optimizer, loss: loss,
                                   context: context)
    let reporter = ProgressReporter(model: model.name, epochs: configuration.epochs,
                                    mode: try context.progressMode(),
                                    options: context.evaluator.options)
    let evaluator = context.evaluator
    let snapshots = try context.optionalInteger("snapshots").map {
      SnapshotRecorder(model: model, every: $0)
    }
    let history: TrainingHistory
    do {
      history = try trainer.train(
        trainingData, validation: validationData, random: &random,
        progress: { update in
          reporter.report(update)
          if update.epochFinished { snapshots?.epochEnded(update.epoch, of: update.epochs) }
        },
        shouldStop: { evaluator.stopRequested })
      reporter.finish()
    } catch {
      // The last epoch's line, when the sample skipped it, prints however training ends.
      reporter.finish()
      var diagnostic = context.error(.numericError, error.message)
      if let note = NetworkRunner.layerNote(model, name: error.layer, tag: error.layerTag) {
        diagnostic.notes.append(note)
      }
      throw diagnostic
    }
    if !context.has("seed") { context.evaluator.random = random }
    if history.interrupted != nil, evaluator.pastTimeLimit {
      throw context.error(.resourceLimit, evaluator.timeLimitMessage
                            + "; \(model.name) keeps the weights of its last step")
    }
    if let stop = history.interrupted {
      throw context.error(.interrupted,
                          "training interrupted at epoch \(stop.epoch), batch \(stop.batch); "
                            + "\(model.name) keeps the weights of its last step")
    }
    var record = Record()
    for series in history.series {
      record[series.name] = .tensor(Tensor(series.values.map(Float.init)))
    }
    record["lr"] = .tensor(Tensor(history.learningRates.map(Float.init)))
    record["epochs"] = .number(Double(history.epochs))
    record["seconds"] = .number(history.seconds)
    record.addLayerNorms(history.layerNorms)
    if let snapshots {
      snapshots.finish(epochs: history.epochs, restoredBest: history.bestEpoch)
      if let refusal = snapshots.refusal {
        throw context.error(.resourceLimit, refusal, at: "snapshots")
      }
      record["snapshots"] = .list(snapshots.models)
      record["snapshot_epochs"] = .tensor(Tensor(snapshots.epochs.map(Float.init)))
    }
    return .record(record)
  }

  // MARK: - Options

  private func configuration(
    optimizer: OptimizerObject
  ) throws(Diagnostic) -> TrainingConfiguration {
    // Defaults and ranges are the declared ones (`Builtins.trainingParameters`).
    TrainingConfiguration(
      epochs: try context.integer("epochs"), batchSize: try context.optionalInteger("batch"),
      shuffle: try context.bool("shuffle"),
      optimizer: optimizer.rule, learningRate: optimizer.learningRate,
      schedule: context.has("schedule") ? try context.scheduleValue("schedule") : .constant,
      l2: try context.number("l2"), clip: try context.optionalNumber("clip"),
      earlyStop: try context.optionalInteger("early_stop"),
      metrics: try context.metricList("metrics"), checkNumerics: try context.bool("check_numerics"),
      watchGradients: try context.watchesGradients())
  }

  /// `validate:` — a dataset, or a fraction of the rows held out from the end (as Keras does,
  /// so the split does not depend on the seed).
  private func splitValidation() throws(Diagnostic) -> (Dataset, Dataset?) {
    guard let value = context.value("validate"), !value.isNil else { return (data, nil) }
    switch value {
    case .object(let other as DatasetObject):
      return (data, other.dataset)
    case .number(let fraction):
      guard fraction > 0, fraction < 1 else {
        throw context.error(
          .invalidArgument,
          "a validation fraction is between 0 and 1, not \(formatNumber(fraction))",
          at: "validate")
      }
      let held = Int((Double(data.n) * fraction).rounded())
      guard held >= 1, held < data.n else {
        throw context.error(.invalidArgument,
                            "validate: \(formatNumber(fraction)) of \(Dataset.rowCount(data.n)) "
                              + "leaves no rows "
                              + "for one of the two sets", at: "validate")
      }
      return (data.rows(Array(0..<(data.n - held))), data.rows(Array((data.n - held)..<data.n)))
    default:
      throw context.error(.typeMismatch,
                          "validate takes a dataset or a fraction, not a \(value.typeName)",
                          at: "validate")
    }
  }

  // MARK: - Metrics

  /// Each `metrics:` entry must fit the targets: an error at that entry, never a meaningless
  /// number.
  private func checkMetrics(
    _ metrics: [Metric], against data: TrainingData, loss: LossObject
  ) throws(Diagnostic) {
    let targets = Self.metricTargets(data, model: model, loss: loss)
    for metric in metrics {
      guard let problem = metric.mismatch(targets) else { continue }
      // The entry as written: its name or an alias (`acc`).
      let spellings = [metric.rawValue] + Metric.aliases.filter { $0.value == metric }.map(\.key)
      let range = context.bound["metrics"].map { argument in
        spellings.lazy.map { entryRange($0, in: argument.range) }.first { $0 != argument.range }
          ?? argument.range
      }
      throw context.error(.invalidArgument, problem, range: range ?? context.callRange)
    }
  }

  /// What the targets are to metrics: class labels (the data's classes, cross-entropy's
  /// indices), probabilities (cross-entropy's probability rows, bce's targets), or values.
  static func metricTargets(
    _ data: TrainingData, model: ModelObject, loss: LossObject
  ) -> MetricTargets {
    if let classes = data.classes { return .classes(classes) }
    guard case .builtin(let kind) = loss.kind else { return .values }
    let columns = model.network.outputShape.last ?? 1
    switch kind.targetKind {
    case .classes, .probabilities: return .probabilities(max(2, columns))
    case .values: return .values
    }
  }

  /// The range of the entry naming `name` in the source of a `metrics:` argument (a list
  /// literal such as `[accuracy, r2]`), or the whole argument when it is not written there.
  private func entryRange(_ name: String, in argument: SourceRange) -> SourceRange {
    let bytes = context.source.bytes
    let word = Array(name.utf8)
    let end = min(argument.end, bytes.count)
    func isNamePart(_ byte: UInt8) -> Bool {
      (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || byte == 0x5f
        || (byte >= 0x61 && byte <= 0x7a)
    }
    var start = argument.start
    while start + word.count <= end {
      if Array(bytes[start..<(start + word.count)]) == word,
        start == 0 || !isNamePart(bytes[start - 1]),
        start + word.count >= bytes.count || !isNamePart(bytes[start + word.count])
      {
        return SourceRange(start: start, end: start + word.count)
      }
      start += 1
    }
    return argument
  }

  // MARK: - Data and trainer

  /// A dataset's rows as the loss needs them: class indices for cross-entropy, one column for a
  /// one-output model, one-hot rows when class targets meet another loss.
  static func trainingData(
    _ data: Dataset, model: ModelObject, loss: LossObject, context: CallContext
  ) throws(Diagnostic) -> TrainingData {
    let output = model.network.outputShape
    let rows = data.n
    let input = model.network.inputShape
    guard Array(data.x.shape.dropFirst()) == input else {
      throw context.error(
        .shapeMismatch,
        "\(model.name) takes samples of shape \(shapeText(input)), but the data's x "
          + "has rows of shape \(shapeText(Array(data.x.shape.dropFirst())))",
        at: "data")
    }
    if let bad = model.network.invalidToken(in: data.x) {
      throw context.error(
        .invalidArgument,
        "\(bad.layer): token id \(formatNumber(Double(bad.id))) (element \(bad.position) of the "
          + "data's x) is not a whole number in [0, \(bad.vocab)), the layer's vocabulary",
        at: "data")
    }
    var y = data.y
    var isClassLoss = false
    if case .builtin(let kind) = loss.kind { isClassLoss = kind.targetKind == .classes }
    let at = context.has("loss") ? "loss" : "data"
    if let classes = data.classes {
      // Every loss checks the model's width against the classes before training: one logit
      // per class (cross-entropy), one-hot rows, or one column for two classes.
      let fits = isClassLoss
        ? output == [classes] || output.last == classes
        : output == [classes] || (output == [1] && classes <= 2)
      if !fits, isClassLoss || output.count == 1 {
        throw widthError(model, classes: classes, loss: loss, isClassLoss: isClassLoss,
                         at: at, context: context)
      }
      if !isClassLoss, output == [1] {
        y = NetworkRunner.reshaped(y, [rows, 1])
      } else if !isClassLoss, output == [classes] {
        y = oneHot(y, classes: classes)
      }
    } else if output == [1], y.shape == [rows], !isClassLoss {
      y = NetworkRunner.reshaped(y, [rows, 1])
    }
    try checkPredictions(model, loss: loss, context: context)
    let prediction = [rows] + output
    guard case .builtin(let kind) = loss.kind else {
      guard y.shape == prediction else {
        throw context.error(
          .shapeMismatch,
          "loss \(loss.name): \(model.name) gives outputs of shape "
            + "\(shapeText(prediction)) but the target has shape "
            + shapeText(y.shape), at: at)
      }
      return TrainingData(x: data.x, y: y, classes: data.classes)
    }
    do throws(LossTargetError) {
      // The loss's own rule: a dataset without `classes:` whose targets are whole numbers
      // trains with cross-entropy as class indices, and its metrics see classes.
      y = try kind.checkedTarget(y, prediction: prediction, model: model.name)
    } catch {
      // A wrong value is the data's fault; a wrong shape may be the loss's choice.
      throw context.error(error.row == nil ? .shapeMismatch : .dataError,
                          "loss \(loss.name): \(error.message)",
                          at: error.row == nil ? at : "data", hint: error.hint)
    }
    let indices = isClassLoss && y.shape == Array(prediction.dropLast())
    return TrainingData(x: data.x, y: y, classes: data.classes ?? (indices ? output.last : nil))
  }

  /// A model whose width does not fit the data's classes, with the layer that would.
  private static func widthError(
    _ model: ModelObject, classes: Int, loss: LossObject, isClassLoss: Bool, at: String,
    context: CallContext
  ) -> Diagnostic {
    let width = model.network.outputShape.last ?? 0
    let outputs = Evaluator.count(width, "output")
    var hint = "end the model with dense(\(classes)), one logit per class"
    if isClassLoss, width == 1, classes == 2 {
      hint = "for two classes and one output, train with loss: bce and end the model with "
        + "dense(1, sigmoid)"
    } else if !isClassLoss, context.has("loss") {
      let sigmoid = loss.name == "bce" ? ", sigmoid" : ""
      hint = "end the model with dense(\(classes)\(sigmoid)) for one-hot targets"
    }
    return context.error(.shapeMismatch,
                         "\(model.name) has \(outputs) but the data has \(classes) classes",
                         at: at, hint: hint)
  }

  /// A loss that reads probabilities (bce) bound to a model that does not end in them: the
  /// loss's own rule (`LossKind.predictionProblem`), reported before the first epoch.
  static func checkPredictions(
    _ model: ModelObject, loss: LossObject, context: CallContext
  ) throws(Diagnostic) {
    guard case .builtin(let kind) = loss.kind,
      let problem = kind.predictionProblem(model.network, model: model.name)
    else { return }
    let chosen = context.has("loss") ? "" : "the default loss is \(kind.name); "
    throw context.error(.invalidArgument, chosen + problem.message,
                        at: context.has("loss") ? "loss" : "net", hint: problem.hint)
  }

  static func oneHot(_ labels: Tensor, classes: Int) -> Tensor {
    var values = [Float](repeating: 0, count: labels.count * classes)
    for (row, label) in labels.scalars.enumerated() where Int(label) < classes && label >= 0 {
      values[row * classes + Int(label)] = 1
    }
    return Tensor(shape: [labels.count, classes], scalars: values)
  }

  /// A trainer whose loss is the built-in op, or the script function traced into the graph.
  static func trainer(
    _ model: ModelObject, _ configuration: TrainingConfiguration, optimizer: OptimizerObject,
    loss: LossObject, context: CallContext
  ) throws(Diagnostic) -> Trainer {
    let evaluator = context.evaluator
    let lossNode: (inout Graph, NodeID, NodeID) throws(GraphError) -> NodeID
    switch loss.kind {
    case .builtin(let kind):
      lossNode = { (graph, prediction, target) throws(GraphError) in
        try graph.add(.loss(kind), [prediction, target])
      }
    case .custom(let function):
      lossNode = { (graph, prediction, target) throws(GraphError) in
        let tracer = Tracer()
        tracer.graph = graph
        let arguments = [prediction, target].map { node in
          ArgumentValue(label: nil, labelRange: nil,
                        value: .object(SymbolicTensor(tracer: tracer, node: node)),
                        range: context.callRange)
        }
        let result: Value
        do throws(Unwind) {
          result = try evaluator.callFunction(function, arguments, callRange: context.callRange)
        } catch {
          throw GraphError(message: NetworkRunner.diagnostic(error, call: context).message)
        }
        guard let traced = result.symbolic, traced.tracer === tracer, traced.shape.isEmpty else {
          throw GraphError(message: "the loss function \(function.name) must return one number")
        }
        graph = tracer.graph
        return traced.node
      }
    }
    let mask = model.network.weightMask
    let state: OptimizerState<Float>
    switch optimizer.state(for: model.network) {
    case .success(let made): state = made
    case .failure(let refusal): throw context.error(.resourceLimit, refusal.message)
    }
    do {
      let trainer = try Trainer(network: model.network, configuration: configuration,
                                optimizerState: state, lossNode: lossNode, weightMask: mask)
      trainer.communicator = evaluator.options.communicator
      if case .builtin(let kind) = loss.kind { trainer.lossKind = kind }
      return trainer
    } catch {
      if error.isResourceLimit { throw context.error(.resourceLimit, error.message) }
      throw context.error(.shapeMismatch, "loss \(loss.name): \(error.message)")
    }
  }
}

/// Epoch lines (`epoch 3/30  loss 0.2314  val_loss 0.2541  accuracy 0.931  0.12s`) through the
/// output handler, or live updates to a host that draws them.
final class ProgressReporter {
  let model: String
  let epochs: Int
  let mode: ProgressMode
  let options: InterpreterOptions
  /// The latest epoch line the sample left out, printed by `finish` if it is the last.
  private var skipped: String?

  init(model: String, epochs: Int, mode: ProgressMode, options: InterpreterOptions) {
    self.model = model
    self.epochs = epochs
    self.mode = mode
    self.options = options
  }

  func report(_ progress: TrainingProgress) {
    // Every rank of a data-parallel run sees the same progress; rank 0 shows it.
    guard mode != .off, (options.communicator?.rank ?? 0) == 0 else { return }
    let line = progress.epochFinished ? epochLine(progress) : nil
    if let live = options.trainingProgress {
      let rate = progress.elapsed > 0 ? Double(progress.samplesSeen) / progress.elapsed : 0
      let perBatch = progress.batch > 0 ? progress.elapsed / Double(progress.batch) : 0
      var update = TrainingUpdate(
        model: model, epoch: progress.epoch, epochs: progress.epochs, batch: progress.batch,
        batches: progress.batches, runningLoss: progress.runningLoss, samplesPerSecond: rate,
        secondsLeft: perBatch * Double(max(0, progress.batches - progress.batch)),
        epochLine: line)
      if progress.epochFinished {
        let values = Array(zip(progress.names, progress.values))
        update.summary = TrainingUpdate.EpochSummary(
          epoch: progress.epoch, loss: values.first { $0.0 == "loss" }?.1 ?? progress.runningLoss,
          validationLoss: values.first { $0.0 == "val_loss" }?.1,
          values: values.map { (name: $0.0, value: $0.1) },
          learningRate: progress.learningRate, seconds: progress.elapsed)
      }
      live(update)
    } else if let line {
      // Off a terminal a long run prints a sample of its epochs unless asked for every one.
      if mode == .every || ProgressMode.samples(epoch: progress.epoch, of: progress.epochs) {
        options.output(line + "\n")
        skipped = nil
      } else {
        skipped = line
      }
    }
  }

  /// Ends the run's lines: an epoch the sample skipped prints when it was the last one run.
  func finish() {
    if let skipped { options.output(skipped + "\n") }
    skipped = nil
  }

  private func epochLine(_ progress: TrainingProgress) -> String {
    let width = String(progress.epochs).count
    let epoch = String(progress.epoch)
    var line = "epoch " + String(repeating: " ", count: max(0, width - epoch.count)) + epoch
      + "/\(progress.epochs)"
    let order = ["loss", "val_loss"] + progress.record.keys.filter {
      $0 != "loss" && $0 != "val_loss"
    }.sorted { lhs, rhs in
      // Training metrics first, then their validation twins, each in name order.
      (lhs.hasPrefix("val_") ? 1 : 0, lhs) < (rhs.hasPrefix("val_") ? 1 : 0, rhs)
    }
    for name in order {
      guard let value = progress.record[name] else { continue }
      line += "  \(name) \(Self.format(value))"
    }
    if options.showsTimings { line += "  " + Self.duration(progress.elapsed) }
    return line
  }

  /// `259ms`, `1.21ms`, `2.31s`: three significant digits in a unit that keeps them short.
  static func duration(_ seconds: Double) -> String {
    func three(_ x: Double) -> String {
      let decimals = x >= 100 ? 0 : x >= 10 ? 1 : 2
      var scale = 1.0
      for _ in 0..<decimals { scale *= 10 }
      return formatNumber((x * scale).rounded() / scale)
    }
    return seconds < 1 ? three(seconds * 1000) + "ms" : three(seconds) + "s"
  }

  /// Four significant digits: enough to watch a loss fall, short enough to scan.
  static func format(_ value: Double) -> String {
    guard value.isFinite, value != 0 else { return formatNumber(value) }
    let magnitude = value.decimalExponent
    let decimals = max(0, 3 - magnitude)
    // 10^decimals overflows past 10^308: such a figure (a subnormal) prints whole.
    guard decimals <= 300 else { return formatNumber(value) }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    return formatNumber(rounded)
  }
}
