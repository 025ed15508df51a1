// The values that literal tokens stand for, read from the source on demand (tokens carry only
// a kind and a range).

/// Decodes the text of string pieces and the value of numbers.
public enum TokenValue {
  /// The text of a `.string`, `.stringHead`, `.stringMiddle` or `.stringTail` token: delimiters
  /// (quote, `{`, `}`) removed and escapes decoded (an invalid escape keeps its character).
  public static func string(_ token: Token, in source: Source) -> String {
    let bytes = source.bytes
    let start = min(max(token.range.start, 0), bytes.count)
    let end = min(max(token.range.end, start), bytes.count)
    switch token.kind {
    case .string, .stringHead, .stringMiddle, .stringTail: break
    default: return source.text(token.range)
    }
    // Skip the opening delimiter, then stop at the first unescaped closing one. Scanning rather
    // than trimming handles unterminated pieces, which have no closing delimiter.
    var position = start + 1
    var text: [UInt8] = []
    text.reserveCapacity(max(0, end - position))
    while position < end {
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "{") { break }
      if byte == UInt8(ascii: "\\") {
        guard position + 1 < end else { break }
        let escaped = bytes[position + 1]
        text.append(escapeValue(escaped) ?? escaped)
        position += 2
      } else {
        text.append(byte)
        position += 1
      }
    }
    return String(decoding: text, as: UTF8.self)
  }

  /// The value of a `.number` token (`_` removed). Returns .infinity if it overflowed.
  public static func number(_ token: Token, in source: Source) -> Double {
    number(token, in: source, bytes: source.bytes)
  }

  // MARK: - Internals shared with the lexer

  /// The byte that `\` + `byte` stands for, or nil if the escape is not in the language.
  static func escapeValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "n"): return 0x0A
    case UInt8(ascii: "t"): return 0x09
    case UInt8(ascii: "r"): return 0x0D
    case UInt8(ascii: "0"): return 0x00
    case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "}"): return byte
    default: return nil
    }
  }

  /// The value of the number in `bytes` at the token's range. For a malformed literal, the value
  /// of its longest well-formed prefix (`1e` → 1), or 0.
  static func number(_ token: Token, in source: Source, bytes: [UInt8]) -> Double {
    let start = min(max(token.range.start, 0), bytes.count)
    let end = min(max(token.range.end, start), bytes.count)
    var text = ""
    var position = start
    func peek() -> UInt8? { position < end ? bytes[position] : nil }
    func digits() {
      while let byte = peek(), byte.isASCIIDigit || byte == UInt8(ascii: "_") {
        if byte != UInt8(ascii: "_") { text.unicodeScalars.append(Unicode.Scalar(byte)) }
        position += 1
      }
    }
    digits()
    if peek() == UInt8(ascii: "."), position + 1 < end, bytes[position + 1].isASCIIDigit {
      text += "."
      position += 1
      digits()
    }
    if text.isEmpty || text == "." { return 0 }
    if let marker = peek(), marker | 0x20 == UInt8(ascii: "e") {
      var next = position + 1
      var sign = ""
      if next < end, bytes[next] == UInt8(ascii: "+") || bytes[next] == UInt8(ascii: "-") {
        sign = bytes[next] == UInt8(ascii: "-") ? "-" : "+"
        next += 1
      }
      if next < end, bytes[next].isASCIIDigit {
        text += "e" + sign
        position = next
        digits()
      }
    }
    return Double(text) ?? 0
  }

  /// `text` as a string literal of the language, escaped so that `string(_:in:)` reads it
  /// back as `text`: the inverse of lexing a string.
  public static func literal(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\t": result += "\\t"
      case "\r": result += "\\r"
      case "{": result += "\\{"
      default: result.unicodeScalars.append(scalar)
      }
    }
    return result + "\""
  }
}
