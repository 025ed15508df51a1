// Evaluation metrics over a whole dataset, computed in Double and following scikit-learn's
// definitions (tests compare against sklearn fixtures). Never averaged per batch: a metric such
// as F1 or AUC of a whole set is not the mean of its batches' values.

/// Classification and regression metrics over whole datasets.
public enum Metrics {
  /// Classification metrics of `scores` against class-index `labels`.
  ///
  /// `scores` is `[n, k]` with k ≥ 2 (class scores or probabilities; the prediction is the
  /// argmax, the first on ties) or `[n, 1]` / `[n]` (binary: the probability of class 1,
  /// predicted 1 when ≥ 0.5). With two classes precision, recall and F1 are those of class 1
  /// (sklearn's `pos_label=1`); with more they are macro averages over the classes present in
  /// the labels or the predictions (sklearn's `average='macro'`, `zero_division=0`). Rows with
  /// a negative label are skipped. Scores with more axes (`[n, T, k]`, a sequence model's per
  /// position) are rows of their last axis, one label per position.
  public static func classification(
    scores: Tensor, labels: [Int], classes: Int
  ) -> ClassificationReport {
    let columns = scores.rank >= 2 ? scores.shape[scores.rank - 1] : 1
    let rows = min(labels.count, columns > 0 ? scores.count / columns : 0)
    let binaryScores = columns == 1
    var k = max(classes, binaryScores ? 2 : columns, 2)
    for label in labels.prefix(rows) where label >= k { k = label + 1 }
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
    var positiveScores: [Double] = []
    var isPositive: [Bool] = []
    var counted = 0
    var correct = 0
    scores.withUnsafeBufferPointer { values in
      for row in 0..<rows where labels[row] >= 0 {
        let predicted = binaryScores
          ? (values[row] >= 0.5 ? 1 : 0)
          : argmax(values, start: row * columns, count: columns)
        confusion[labels[row]][predicted] += 1
        counted += 1
        if predicted == labels[row] { correct += 1 }
        if k == 2 {
          positiveScores.append(positiveScore(values, row: row, columns: columns))
          isPositive.append(labels[row] == 1)
        }
      }
    }
    let accuracy = counted == 0 ? 0 : Double(correct) / Double(counted)
    let (precision, recall, f1) = k == 2
      ? classScores(confusion, class: 1)
      : macroScores(confusion)
    let auc = k == 2 ? rocAUC(scores: positiveScores, positive: isPositive) : nil
    return ClassificationReport(accuracy: accuracy, precision: precision, recall: recall,
                                f1: f1, auc: auc, confusion: confusion)
  }

  /// Regression metrics of `predictions` against `targets` (same element count; columns are the
  /// last axis of `targets`, or one column for a rank-1 tensor). NaN everywhere when the counts
  /// differ; r2 is NaN with fewer than two rows (as sklearn).
  public static func regression(predictions: Tensor, targets: Tensor) -> RegressionReport {
    guard predictions.count == targets.count, targets.count > 0 else {
      return RegressionReport(mse: .nan, mae: .nan, r2: .nan)
    }
    let columns = max(targets.rank >= 2 ? targets.shape[targets.rank - 1] : 1, 1)
    let rows = targets.count / columns
    var squared = [Double](repeating: 0, count: columns)
    var absolute = [Double](repeating: 0, count: columns)
    var means = [Double](repeating: 0, count: columns)
    var totals = [Double](repeating: 0, count: columns)
    predictions.withUnsafeBufferPointer { p in
      targets.withUnsafeBufferPointer { y in
        for i in 0..<targets.count {
          let difference = Double(y[i]) - Double(p[i])
          squared[i % columns] += difference * difference
          absolute[i % columns] += abs(difference)
          means[i % columns] += Double(y[i])
        }
        for c in 0..<columns { means[c] /= Double(rows) }
        for i in 0..<targets.count {
          let deviation = Double(y[i]) - means[i % columns]
          totals[i % columns] += deviation * deviation
        }
      }
    }
    let mse = squared.reduce(0) { $0 + $1 / Double(rows) } / Double(columns)
    let mae = absolute.reduce(0) { $0 + $1 / Double(rows) } / Double(columns)
    guard rows >= 2 else { return RegressionReport(mse: mse, mae: mae, r2: .nan) }
    // sklearn's force_finite: a constant column scores 1 when predicted exactly, else 0.
    let perColumn = (0..<columns).map { c -> Double in
      if totals[c] == 0 { return squared[c] == 0 ? 1 : 0 }
      return 1 - squared[c] / totals[c]
    }
    return RegressionReport(mse: mse, mae: mae, r2: perColumn.reduce(0, +) / Double(columns))
  }

