#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One axis of a chart: the range it spans and where its labelled ticks fall.
struct AxisScale: Equatable {
  var lower: Double
  var upper: Double
  /// Tick values, ascending, each an exact multiple of the step.
  var ticks: [Double]
  /// Tick labels, one per tick, in one shared format (`0.25`, `0.50`, … or `2e-5`, `4e-5`).
  var labels: [String]

  /// Where `value` falls along the axis, from 0 at `lower` to 1 at `upper`.
  func fraction(_ value: Double) -> Double {
    (value - lower) / (upper - lower)
  }
}

/// "Nice" tick values: steps of 1, 2 or 5 times a power of ten (Heckbert's labelling), so that
/// ticks read as round numbers.
enum Ticks {
  /// A scale for data between `lower` and `upper` (finite, `lower ≤ upper`) with at most
  /// `maximum` ticks. A `loose` scale widens the range out to the ticks around the data, so the
  /// first and last ticks sit on the chart's edges (used for values); a tight one keeps the data
  /// range and labels the ticks inside it (used for x, so lines reach both edges). `integers`
  /// keeps the step at 1 or more, for epochs and other counts.
  static func scale(
    lower: Double, upper: Double, maximum: Int, loose: Bool, integers: Bool = false
  ) -> AxisScale {
    var (low, high) = (lower, upper)
    // A flat range (a constant series, one point) has no scale of its own: give it room.
    let magnitude = max(abs(low), abs(high))
    if high - low <= magnitude * 1e-9 {
      let half = integers || magnitude == 0 ? 1 : magnitude * 0.1
      (low, high) = (low - half, high + half)
    }
    var best: (step: Step, first: Int, last: Int)?
    for step in candidates(span: high - low, integers: integers) {
      // The slack admits a tick a hair outside the data: tensors hold 32-bit floats, and
      // `Float(0.1)` is a little over 0.1, which must still count as a value on the tick.
      let from = loose ? floor(low / step.value + 1e-6) : ceil(low / step.value - 1e-6)
      let to = loose ? ceil(high / step.value - 1e-6) : floor(high / step.value + 1e-6)
      // Too many multiples to count in an Int (a step far finer than the numbers' size).
      guard abs(from) < 1e15, abs(to) < 1e15 else { continue }
      let (first, last) = (Int(from), Int(to))
      let count = last - first + 1
      // Candidates go from fine to coarse: the first that fits gives the most ticks allowed.
      if count <= max(maximum, 2) {
        best = (step, first, last)
        break
      }
      best = (step, first, last)
    }
    guard let (step, first, last) = best, last >= first else {
      return AxisScale(lower: low, upper: high, ticks: [], labels: [])
    }
    let multiples = Array(first...last)
    let ticks = multiples.map { step.value(times: $0) }
    if loose { (low, high) = (ticks[0], ticks[ticks.count - 1]) }
    return AxisScale(lower: low, upper: high, ticks: ticks, labels: labels(multiples, step))
  }

  /// A step of `mantissa` × 10^`exponent`, kept as integers so that ticks and their labels are
  /// exact (`3 × 0.1` must print as `0.3`).
  struct Step {
    var mantissa: Int
    var exponent: Int

    var value: Double { value(times: 1) }

    func value(times multiple: Int) -> Double {
      let count = Double(multiple * mantissa)
      return exponent >= 0
        ? count * pow(10, Double(exponent)) : count / pow(10, Double(-exponent))
    }
  }

  /// Steps from one a little under a tenth of the span to one past the whole span.
  private static func candidates(span: Double, integers: Bool) -> [Step] {
    let base = Int(floor(log10(span))) - 2
    var steps: [Step] = []
    for exponent in base...(base + 3) {
      for mantissa in [1, 2, 5] where !integers || exponent >= 0 {
        steps.append(Step(mantissa: mantissa, exponent: exponent))
      }
    }
    if steps.isEmpty { steps = [1, 2, 5].map { Step(mantissa: $0, exponent: 0) } }
    return steps
  }

  // MARK: - Labels

  /// Labels for `multiples` of `step`, all with the same number of decimals; scientific notation
  /// when every number is very large (past 6 digits) or very small (under 0.0001), where
  /// positional text grows long.
  static func labels(_ multiples: [Int], _ step: Step) -> [String] {
    let largest = multiples.map { abs($0 * step.mantissa) }.max() ?? 0
    // How many digits the largest label has before the point (≤ 0 below 1: 0.004 has -2).
    let digits = String(largest).count + step.exponent
    if digits > 6 || digits <= -4 {
      return multiples.map { scientific($0 * step.mantissa, step.exponent) }
    }
    return multiples.map { positional($0 * step.mantissa, step.exponent) }
  }

  /// `count` × 10^`exponent` with `max(0, -exponent)` decimals: exact, from the digits.
  static func positional(_ count: Int, _ exponent: Int) -> String {
    let sign = count < 0 ? "-" : ""
    var digits = String(abs(count))
    if exponent >= 0 {
      return count == 0 ? "0" : sign + digits + String(repeating: "0", count: exponent)
    }
    let decimals = -exponent
    if digits.count <= decimals {
      digits = String(repeating: "0", count: decimals - digits.count + 1) + digits
    }
    let point = digits.index(digits.endIndex, offsetBy: -decimals)
    let text = digits[..<point] + "." + digits[point...]
    return (count == 0 ? "" : sign) + text
  }

  /// `count` × 10^`exponent` as `1.5e6`, `2e-5`: the shortest mantissa, no `+`, no padding.
  static func scientific(_ count: Int, _ exponent: Int) -> String {
    guard count != 0 else { return "0" }
    var digits = String(abs(count))
    let power = exponent + digits.count - 1
    while digits.count > 1, digits.hasSuffix("0") { digits.removeLast() }
    let mantissa = digits.count == 1
      ? digits : String(digits.prefix(1)) + "." + String(digits.dropFirst())
    return (count < 0 ? "-" : "") + mantissa + "e\(power)"
  }
}
