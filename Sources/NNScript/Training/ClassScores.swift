#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNRuntime
import NNSyntax

/// What `roc` and `confusion` measure: class scores, one row per sample (or per position of a
/// sequence model), and each row's true class. Read from a model run over a dataset, as
/// `evaluate` runs it, or from predictions and targets, as the metrics read them.
struct ClassScores {
  /// `[rows, columns]`: one probability for one column, else a score per class.
  let scores: [Float]
  let columns: Int
  /// The true class of each row; a negative label (a NaN target) is skipped.
  let labels: [Int]
  /// How many classes the rows tell apart: at least 2, at least the columns.
  let classes: Int

  /// Reads the call's `net` and `data`: a model and a dataset, or predictions and targets.
  init(_ context: CallContext) throws(Diagnostic) {
    let name = context.builtin.name
    let first = try context.require("net")
    let second = try context.require("data")
    let predictions: Tensor
    if case .object(let model as ModelObject) = first {
      guard case .object(let dataset as DatasetObject) = second else {
        throw context.error(.typeMismatch,
                            "\(name)(net, data) needs a dataset after the model, but this is a "
                              + second.typeName, at: "data",
                            hint: "\(name)(pred, y) takes predictions and targets instead")
      }
      let (result, data, _) = try Evaluation.predict(model, dataset.dataset, context: context)
      guard let classes = data.classes else {
        throw context.error(.dataError,
                            "\(name) needs class targets, but this dataset's targets are values "
                              + "(a regression)", at: "data",
                            hint: "make the data with dataset(x, y, classes: k)")
      }
      predictions = result.predictions
      labels = Metrics.labels(from: data.y, predictions: predictions.shape)
      self.classes = max(classes, predictions.shape.last == 1 ? 2 : predictions.shape.last ?? 2)
    } else {
      guard first.asTensor != nil else {
        throw context.error(.typeMismatch,
                            "\(name) takes a model and a dataset, or predictions and targets, "
                              + "but this is a \(first.typeName)", at: "net")
      }
      if case .object(let object) = second, object is DatasetObject {
        throw context.error(.typeMismatch,
                            "\(name)(net, data) needs a model before the dataset, but this is a "
                              + first.typeName, at: "net")
      }
      predictions = try context.tensorLike("net")
      let targets = try context.tensorLike("data")
      guard (1...3).contains(predictions.rank) else {
        throw context.error(.shapeMismatch,
                            "\(name): predictions are [n], [n, k] or [n, T, k], but these have "
                              + "shape \(shapeText(predictions.shape))", at: "net")
      }
      // The metrics' reading of targets, whose errors point at `y`: here, `data`.
      var metricContext = context
      metricContext.bound["y"] = context.bound["data"]
      try Evaluation.checkRows(name, predictions: predictions, targets: targets,
                               context: metricContext)
      (labels, classes) = try Evaluation.classLabels(
        name, predictions: predictions, targets: targets, context: metricContext)
    }
    columns = predictions.rank >= 2 ? predictions.shape[predictions.rank - 1] : 1
    scores = predictions.scalars
  }

  var rows: Int { min(labels.count, columns > 0 ? scores.count / columns : 0) }

  /// The classification report of `evaluate`: its confusion matrix and metrics.
  var report: ClassificationReport {
    Metrics.classification(
      scores: Tensor(shape: [scores.count / max(columns, 1), columns], scalars: scores),
      labels: labels, classes: classes)
  }

  /// Whether every row is a probability distribution (softmax's output), not logits.
  private var probabilityRows: Bool { Self.areProbabilities(scores, columns: columns) }

  /// Whether every row of `columns` scores is a probability distribution (softmax's output)
  /// rather than logits; one column is always a probability.
  static func areProbabilities(_ scores: [Float], columns: Int) -> Bool {
    guard columns >= 2 else { return true }
    return stride(from: 0, to: scores.count, by: columns).allSatisfy { start in
      let values = scores[start..<min(start + columns, scores.count)]
      let total = values.reduce(0.0) { $0 + Double($1) }
      return values.allSatisfy { (0...1).contains($0) } && abs(total - 1) < 1e-3
    }
  }

  /// The probability a row of class scores (two or more) gives class `c`: the score itself
  /// for probability rows, softmax of the row otherwise.
  static func probability(of c: Int, in row: [Double], probabilities: Bool) -> Double {
    if probabilities { return row[c] }
    let largest = row.max() ?? 0
    let total = row.reduce(0) { $0 + exp($1 - largest) }
    return exp(row[c] - largest) / total
  }

  /// Class `positive` against the rest: for each labelled row the score that ranks it (for two
  /// classes, the very one `auc` ranks by), the probability of the class it stands for (the
  /// score's threshold as `roc` reports it), and whether the row is of the class.
  func oneVsRest(
    _ positive: Int
  ) -> (ranking: [Double], probability: [Double], isPositive: [Bool]) {
    let probabilities = probabilityRows
    var result: (ranking: [Double], probability: [Double], isPositive: [Bool]) = ([], [], [])
    scores.withUnsafeBufferPointer { values in
      for row in 0..<rows where labels[row] >= 0 {
        let start = row * columns
        let (ranking, probability): (Double, Double)
        if columns == 1 {
          let score = Double(values[row])
          (ranking, probability) = positive == 1 ? (score, score) : (1 - score, 1 - score)
        } else if columns == 2 {
          // Class 0 of two is class 1 with the score's sign turned.
          let score = Metrics.positiveScore(values, row: row, columns: columns)
          ranking = positive == 1 ? score : -score
          probability = probabilities
            ? Double(values[start + positive]) : 1 / (1 + exp(-ranking))
        } else {
          let row = values[start..<(start + columns)].map(Double.init)
          probability = Self.probability(of: positive, in: row, probabilities: probabilities)
          ranking = probability
        }
        result.ranking.append(ranking)
        result.probability.append(probability)
        result.isPositive.append(labels[row] == positive)
      }
    }
    return result
  }
}
