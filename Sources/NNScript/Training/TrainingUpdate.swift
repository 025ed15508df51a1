/// Live training progress for a host that draws it (a terminal bar): sent after every batch and
/// at the end of every epoch.
public struct TrainingUpdate: Sendable {
  /// The name of the model being trained.
  public var model: String
  /// The epoch in progress, out of `epochs`.
  public var epoch: Int
  /// The number of epochs the run will train.
  public var epochs: Int
  /// The batch just finished, out of `batches`.
  public var batch: Int
  /// The number of batches in one epoch.
  public var batches: Int
  /// Mean loss over the batches of this epoch so far.
  public var runningLoss: Double
  /// Samples per second in this epoch so far.
  public var samplesPerSecond: Double
  /// Estimated seconds left in this epoch.
  public var secondsLeft: Double
  /// Set on the update that ends an epoch: the line to keep (`epoch 3/30  loss 0.2314 …`).
  public var epochLine: String?
  /// Set on the update that ends an epoch: its figures as numbers, for a host's own display
  /// or log.
  public var summary: EpochSummary?

  /// Makes an update from its progress figures.
  public init(
    model: String, epoch: Int, epochs: Int, batch: Int, batches: Int, runningLoss: Double,
    samplesPerSecond: Double, secondsLeft: Double, epochLine: String?
  ) {
    self.model = model
    self.epoch = epoch
    self.epochs = epochs
    self.batch = batch
    self.batches = batches
    self.runningLoss = runningLoss
    self.samplesPerSecond = samplesPerSecond
    self.secondsLeft = secondsLeft
    self.epochLine = epochLine
  }

  /// One finished epoch's figures.
  public struct EpochSummary: Sendable {
    /// The epoch, from 1.
    public var epoch: Int
    /// The training loss: the mean over the epoch's batches.
    public var loss: Double
    /// The loss over the validation data, when the run has some.
    public var validationLoss: Double?
    /// Every figure of the epoch in the history's order and names: "loss", "val_loss", then
    /// each metric on the training data and (with validation data) "val_" and the metric.
    public var values: [(name: String, value: Double)]
    /// The learning rate the epoch used.
    public var learningRate: Double
    /// Wall-clock seconds the epoch took.
    public var seconds: Double

    /// The figure named `name` (`"accuracy"`, `"val_f1"`), if the run records it.
    public subscript(_ name: String) -> Double? {
      values.first { $0.name == name }?.value
    }
  }

  /// A figure of a progress display in four significant digits, as the epoch lines write it
  /// (`0.2314`, `1.235e-5`): hosts that draw their own display (a live bar) print its numbers
  /// with the language's number formatter through this.
  public static func figure(_ value: Double) -> String { ProgressReporter.format(value) }
}
