// String literals and interpolation. A string is split into pieces at each `{ … }`
// (see `TokenKind`); the nesting stack remembers each open interpolation, so expressions inside
// may hold braces and strings of their own.

// MARK: - Strings

extension LexerState {
  /// Scans from an opening `"`.
  mutating func scanString() {
    let quote = index
    index += 1
    scanStringPiece(from: quote, quote: quote, isContinuation: false)
  }

  /// Scans string content from `index` to a closing `"` or an interpolation `{`, and emits the
  /// piece as a token starting at `start` (the opening `"`, or the `}` that ended an
  /// interpolation). `quote` is where the whole string opened.
  mutating func scanStringPiece(from start: Int, quote: Int, isContinuation: Bool) {
    while index < bytes.count {
      switch bytes[index] {
      case UInt8(ascii: "\""):
        index += 1
        emit(isContinuation ? .stringTail : .string, from: start)
        return
      case UInt8(ascii: "{"):
        index += 1
        emit(isContinuation ? .stringMiddle : .stringHead, from: start)
        nesting.append(.interpolation(quote: quote))
        return
      case UInt8(ascii: "\\"):
        scanEscape()
      default:
        index += 1
      }
    }
    // Still a token, of the kind that ends a string, so the parser sees a complete literal.
    emit(isContinuation ? .stringTail : .string, from: start)
    report(
      .unterminatedString, "unterminated string", from: quote, to: quote + 1,
      hint: "add a closing `\"`")
  }

  /// Scans `\` and the character it escapes, reporting escapes the language lacks.
  mutating func scanEscape() {
    let start = index
    index += 1
    // A `\` at the very end: the string is unterminated, which the caller reports.
    guard let escaped = peek() else { return }
    if TokenValue.escapeValue(escaped) != nil {
      index += 1
      return
    }
    let length = decodeScalar(at: index)?.1 ?? 1
    index += length
    report(
      .invalidEscape, "invalid escape '\\\(display(from: start + 1, to: index))' in string",
      from: start, to: index,
      hint: "the escapes are \\n \\t \\r \\0 \\\\ \\\" \\{ \\}; write \\\\ for a backslash")
  }
}