  /// Class indices from a target tensor: `[n]` or `[n, 1]` of indices (rounded; NaN → −1), or
  /// one-hot / probability rows `[n, k]` (the argmax). Given the predictions' shape, targets
  /// with one axis fewer are indices whatever their last axis: a sequence model's per-position
  /// indices `[n, T]` against scores `[n, T, k]`, one label per position.
  public static func labels(from targets: Tensor, predictions: [Int]? = nil) -> [Int] {
    let perPosition = predictions.map { targets.shape == Array($0.dropLast()) } ?? false
    let columns = perPosition ? 1 : targets.rank >= 2 ? targets.shape[targets.rank - 1] : 1
    guard columns > 0 else { return [] }
    let rows = targets.count / columns
    return targets.withUnsafeBufferPointer { values in
      (0..<rows).map { row in
        if columns > 1 { return argmax(values, start: row * columns, count: columns) }
        let value = values[row].rounded()
        return value.isFinite && abs(value) < 1e9 ? Int(value) : -1
      }
    }
  }

  // MARK: - Helpers

  /// The first index of the largest value in `values[start..<start + count]` (NaN never wins).
  static func argmax(_ values: UnsafeBufferPointer<Float>, start: Int, count: Int) -> Int {
    var best = 0
    var bestValue = -Float.infinity
    for j in 0..<count where values[start + j] > bestValue {
      best = j
      bestValue = values[start + j]
    }
    return best
  }

  /// Precision, recall and F1 of one class, 0 where a denominator is 0 (zero_division=0).
  static func classScores(_ confusion: [[Int]], class c: Int) -> (Double, Double, Double) {
    let truePositives = Double(confusion[c][c])
    let predicted = Double(confusion.reduce(0) { $0 + $1[c] })
    let actual = Double(confusion[c].reduce(0, +))
    let precision = predicted == 0 ? 0 : truePositives / predicted
    let recall = actual == 0 ? 0 : truePositives / actual
    // sklearn's form: 2·TP / (actual + predicted), equal to 2PR / (P + R) but exact in counts.
    let f1 = actual + predicted == 0 ? 0 : 2 * truePositives / (actual + predicted)
    return (precision, recall, f1)
  }

  /// Macro averages over the classes that occur as a label or a prediction (sklearn's
  /// default `labels=unique_labels(y_true, y_pred)`).
  static func macroScores(_ confusion: [[Int]]) -> (Double, Double, Double) {
    var sums = (0.0, 0.0, 0.0)
    var present = 0
    for c in confusion.indices {
      let actual = confusion[c].reduce(0, +)
      let predicted = confusion.reduce(0) { $0 + $1[c] }
      guard actual + predicted > 0 else { continue }
      let (p, r, f) = classScores(confusion, class: c)
      sums = (sums.0 + p, sums.1 + r, sums.2 + f)
      present += 1
    }
    guard present > 0 else { return (0, 0, 0) }
    let n = Double(present)
    return (sums.0 / n, sums.1 / n, sums.2 / n)
  }

  /// ROC AUC as the Mann–Whitney statistic with mid-ranks for ties (equal to the trapezoidal
  /// area under the ROC curve, sklearn's roc_auc_score); nil without both classes.
  static func rocAUC(scores: [Double], positive: [Bool]) -> Double? {
    let positives = positive.reduce(0) { $0 + ($1 ? 1 : 0) }
    let negatives = positive.count - positives
    guard positives > 0, negatives > 0, !scores.contains(where: \.isNaN) else { return nil }
    let (order, runs) = tiedRuns(scores)
    var rankSum = 0.0
    for run in runs {
      // Ranks are 1-based; tied scores share the mean of their ranks.
      let midRank = Double(run.lowerBound + run.upperBound + 2) / 2
      for i in run where positive[order[i]] { rankSum += midRank }
    }
    let p = Double(positives)
    return (rankSum - p * (p + 1) / 2) / (p * Double(negatives))
  }

  /// The indices of `scores` (no NaN) in ascending order of score, and the runs of positions in
  /// that order that hold equal scores: the one ranking of the AUC and of the ROC curve.
  static func tiedRuns(_ scores: [Double]) -> (order: [Int], runs: [ClosedRange<Int>]) {
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var runs: [ClosedRange<Int>] = []
    var start = 0
    while start < order.count {
      var end = start
      while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
      runs.append(start...end)
      start = end + 1
    }
    return (order, runs)
  }

  /// How strongly row `row` of two-class scores says class 1: the value itself for one column;
  /// with two, s1 − s0, which orders rows as softmax's p1 does, for logits or probabilities
  /// alike, so the AUC is right either way.
  public static func positiveScore(
    _ values: UnsafeBufferPointer<Float>, row: Int, columns: Int
  ) -> Double {
    columns == 1
      ? Double(values[row])
      : Double(values[row * columns + 1]) - Double(values[row * columns])
  }
}
