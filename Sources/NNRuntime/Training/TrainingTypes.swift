// The values that go in and out of a training run. The loop itself is in Trainer.swift.

/// How a network is trained: epochs, batching, the optimizer and what is recorded.
public struct TrainingConfiguration: Sendable {
  /// Passes over the training set (≥ 1).
  public var epochs: Int
  /// Rows per batch; nil = the whole set (batch gradient descent); 1 = stochastic.
  public var batchSize: Int?
  /// Reshuffle the rows every epoch (with the generator passed to `train`); a run whose one
  /// batch holds every row does not shuffle, as the order cannot matter.
  public var shuffle: Bool
  /// The update rule, validated here; the trainer applies its `OptimizerState`'s rule, which
  /// the caller builds from this one.
  public var optimizer: OptimizerRule
  /// The base learning rate the schedule scales.
  public var learningRate: Double
  /// The per-epoch learning-rate schedule.
  public var schedule: LearningRateSchedule
  /// Adds l2/2·Σ‖W‖² over the weights (not biases) to the reported training loss, and l2·W
  /// to their gradients.
  public var l2: Double
  /// Clips the global L2 norm of the gradient (after l2) to this, as clip_grad_norm_.
  public var clip: Double?
  /// Patience in epochs without improvement of the monitored loss (val_loss with validation
  /// data, else loss); the best weights are restored at the end.
  public var earlyStop: Int?
  /// Metrics recorded each epoch on the training set and on the validation set.
  public var metrics: [Metric]
  /// Scan every kernel's result in every step (forward and backward) and stop at the first
  /// non-finite value, naming its op and layer. Off by default: it reads every buffer again.
  public var checkNumerics: Bool
  /// Whether to record each layer's gradient and weight norms per epoch
  /// (`TrainingHistory.layerNorms`).
  public var watchGradients: Bool

  /// A configuration; the defaults shuffle, keep the rate constant and add no regularisation.
  public init(
    epochs: Int, batchSize: Int? = nil, shuffle: Bool = true, optimizer: OptimizerRule,
    learningRate: Double, schedule: LearningRateSchedule = .constant, l2: Double = 0,
    clip: Double? = nil, earlyStop: Int? = nil, metrics: [Metric] = [],
    checkNumerics: Bool = false, watchGradients: Bool = false
  ) {
    self.epochs = epochs
    self.batchSize = batchSize
    self.shuffle = shuffle
    self.optimizer = optimizer
    self.learningRate = learningRate
    self.schedule = schedule
    self.l2 = l2
    self.clip = clip
    self.earlyStop = earlyStop
    self.metrics = metrics
    self.checkNumerics = checkNumerics
    self.watchGradients = watchGradients
  }

  /// A message describing the first invalid setting, or nil when all are valid.
  public func validate() -> String? {
    if epochs < 1 { return "epochs must be a whole number ≥ 1, got \(epochs)" }
    if let batchSize, batchSize < 1 {
      return "batch must be a whole number ≥ 1, got \(batchSize)"
    }
    if let message = OptimizerRule.validate(learningRate: learningRate) { return message }
    if let message = optimizer.validate() { return message }
    if let message = schedule.validate() { return message }
    if !(l2.isFinite && l2 >= 0) {
      return "l2 must be a finite number ≥ 0, got \(formatNumber(l2))"
    }
    if let clip, !(clip.isFinite && clip > 0) {
      return "clip must be a finite number > 0, got \(formatNumber(clip))"
    }
    if let earlyStop, earlyStop < 1 {
      return "early_stop must be a whole number ≥ 1, got \(earlyStop)"
    }
    return nil
  }
}

/// A dataset already shaped for the plan.
public struct TrainingData: Sendable {
  /// Inputs `[rows] + inputShape`.
  public var x: Tensor
  /// Targets `[rows, …]` as the loss needs them.
  public var y: Tensor
  /// For classification metrics: the number of classes; `y` holds class indices `[n]` or
  /// one-hot rows `[n, k]`.
  public var classes: Int?

