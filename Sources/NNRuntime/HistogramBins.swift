/// Counts of values in equal-width bins, by NumPy's `histogram` rule: `bins + 1` edges from the
/// lower to the upper end of the range (`linspace`: edge i is lower + i·(upper − lower)/bins,
/// the last exactly upper); bin i holds lower edge ≤ x < upper edge, the last bin also its
/// upper edge. Without a range the data's least and greatest finite values are its ends, a
/// single value gets the range value ± 0.5; values outside a given range are left out. NaN and
/// infinities are counted apart, never binned.
public struct HistogramBins: Sendable, Equatable {
  public var counts: [Int]
  public var edges: [Double]
  /// Elements that are NaN, +inf and −inf.
  public var nan = 0
  public var positiveInfinity = 0
  public var negativeInfinity = 0
  /// Finite elements outside a given range.
  public var outside = 0

  /// The histogram of `values` in `bins` bins (≥ 1) over `range` (lower ≤ upper, finite) or the
  /// data's own range; nil when no value is finite and no range is given.
  public init?(_ values: [Float], bins: Int, range: ClosedRange<Double>? = nil) {
    var (low, high) = (Double.infinity, -Double.infinity)
    for value in values where value.isFinite {
      (low, high) = (min(low, Double(value)), max(high, Double(value)))
    }
    if let range { (low, high) = (range.lowerBound, range.upperBound) }
    guard low <= high else { return nil }
    if low == high { (low, high) = (low - 0.5, high + 0.5) }
    let step = (high - low) / Double(bins)
    edges = (0..<bins).map { low + Double($0) * step } + [high]
    counts = [Int](repeating: 0, count: bins)
    let scale = Double(bins) / (high - low)
    for value in values {
      guard value.isFinite else {
        if value.isNaN { nan += 1 } else if value > 0 { positiveInfinity += 1 } else {
          negativeInfinity += 1
        }
        continue
      }
      let x = Double(value)
      guard x >= low, x <= high else {
        outside += 1
        continue
      }
      // NumPy's fast path, then its corrections: the scaled index can be off by one next to
      // an edge, where the edges themselves decide.
      var index = min(Int((x - low) * scale), bins - 1)
      if x < edges[index] { index -= 1 }
      if index < bins - 1, x >= edges[index + 1] { index += 1 }
      counts[index] += 1
    }
  }

  /// Elements that are NaN or infinite.
  public var nonFinite: Int { nan + positiveInfinity + negativeInfinity }
}
