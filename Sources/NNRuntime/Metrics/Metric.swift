/// A metric the training loop can record each epoch and `evaluate` reports.
public enum Metric: String, Sendable, CaseIterable {
  case accuracy, precision, recall, f1, auc, mse, mae, r2

  /// Other names scripts may call a metric by: Keras's `acc`. Each is a built-in of its own
  /// (`acc(pred, y)`, `metrics: [acc]`) that computes the metric it names.
  public static let aliases: [String: Metric] = ["acc": .accuracy]

  /// The metric named `name`, by its own name or an alias.
  public static func named(_ name: String) -> Metric? { Metric(rawValue: name) ?? aliases[name] }

  /// Whether the metric compares class predictions with labels (the others compare values).
  public var isClassification: Bool {
    switch self {
    case .accuracy, .precision, .recall, .f1, .auc: true
    case .mse, .mae, .r2: false
    }
  }

  /// The targets the metric applies to.
  public var applicability: MetricApplicability {
    switch self {
    case .accuracy, .precision, .recall, .f1: .classes
    case .auc: .twoClasses
    case .mse, .mae, .r2: .values
    }
  }

  /// Why the metric cannot be computed against `targets`, or nil when it can: a class metric
  /// of regression targets, a value metric of class labels, or `auc` of more than two classes
  /// would be a number that means nothing.
  public func mismatch(_ targets: MetricTargets) -> String? {
    switch (applicability, targets) {
    case (.classes, .classes), (.values, .values), (.classes, .probabilities),
      (.values, .probabilities):
      return nil
    case (.twoClasses, .classes(let count)), (.twoClasses, .probabilities(let count)):
      return count <= 2 ? nil : "\(rawValue) needs two classes, but the targets have \(count)"
    case (.classes, .values), (.twoClasses, .values):
      return "\(rawValue) compares predicted classes with class labels, but the targets are "
        + "values (a regression); mse, mae and r2 apply to them"
    case (.values, .classes):
      return "\(rawValue) compares values, but the targets are class labels; accuracy, "
        + "precision, recall, f1 and auc (two classes) apply to them"
    }
  }

  /// The metric's value in a report of its kind; nil when undefined (AUC with one class).
  public func value(in report: ClassificationReport) -> Double? {
    switch self {
    case .accuracy: report.accuracy
    case .precision: report.precision
    case .recall: report.recall
    case .f1: report.f1
    case .auc: report.auc
    case .mse, .mae, .r2: nil
    }
  }

  /// The metric's value in a regression report; nil for classification metrics.
  public func value(in report: RegressionReport) -> Double? {
    switch self {
    case .mse: report.mse
    case .mae: report.mae
    case .r2: report.r2
    case .accuracy, .precision, .recall, .f1, .auc: nil
    }
  }
}

/// What a metric needs of the targets.
public enum MetricApplicability: Sendable, Equatable {
  /// Class labels (indices, one-hot or probability rows, or bce's 0/1 targets).
  case classes
  /// Class labels of at most two classes.
  case twoClasses
  /// Values (regression targets).
  case values
}

/// What a dataset's targets are, as far as metrics care.
public enum MetricTargets: Sendable, Equatable {
  /// Class labels of this many classes.
  case classes(Int)
  /// Probabilities of this many classes (bce's targets, cross-entropy's probability rows):
  /// both labels (the likeliest class) and values, so every metric but a many-class auc
  /// applies.
  case probabilities(Int)
  /// Values (a regression).
  case values
}

/// Classification metrics over a whole dataset.
public struct ClassificationReport: Sendable, Equatable {
  /// The fraction of rows whose predicted class is the label.
  public var accuracy: Double
  /// Of class 1 for two classes; the macro average over the classes present otherwise.
  public var precision: Double
  /// Of class 1 for two classes; the macro average over the classes present otherwise.
  public var recall: Double
  /// Of class 1 for two classes; the macro average over the classes present otherwise.
  public var f1: Double
  /// ROC AUC for two classes; nil when only one class is present or there are more than two.
  public var auc: Double?
  /// `confusion[true][predicted]`, classes × classes.
  public var confusion: [[Int]]

  /// A report from its parts.
  public init(accuracy: Double, precision: Double, recall: Double, f1: Double, auc: Double?,
              confusion: [[Int]]) {
    self.accuracy = accuracy
    self.precision = precision
    self.recall = recall
    self.f1 = f1
    self.auc = auc
    self.confusion = confusion
  }
}

/// Regression metrics over a whole dataset.
public struct RegressionReport: Sendable, Equatable {
  /// Mean squared error over all elements.
  public var mse: Double
  /// Mean absolute error over all elements.
  public var mae: Double
  /// sklearn's r2_score: per output column 1 − SS_res / SS_tot, averaged over the columns.
  public var r2: Double

  /// A report from its parts.
  public init(mse: Double, mae: Double, r2: Double) {
    self.mse = mse
    self.mae = mae
    self.r2 = r2
  }
}
