/// A metric the training loop can record each epoch and `evaluate` reports.
public enum Metric: String, Sendable, CaseIterable {
  case accuracy, precision, recall, f1, auc, mse, mae, r2

  /// Whether the metric compares class predictions with labels (the others compare values).
  public var isClassification: Bool {
    switch self {
    case .accuracy, .precision, .recall, .f1, .auc: true
    case .mse, .mae, .r2: false
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
