import NNRuntime

/// `roc`'s picture: the ROC curve with the diagonal of guessing, and beside it the
/// precision–recall curve with the line of guessing (the prevalence), each an ordinary
/// `Chart`, drawn side by side. The precision–recall curve is drawn in steps, so the area
/// under it is the average precision, as the area under the ROC curve is its AUC.
struct ROCChart: Picture {
  let curve: ROCCurve
  /// "class 2" for one class against the rest of several; nil for two classes.
  let subject: String?

  /// Columns between the two charts in the output.
  private static let gap = 4

  var terminalSize: (width: Int, height: Int) { (30, 12) }
  var pixelSize: (width: Int, height: Int) { (880, 420) }

  /// The ROC chart: false against true positive rates from (0, 0) to (1, 1).
  var rocChart: Chart {
    Chart(
      series: [
        ChartSeries(label: "model", xs: curve.falsePositiveRate, ys: curve.truePositiveRate),
        ChartSeries(label: "chance", xs: [0, 1], ys: [0, 1]),
      ],
      title: "ROC" + (subject.map { " of \($0)" } ?? "") + ", AUC " + Self.rounded(curve.auc),
      xLabel: "false positive rate", yLabel: "true positive rate", integerX: false)
  }

  /// The precision–recall chart: each point's precision held from the recall before it.
  var precisionRecallChart: Chart {
    var xs = [curve.recall[0]]
    var ys = [curve.precision[0]]
    for i in curve.recall.indices.dropFirst() {
      xs += [curve.recall[i - 1], curve.recall[i]]
      ys += [curve.precision[i], curve.precision[i]]
    }
    return Chart(
      series: [
        ChartSeries(label: "model", xs: xs, ys: ys),
        ChartSeries(label: "chance", xs: [0, 1], ys: [curve.prevalence, curve.prevalence]),
      ],
      title: "precision–recall, AP " + Self.rounded(curve.averagePrecision),
      xLabel: "recall", yLabel: "precision", integerX: false)
  }

  /// `width`×`height` cells for each chart.
  func terminal(width: Int, height: Int) -> String {
    let left = TerminalChart(chart: rocChart, width: width, height: height).render()
      .split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    let right = TerminalChart(chart: precisionRecallChart, width: width, height: height)
      .render().split(separator: "\n", omittingEmptySubsequences: false).dropLast()
      .map(String.init)
    let leftWidth = (left.map(\.count).max() ?? 0) + Self.gap
    return (0..<max(left.count, right.count)).map { row in
      let first = row < left.count ? left[row] : ""
      let second = row < right.count ? right[row] : ""
      let line = first + String(repeating: " ", count: leftWidth - first.count) + second
      return TerminalChart.trimmingTrailingSpaces(line) + "\n"
    }.joined()
  }

  /// The whole picture is `width`×`height` pixels, each chart half of its width.
  func svg(width: Int, height: Int) -> String {
    let half = width / 2
    let left = SVGChart(chart: rocChart, width: half, height: height).elements()
    let right = SVGChart(chart: precisionRecallChart, width: width - half, height: height)
      .elements()
    return SVGChart.document(
      width: width, height: height,
      [#"<g class="roc">"#] + left + ["</g>", #"<g class="pr" transform="translate(\#(half) 0)">"#]
        + right + ["</g>"])
  }

  /// A fraction with three decimals (`0.933`), for the titles.
  static func rounded(_ value: Double) -> String {
    Ticks.positional(Int((value * 1000).rounded()), -3)
  }
}
