/// The ROC and precision–recall curves of two-class scores, point by point, from the strictest
/// threshold to the loosest. Point `i` counts as positive every row scoring at least
/// `thresholds[i]`. The thresholds are the distinct scores, descending, after a first `+inf`
/// where nothing is positive (scikit-learn's `roc_curve(drop_intermediate=False)`, whose first
/// threshold is `inf` since 1.3); tied scores are one threshold, so a tie is one diagonal step.
/// `precision` and `recall` share those thresholds: they are sklearn's
/// `precision_recall_curve` read backwards, its final point (precision 1, recall 0) first.
public struct ROCCurve: Sendable, Equatable {
  public var thresholds: [Double]
  public var falsePositiveRate: [Double]
  public var truePositiveRate: [Double]
  public var precision: [Double]
  public var recall: [Double]
  /// The area under the ROC curve: `Metrics.rocAUC`, the very number `evaluate` reports.
  public var auc: Double
  /// Σ (recallᵢ − recallᵢ₋₁) · precisionᵢ, the area under the precision–recall steps
  /// (sklearn's `average_precision_score`, without interpolation).
  public var averagePrecision: Double
  /// The fraction of rows that are positive: the precision of guessing, PR's chance line.
  public var prevalence: Double
}

extension Metrics {
  /// The curves of `scores` (higher means positive) against `positive`; nil unless both
  /// classes occur and no score is NaN.
  public static func rocCurve(scores: [Double], positive: [Bool]) -> ROCCurve? {
    guard let auc = rocAUC(scores: scores, positive: positive) else { return nil }
    let (order, runs) = tiedRuns(scores)
    let positives = Double(positive.reduce(0) { $0 + ($1 ? 1 : 0) })
    let negatives = Double(positive.count) - positives
    var curve = ROCCurve(
      thresholds: [.infinity], falsePositiveRate: [0], truePositiveRate: [0], precision: [1],
      recall: [0], auc: auc, averagePrecision: 0,
      prevalence: positives / Double(positive.count))
    var (truePositives, falsePositives) = (0.0, 0.0)
    for run in runs.reversed() {
      for i in run {
        if positive[order[i]] { truePositives += 1 } else { falsePositives += 1 }
      }
      let recall = truePositives / positives
      let precision = truePositives / (truePositives + falsePositives)
      curve.averagePrecision += (recall - curve.recall[curve.recall.count - 1]) * precision
      curve.thresholds.append(scores[order[run.lowerBound]])
      curve.falsePositiveRate.append(falsePositives / negatives)
      curve.truePositiveRate.append(recall)
      curve.precision.append(precision)
      curve.recall.append(recall)
    }
    return curve
  }
}
