#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNRuntime

/// One line of a chart: y values at x positions, where a non-finite x or y is a gap.
struct ChartSeries: Equatable {
  /// The legend's text; `nil` when the chart has one unlabelled series.
  var label: String?
  var xs: [Double]
  var ys: [Double]

  /// Runs of consecutive drawable points; a gap (NaN, ±inf) ends a run.
  var runs: [[(x: Double, y: Double)]] {
    var runs: [[(x: Double, y: Double)]] = []
    var current: [(x: Double, y: Double)] = []
    for (x, y) in zip(xs, ys) {
      if x.isFinite, y.isFinite {
        current.append((x, y))
      } else if !current.isEmpty {
        runs.append(current)
        current = []
      }
    }
    if !current.isEmpty { runs.append(current) }
    return runs
  }
}

extension ChartSeries {
  /// The series with log₁₀ of its values, for a log axis: values ≤ 0 become gaps.
  var logarithmic: ChartSeries {
    var copy = self
    copy.ys = ys.map { $0 > 0 ? log10($0) : .nan }
    return copy
  }
}

/// What `plot` draws, independent of where it draws it.
struct Chart {
  var series: [ChartSeries]
  var title: String?
  var xLabel: String?
  var yLabel: String?
  /// Whether every x is a whole number (the default 1, 2, 3, …), so x ticks stay whole.
  var integerX: Bool
  /// Whether the y axis is logarithmic: the series then hold log₁₀ of the values, and the
  /// ticks fall on powers of ten.
  var logY = false

  /// The y axis's ticks, at most `maximum` of them; on a log axis at whole powers of ten,
  /// labelled with the values (`0.01`, `1e-6`).
  func yScale(maximum: Int) -> AxisScale {
    let bounds = self.bounds ?? (0...1, 0...1)
    var scale = Ticks.scale(lower: bounds.y.lowerBound, upper: bounds.y.upperBound,
                            maximum: maximum, loose: true, integers: logY)
    if logY {
      scale.labels = scale.ticks.map { tick in
        let exponent = Int(tick.rounded())
        return (-3...4).contains(exponent) ? formatNumber(pow(10, Double(exponent)))
          : "1e\(exponent)"
      }
    }
    return scale
  }

  /// The smallest and largest finite x and y over all points that can be drawn, or `nil` when
  /// no point can.
  var bounds: (x: ClosedRange<Double>, y: ClosedRange<Double>)? {
    var (xLow, xHigh) = (Double.infinity, -Double.infinity)
    var (yLow, yHigh) = (Double.infinity, -Double.infinity)
    for line in series {
      for (x, y) in zip(line.xs, line.ys) where x.isFinite && y.isFinite {
        (xLow, xHigh) = (min(xLow, x), max(xHigh, x))
        (yLow, yHigh) = (min(yLow, y), max(yHigh, y))
      }
    }
    guard xLow <= xHigh, yLow <= yHigh else { return nil }
    return (xLow...xHigh, yLow...yHigh)
  }
}

/// Bounds on chart sizes, so a typo (`width: 1e9`) is a diagnostic rather than a gigabyte of
/// text, and a chart too small to hold its axes is refused rather than drawn wrong.
enum PlotLimits {
  /// Terminal plot area in character cells (each 2×4 braille dots).
  static let terminalWidth = 10...400
  static let terminalHeight = 3...200
  static let terminalDefaultWidth = 60
  static let terminalDefaultHeight = 15
  /// SVG size in pixels: below 200 the margins for labels leave no room to draw.
  static let svgWidth = 200...8000
  static let svgHeight = 150...8000
  static let svgDefaultWidth = 640
  static let svgDefaultHeight = 400
}

/// Replaces control characters (a newline in a title would break the layout) with spaces.
func singleLine(_ text: String) -> String {
  String(String.UnicodeScalarView(text.unicodeScalars.map {
    $0.properties.generalCategory == .control ? " " : $0
  }))
}

extension Chart: Picture {
  func terminal(width: Int, height: Int) -> String {
    TerminalChart(chart: self, width: width, height: height).render()
  }

  func svg(width: Int, height: Int) -> String {
    SVGChart(chart: self, width: width, height: height).render()
  }
}