  /// A dataset of inputs and targets.
  public init(x: Tensor, y: Tensor, classes: Int? = nil) {
    self.x = x
    self.y = y
    self.classes = classes
  }

  /// The number of rows.
  public var rows: Int { x.shape.first ?? 0 }
}

/// Where a run is, reported after every batch and at the end of every epoch.
public struct TrainingProgress: Sendable {
  /// The 1-based epoch number.
  public var epoch: Int
  /// The number of epochs of the run.
  public var epochs: Int
  /// Batches done in this epoch (1-based: the batch just finished).
  public var batch: Int
  /// Batches per epoch.
  public var batches: Int
  /// Rows processed in this epoch so far.
  public var samplesSeen: Int
  /// The mean loss over this epoch's rows so far (with the l2 term).
  public var runningLoss: Double
  /// Seconds since this epoch started.
  public var elapsed: Double
  /// True once per epoch, after validation and metrics; `names` and `values` are then filled.
  public var epochFinished: Bool
  /// When `epochFinished`: the series names (loss, val_loss, accuracy, …) in history order.
  public var names: [String]
  /// When `epochFinished`: the epoch's value of each series in `names`.
  public var values: [Double]
  /// The learning rate of this epoch.
  public var learningRate: Double

  /// The epoch's values by series name (empty until `epochFinished`). Built on demand: most
  /// runs print no per-epoch line, and a dictionary per epoch is a cost a one-step epoch feels.
  public var record: [String: Double] {
    Dictionary(zip(names, values), uniquingKeysWith: { first, _ in first })
  }
}

/// The per-epoch values of a run.
public struct TrainingHistory: Sendable {
  /// "loss", then "val_loss" with validation data, then each metric on the training set and on
  /// the validation set ("accuracy", "val_accuracy", …), one value per completed epoch.
  public var series: [(name: String, values: [Double])]
  /// The learning rate of each completed epoch, as the schedule set it (every step of an epoch
  /// uses one rate: schedules change it between epochs).
  public var learningRates: [Double] = []
  /// Completed epochs.
  public var epochs: Int
  /// Wall-clock seconds of the whole run.
  public var seconds: Double
  /// Whether early stopping ended the run (the best weights were then restored).
  public var stoppedEarly: Bool
  /// The 1-based epoch and batch after which `shouldStop` ended the run.
  public var interrupted: (epoch: Int, batch: Int)?
  /// The 1-based epoch whose weights the network holds when early stopping restored them.
  public var bestEpoch: Int?
  /// Each layer's gradient and weight norms per completed epoch, with `watchGradients`.
  public var layerNorms: [LayerNorms] = []

  /// The values of the series `name`.
  public subscript(name: String) -> [Double]? {
    series.first { $0.name == name }?.values
  }
}

/// A run that could not go on: a non-finite loss, gradient or (with `checkNumerics`) value
/// (the weights of the last finite step are restored) or a plan that would not compile.
public struct TrainingFailure: Error, Sendable, CustomStringConvertible {
  /// The user-facing text, naming the epoch, the batch and the layer.
  public var message: String
  /// The 1-based epoch where the failure happened (0 before the first batch).
  public var epoch: Int
  /// The 1-based batch where the failure happened (0 outside a batch).
  public var batch: Int
  /// The first layer whose output (or, for a gradient, whose value's gradient) was not
  /// finite, if one was.
  public var layer: String?
  /// The source tag of `layer`, for pointing at its declaration.
  public var layerTag: Int?
  /// The first non-finite value a checked run found (with `checkNumerics`, or when a
  /// non-finite loss or gradient was traced back to its op).
  public var fault: NumericFault?
  /// When a plan failed to compile: the graph error, whose tag points at the script.
  public var graphError: GraphError?

  /// A failure from its parts.
  public init(message: String, epoch: Int, batch: Int, layer: String? = nil,
              layerTag: Int? = nil, fault: NumericFault? = nil, graphError: GraphError? = nil) {
    self.message = message
    self.epoch = epoch
    self.batch = batch
    self.layer = layer
    self.layerTag = layerTag
    self.fault = fault
    self.graphError = graphError
  }

  /// The message.
  public var description: String { message }
}
