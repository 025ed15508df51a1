#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Learning-rate schedules, evaluated in closed form per epoch so that a schedule is a pure
// function of (base rate, epoch, total epochs): no scheduler state to save or restore.
//
// Named `LearningRateSchedule` rather than `Schedule` because the plan compiler already has an
// internal `Schedule` (its kernel schedule) in this module.

/// A per-epoch learning-rate schedule with PyTorch's closed forms.
public enum LearningRateSchedule: Sendable, Equatable {
  /// The base rate throughout.
  case constant
  /// PyTorch StepLR: `base · gamma^⌊epoch / every⌋`.
  case step(every: Int, gamma: Double)
  /// PyTorch ExponentialLR: `base · gamma^epoch`.
  case exponential(gamma: Double)
  /// PyTorch CosineAnnealingLR with `T_max` = the epochs it runs over and `eta_min = minimum`:
  /// `minimum + (base − minimum)(1 + cos(π · epoch / T_max)) / 2`.
  case cosine(minimum: Double)
  /// Linear warm-up `base · (e + 1) / epochs` for `e < epochs`, then `then` over the remaining
  /// epochs (its epoch 0 is the first epoch after the warm-up).
  indirect case warmup(epochs: Int, then: LearningRateSchedule)

  /// The rate for 0-based `epoch` of a run of `totalEpochs` epochs.
  public func learningRate(base: Double, epoch: Int, totalEpochs: Int) -> Double {
    switch self {
    case .constant:
      return base
    case .step(let every, let gamma):
      guard every > 0 else { return base }
      return base * pow(gamma, Double(epoch / every))
    case .exponential(let gamma):
      return base * pow(gamma, Double(epoch))
    case .cosine(let minimum):
      // A run of one epoch (or none) never leaves the base rate, as T_max = 0 would divide by 0.
      guard totalEpochs > 0 else { return base }
      let progress = Double(min(epoch, totalEpochs)) / Double(totalEpochs)
      return minimum + (base - minimum) * (1 + cos(Double.pi * progress)) / 2
    case .warmup(let epochs, let then):
      guard epochs > 0 else {
        return then.learningRate(base: base, epoch: epoch, totalEpochs: totalEpochs)
      }
      if epoch < epochs { return base * Double(epoch + 1) / Double(epochs) }
      return then.learningRate(base: base, epoch: epoch - epochs,
                               totalEpochs: max(totalEpochs - epochs, 0))
    }
  }

  /// The rates of every epoch of a run, in order (for listings and tests).
  public func learningRates(base: Double, totalEpochs: Int) -> [Double] {
    (0..<max(totalEpochs, 0)).map {
      learningRate(base: base, epoch: $0, totalEpochs: totalEpochs)
    }
  }

  // MARK: - Declared hyper-parameters

  /// `step`'s hyper-parameters as the language spells them, with PyTorch StepLR's default
  /// gamma, 0.1 (`every` is whole; StepLR requires its `step_size`, the language defaults to
  /// 10 epochs).
  public static let stepHyperparameters: [OptimizerHyperparameter] = [
    .number("every", 10, NumberRange(lower: 1), "schedule: epochs per decay"),
    .number("gamma", 0.1, .positive, "schedule: the decay factor (PyTorch StepLR's 0.1)"),
  ]
  /// `exponential`'s (ExponentialLR requires its gamma; the language defaults to 0.9).
  public static let exponentialHyperparameters: [OptimizerHyperparameter] = [
    .number("gamma", 0.9, .positive, "decay factor per epoch"),
  ]
  /// `cosine`'s (PyTorch's `eta_min`).
  public static let cosineHyperparameters: [OptimizerHyperparameter] = [
    .number("min", 0, .nonNegative, "the final learning rate"),
  ]
  /// `warmup`'s (whole epochs). `warmup(epochs: E, then: s)` is PyTorch's
  /// `SequentialLR([LinearLR(start_factor=1/E, total_iters=E-1), s], milestones=[E])`.
  public static let warmupHyperparameters: [OptimizerHyperparameter] = [
    .number("epochs", 2, NumberRange(lower: 1), "epochs of linear warm-up"),
  ]

  /// `cosine` with its declared `min`.
  public static let defaultCosine = LearningRateSchedule.cosine(
    minimum: cosineHyperparameters[0].defaultValue)

  /// A message describing the first invalid setting, or nil when the schedule is valid: each
  /// value against its declared range, named as the language names it.
  public func validate() -> String? {
    switch self {
    case .constant:
      return nil
    case .step(let every, let gamma):
      return Self.check("step", Self.stepHyperparameters, [Double(every), gamma])
    case .exponential(let gamma):
      return Self.check("exponential", Self.exponentialHyperparameters, [gamma])
    case .cosine(let minimum):
      return Self.check("cosine", Self.cosineHyperparameters, [minimum])
    case .warmup(let epochs, let then):
      return Self.check("warmup", Self.warmupHyperparameters, [Double(epochs)])
        ?? then.validate()
    }
  }

  private static func check(
    _ schedule: String, _ declared: [OptimizerHyperparameter], _ values: [Double]
  ) -> String? {
    for (hyperparameter, value) in zip(declared, values) {
      guard let range = hyperparameter.range, !range.contains(value) else { continue }
      return "\(schedule): \(hyperparameter.name) must be a finite number \(range.text), got "
        + formatNumber(value)
    }
    return nil
  }

  /// A short description in the language's spelling: `step(every: 10, gamma: 0.5)`.
  public var description: String {
    switch self {
    case .constant: "constant()"
    case .step(let every, let gamma): "step(every: \(every), gamma: \(formatNumber(gamma)))"
    case .exponential(let gamma): "exponential(gamma: \(formatNumber(gamma)))"
    case .cosine(let minimum): "cosine(minimum: \(formatNumber(minimum)))"
    case .warmup(let epochs, let then): "warmup(epochs: \(epochs), then: \(then.description))"
    }
  }
}
