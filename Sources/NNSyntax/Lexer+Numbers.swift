// Number literals: `42`, `3.14`, `.5`, `1e-3`, `2.5E+4`, `60_000`. A malformed number is still
// one `.number` token (so the parser sees an operand) with an `.invalidNumber` diagnostic over
// the whole literal.

// MARK: - Numbers

extension LexerState {
  /// Scans a number starting at a digit, or at a `.` followed by a digit.
  mutating func scanNumber() {
    let start = index
    var problem: String?
    if bytes[index] != UInt8(ascii: ".") { scanDigits(&problem) }
    scanFraction(&problem)
    scanExponent(&problem)
    // Letters glued to a number (`2x`, `1e5f`) make it one bad literal rather than a number
    // followed by a name, which would give a more confusing error later.
    var glued = false
    while index < bytes.count {
      if bytes[index].isIdentifierByte {
        index += 1
      } else if bytes[index] >= 0x80, let (scalar, length) = decodeScalar(at: index),
        scalar.properties.isAlphabetic
      {
        index += length
      } else {
        break
      }
      glued = true
    }
    if glued, problem == nil { problem = "a number cannot be followed by a letter or `_`" }
    if problem == nil {
      let token = Token(.number, SourceRange(start: start, end: index))
      if !TokenValue.number(token, in: source, bytes: bytes).isFinite {
        problem = "number too large"
      }
    }
    emit(.number, from: start)
    if let problem {
      let message =
        problem == "number too large"
        ? problem : "invalid number '\(display(from: start, to: index))': \(problem)"
      report(.invalidNumber, message, from: start, to: index)
    }
  }

  /// Digits with `_` separators; `index` is at a digit.
  mutating func scanDigits(_ problem: inout String?) {
    while index < bytes.count {
      let byte = bytes[index]
      if byte.isASCIIDigit {
        index += 1
      } else if byte == UInt8(ascii: "_") {
        let previous = index > 0 ? bytes[index - 1] : 0
        let next = peek(1) ?? 0
        if (!previous.isASCIIDigit || !next.isASCIIDigit) && problem == nil {
          problem = "`_` may only stand between digits"
        }
        index += 1
      } else {
        break
      }
    }
  }

  /// `.` and digits. A `.` followed by `.`, a letter or `_` is left alone: `1...5`, `3.x`.
  mutating func scanFraction(_ problem: inout String?) {
    guard peek() == UInt8(ascii: ".") else { return }
    guard let next = peek(1) else {
      index += 1
      problem = problem ?? "expected a digit after the decimal point"
      return
    }
    if next.isASCIIDigit {
      index += 1
      scanDigits(&problem)
    } else if next == UInt8(ascii: ".") || next.isIdentifierByte || next >= 0x80 {
      return
    } else {
      index += 1
      problem = problem ?? "expected a digit after the decimal point"
    }
  }

  /// `e` or `E`, an optional sign, and digits.
  mutating func scanExponent(_ problem: inout String?) {
    guard let marker = peek(), marker | 0x20 == UInt8(ascii: "e") else { return }
    index += 1
    if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
    if let digit = peek(), digit.isASCIIDigit {
      scanDigits(&problem)
    } else {
      problem = problem ?? "expected digits in the exponent"
    }
  }
}
