/// The plane of two-input data coloured by the class a model predicts, shaded by how sure it
/// is, with the data on top and the misclassified points marked: TensorFlow Playground's view.
/// Several models (snapshots of one model as it trained) give small multiples side by side.
struct DecisionBoundary {
  /// One model's predictions over the grid and the data.
  struct Panel {
    var title: String
    /// The predicted class of each grid cell, row-major from the top left (`columns` × `rows`).
    var classes: [Int]
    /// How sure each cell's prediction is, from 0 (a tie between classes) to 1.
    var confidence: [Double]
    /// The class predicted for each data point.
    var predicted: [Int]
  }

  var panels: [Panel]
  /// The grid's cells across and down (the same for every panel).
  var columns: Int
  var rows: Int
  var xRange: ClosedRange<Double>
  var yRange: ClosedRange<Double>
  /// The data: positions and true classes.
  var points: [(x: Double, y: Double, label: Int)]
  var classes: Int
  var title: String?

  /// The centre of grid cell (`column`, `row`), row 0 at the top.
  static func cellCentre(
    column: Int, row: Int, columns: Int, rows: Int, x: ClosedRange<Double>,
    y: ClosedRange<Double>
  ) -> (Double, Double) {
    let fx = (Double(column) + 0.5) / Double(columns)
    let fy = (Double(row) + 0.5) / Double(rows)
    return (x.lowerBound + fx * (x.upperBound - x.lowerBound),
            y.upperBound - fy * (y.upperBound - y.lowerBound))
  }

  /// The class of a row of scores and how sure it is, by the rule the metrics use: one column
  /// is the probability of class 1 (predicted at ≥ 0.5); several are class scores, the argmax,
  /// its probability read as `roc` reads it (softmax unless `probabilities`).
  static func prediction(_ scores: ArraySlice<Float>, probabilities: Bool) -> (Int, Double) {
    if scores.count == 1 {
      let p = min(max(Double(scores.first!), 0), 1)
      return (p >= 0.5 ? 1 : 0, abs(2 * p - 1))
    }
    let values = scores.map(Double.init)
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    let top = ClassScores.probability(of: best, in: values, probabilities: probabilities)
    // 1/k is a tie between all classes, 1 a certain prediction.
    let k = Double(values.count)
    return (best, min(max((top - 1 / k) / (1 - 1 / k), 0), 1))
  }

  /// Misclassified points of a panel.
  func errors(_ panel: Panel) -> Int {
    zip(points, panel.predicted).filter { $0.label != $1 }.count
  }
}

extension DecisionBoundary: Picture {
  /// Panels per row of small multiples.
  var perRow: Int { min(panels.count, 3) }

  var terminalSize: (width: Int, height: Int) { (columns, rows) }

  var pixelSize: (width: Int, height: Int) {
    let across = perRow
    let down = (panels.count + across - 1) / across
    // Square panels: each column is the panel, 50 pixels for labels; each row the panel and
    // 44 for its caption and ranges (SVGBoundary's layout).
    let column = panels.count == 1 ? 480 : 260
    let top = title == nil ? 10 : 34
    return (min(column * across, 8000), min(top + (column - 6) * down + 30, 8000))
  }

  /// The grid has `terminalSize`'s (or the call's) cells already: `boundary` evaluates the
  /// models at the resolution of the medium it draws in.
  func terminal(width: Int, height: Int) -> String {
    TerminalBoundary(boundary: self).render()
  }

  func svg(width: Int, height: Int) -> String {
    SVGBoundary(boundary: self, width: width, height: height).render()
  }

  /// Grid cells per panel in an SVG or PNG: fine enough to look smooth, and merged into runs.
  static let pictureGrid = 90
}
