// Numbers print in the shortest form that reads back exactly, laid out the way Python's `repr`
// lays out a float, minus the trailing ".0" of whole numbers and the zero padding of exponents,
// and with zero unsigned: `7`, `0.1`, `1e-5`, `1e+16`, `0` (also for -0). Every text the lexer
// reads back as the same number (it takes `1e+16` and `1e-5`). The language prints every number
// so, and the runtime writes numbers in its texts (a layer as written, `dropout(0.5)`) with the
// same rule. A number read out of a float32 result is already the Double of its Float's
// shortest form (`Value.element` in NNScript), so it prints in at most 9 significant digits.

/// The shortest round-trip text of `x` in Python `repr` layout, without a trailing ".0", with
/// an unpadded exponent (`1e-8`), and `0` for both zeros.
public func formatNumber(_ x: Double) -> String {
  if x.isNaN { return "nan" }
  if x.isInfinite { return x < 0 ? "-inf" : "inf" }
  // Swift's description already yields the shortest round-trip digits; only the layout
  // (where to switch to an exponent, ".0") differs from Python, so re-lay them out.
  return layOutShortest(x.description)
}

/// The shortest text that reads back as the same 32-bit value (`Float(0.1)` → "0.1"), in the
/// same layout as `formatNumber(Double)`.
public func formatNumber(_ x: Float) -> String {
  if x.isNaN { return "nan" }
  if x.isInfinite { return x < 0 ? "-inf" : "inf" }
  return layOutShortest(x.description)
}

/// Re-lays out a finite number's decimal text (Swift's `"1.5e-05"`, `"123.0"`, `"-0.0"`) as
/// Python's `repr` would: scientific when the decimal exponent is below -4 or at least 16, with
/// a signed exponent of as few digits as it needs (Python pads to two, `1e-08`; JavaScript and
/// Julia do not); positional otherwise, without a trailing ".0". Zero of either sign is `0`:
/// the sign of a zero (an underflow, `-1 * 0`) is noise to a reader, and the two compare equal.
func layOutShortest(_ text: String) -> String {
  var body = Substring(text)
  let negative = body.hasPrefix("-")
  if negative { body = body.dropFirst() }
  var exponent = 0
  if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
    exponent = Int(body[body.index(after: e)...]) ?? 0
    body = body[..<e]
  }
  let point = body.firstIndex(of: ".")
  let integerDigits = point.map { body.distance(from: body.startIndex, to: $0) } ?? body.count
  var digits = Array(body.utf8.filter { $0 != UInt8(ascii: ".") })
  // Normalise to d.ddd × 10^scientific with no leading or trailing zeros.
  var scientific = integerDigits - 1 + exponent
  while let first = digits.first, first == UInt8(ascii: "0") {
    digits.removeFirst()
    scientific -= 1
  }
  while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
  if digits.isEmpty { return "0" }
  let sign = negative ? "-" : ""
  let string = String(decoding: digits, as: UTF8.self)
  if scientific < -4 || scientific >= 16 {
    var mantissa = String(string.prefix(1))
    if digits.count > 1 { mantissa += "." + string.dropFirst() }
    return sign + mantissa + "e" + (scientific < 0 ? "-" : "+") + String(Swift.abs(scientific))
  }
  if scientific < 0 {
    return sign + "0." + String(repeating: "0", count: -scientific - 1) + string
  }
  if digits.count <= scientific + 1 {
    return sign + string + String(repeating: "0", count: scientific + 1 - digits.count)
  }
  return sign + string.prefix(scientific + 1) + "." + string.dropFirst(scientific + 1)
}
