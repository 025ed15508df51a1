// The lexer: UTF-8 bytes in, tokens and diagnostics out (LANGUAGE.md §2).
//
// One forward pass over the bytes with an explicit nesting stack, so it is linear in the size of
// the source and never recurses, however deep the brackets or string interpolations go. It never
// throws and never traps: every byte sequence yields tokens ending in exactly one `.eof`, and
// problems become `.invalid` tokens or diagnostics beside well-formed tokens.
//
// Decisions worth knowing:
// - A `.newline` token is emitted only for a real line break (its range is the `\n`, `\r\n` or
//   lone `\r`), never synthesised before `.eof`; a source ending in `x\n` ends
//   `identifier newline eof`, one ending in `x` ends `identifier eof`.
// - `3.` followed by a digit is a fraction, by `.` a range (`3...5`), by a letter or `_` a member
//   access (`3.x` → number, dot, identifier); otherwise (`3.`, `3.)`) it is an invalid number.

/// Turns source text into tokens.
public enum Lexer {
  /// Tokenizes the whole source. Always ends with exactly one `.eof`. Never throws, never traps.
  public static func tokenize(_ source: Source) -> (tokens: [Token], diagnostics: [Diagnostic]) {
    tokenize(source, bytes: source.bytes)
  }

  /// Tokenizes `bytes` as if they were the text of `source`.
  ///
  /// `Source` can only be made from a `String`, whose bytes are always valid UTF-8; tests use this
  /// to feed arbitrary bytes (invalid UTF-8 included) through the lexer.
  static func tokenize(
    _ source: Source, bytes: [UInt8]
  ) -> (tokens: [Token], diagnostics: [Diagnostic]) {
    let result = tokenizeCounting(source, bytes: bytes)
    return (result.tokens, result.diagnostics)
  }

  /// Tokenizes, keeping at most `Parser.maxSyntaxErrors` diagnostics and counting the rest in
  /// `dropped` (a binary file gives one per stray byte: hundreds of thousands).
  static func tokenizeCounting(
    _ source: Source, bytes: [UInt8]
  ) -> (tokens: [Token], diagnostics: [Diagnostic], dropped: Int) {
    var scanner = LexerState(source: source, bytes: bytes)
    scanner.run()
    return (scanner.tokens, scanner.sortedDiagnostics(), scanner.droppedDiagnostics)
  }
}

// MARK: - LexerState state

/// An open bracket, brace or interpolation; decides whether a line break ends a statement.
enum LexerNesting: Equatable {
  case paren
  case bracket
  case brace
  /// The `{` of a string interpolation; `quote` is where its string opened, for diagnostics.
  case interpolation(quote: Int)
}

/// The mutable state of one tokenization.
struct LexerState {
  let source: Source
  let bytes: [UInt8]
  var index = 0
  var tokens: [Token] = []
  var diagnostics: [Diagnostic] = []
  /// Diagnostics found past `Parser.maxSyntaxErrors`, counted but not kept.
  var droppedDiagnostics = 0
  var nesting: [LexerNesting] = []

  /// How far down the nesting stack a closer looks for its opener. Bounded so that many stray
  /// closers cannot make lexing quadratic; real mismatches are a level or two deep.
  static let closerSearchLimit = 32

  init(source: Source, bytes: [UInt8]) {
    self.source = source
    self.bytes = bytes
    tokens.reserveCapacity(bytes.count / 3 + 1)
  }

  /// The byte `offset` past the current one, or nil past the end.
  func peek(_ offset: Int = 0) -> UInt8? {
    let position = index + offset
    return position >= 0 && position < bytes.count ? bytes[position] : nil
  }

  mutating func emit(_ kind: TokenKind, from start: Int) {
    tokens.append(Token(kind, SourceRange(start: start, end: index)))
  }

  mutating func report(
    _ code: DiagnosticCode, _ message: String, from start: Int, to end: Int, hint: String? = nil
  ) {
    guard diagnostics.count < Parser.maxSyntaxErrors else {
      droppedDiagnostics += 1
      return
    }
    let range = SourceRange(start: start, end: end)
    diagnostics.append(.error(code, message, in: source, at: range, hint: hint))
  }

  /// Diagnostics in source order (those found at the end, such as an interpolation still open,
  /// would otherwise come last); ties keep the order they were found in.
  func sortedDiagnostics() -> [Diagnostic] {
    diagnostics.enumerated().sorted { lhs, rhs in
      let left = lhs.element.location?.range.start ?? 0
      let right = rhs.element.location?.range.start ?? 0
      return left != right ? left < right : lhs.offset < rhs.offset
    }.map(\.element)
  }
}

// MARK: - Main loop

extension LexerState {
  mutating func run() {
    while index < bytes.count {
      scanNext()
    }
    for frame in nesting {
      if case .interpolation(let quote) = frame {
        report(
          .unterminatedString, "unterminated string", from: quote, to: quote + 1,
          hint: "a `{` interpolation in this string is never closed with `}`")
      }
    }
    tokens.append(Token(.eof, SourceRange(start: bytes.count, end: bytes.count)))
  }

  /// Scans whatever starts at `index`: a token, whitespace, a comment or a line break.
  mutating func scanNext() {
    let start = index
    let byte = bytes[index]
    switch byte {
    case UInt8(ascii: " "), UInt8(ascii: "\t"), 0x0B, 0x0C:
      index += 1
    case UInt8(ascii: "\r"):
      // `\r\n` is one line break, and so is a lone `\r` (classic Mac OS), as `Source` counts
      // lines.
      lineBreak(length: peek(1) == UInt8(ascii: "\n") ? 2 : 1)
    case UInt8(ascii: "\n"):
      lineBreak(length: 1)
    case UInt8(ascii: "#"):
      // Also covers a `#!` first line.
      while index < bytes.count, bytes[index] != UInt8(ascii: "\n"),
        bytes[index] != UInt8(ascii: "\r")
      {
        index += 1
      }
    case UInt8(ascii: "\""):
      scanString()
    case UInt8(ascii: "0")...UInt8(ascii: "9"):
      scanNumber()
    case UInt8(ascii: "."):
      scanDot()
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "_"):
      scanIdentifier()
    case UInt8(ascii: "("):
      nesting.append(.paren)
      single(.leftParen)
    case UInt8(ascii: "["):
      nesting.append(.bracket)
      single(.leftBracket)
    case UInt8(ascii: "{"):
      nesting.append(.brace)
      single(.leftBrace)
    case UInt8(ascii: ")"):
      close(.paren)
      single(.rightParen)
    case UInt8(ascii: "]"):
      close(.bracket)
      single(.rightBracket)
    case UInt8(ascii: "}"):
      scanRightBrace()
    default:
      if scanOperator(byte) { return }
      if byte >= 0x80, let (scalar, _) = decodeScalar(at: index), scalar.properties.isAlphabetic {
        scanIdentifier()
      } else {
        scanInvalid(from: start)
      }
    }
  }

  mutating func single(_ kind: TokenKind) {
    index += 1
    emit(kind, from: index - 1)
  }

  /// Scans a one- or two-byte operator or punctuation mark; false if `byte` starts none.
  mutating func scanOperator(_ byte: UInt8) -> Bool {
    let followedByEqual = peek(1) == UInt8(ascii: "=")
    let kind: TokenKind
    let withEqual: TokenKind?
    switch byte {
    case UInt8(ascii: ","): (kind, withEqual) = (.comma, nil)
    case UInt8(ascii: ":"): (kind, withEqual) = (.colon, nil)
    case UInt8(ascii: ";"): (kind, withEqual) = (.semicolon, nil)
    case UInt8(ascii: "%"): (kind, withEqual) = (.percent, nil)
    case UInt8(ascii: "@"): (kind, withEqual) = (.at, nil)
    case UInt8(ascii: "^"): (kind, withEqual) = (.caret, nil)
    case UInt8(ascii: "="): (kind, withEqual) = (.equal, .equalEqual)
    case UInt8(ascii: "+"): (kind, withEqual) = (.plus, .plusEqual)
    case UInt8(ascii: "-"): (kind, withEqual) = (.minus, .minusEqual)
    case UInt8(ascii: "*"): (kind, withEqual) = (.star, .starEqual)
    case UInt8(ascii: "/"): (kind, withEqual) = (.slash, .slashEqual)
    case UInt8(ascii: "<"): (kind, withEqual) = (.less, .lessEqual)
    case UInt8(ascii: ">"): (kind, withEqual) = (.greater, .greaterEqual)
    case UInt8(ascii: "!"):
      // `!` alone is not an operator; `scanInvalid` gives it a hint.
      guard followedByEqual else { return false }
      (kind, withEqual) = (.bangEqual, .bangEqual)
    default:
      return false
    }
    let start = index
    if followedByEqual, let withEqual {
      index += 2
      emit(withEqual, from: start)
    } else {
      index += 1
      emit(kind, from: start)
    }
    return true
  }

  /// `.`, `..<`, `...`, or a number such as `.5`.
  mutating func scanDot() {
    let start = index
    if peek(1) == UInt8(ascii: ".") {
      if peek(2) == UInt8(ascii: "<") || peek(2) == UInt8(ascii: ".") {
        index += 3
        emit(peek(-1) == UInt8(ascii: "<") ? .halfOpenRange : .closedRange, from: start)
      } else {
        index += 2
        emit(.invalid, from: start)
        report(
          .invalidCharacter, "unexpected '..'", from: start, to: index,
          hint: "use `..<` for a half-open range or `...` for a closed one")
      }
    } else if let next = peek(1), next.isASCIIDigit, !previousEndsOperand {
      scanNumber()
    } else {
      single(.dot)
    }
  }

  /// Whether the last token can end an operand, so that `.5` after it is member access (`a.0`)
  /// rather than a number (`[.5]`, `x = .5`).
  var previousEndsOperand: Bool {
    guard let last = tokens.last else { return false }
    switch last.kind {
    case .identifier, .number, .string, .stringTail, .rightParen, .rightBracket, .rightBrace,
      .kwTrue, .kwFalse, .kwNil:
      return true
    default:
      return false
    }
  }

  mutating func scanIdentifier() {
    let start = index
    var isASCII = true
    while index < bytes.count {
      let byte = bytes[index]
      if byte.isIdentifierByte {
        index += 1
      } else if byte >= 0x80, let (scalar, length) = decodeScalar(at: index),
        scalar.properties.isAlphabetic
      {
        isASCII = false
        index += length
      } else {
        break
      }
    }
    // Keywords are short and ASCII; skip the dictionary for everything else.
    if isASCII, index - start <= 8,
      let keyword = TokenKind.keyword(String(decoding: bytes[start..<index], as: UTF8.self))
    {
      emit(keyword, from: start)
    } else {
      emit(.identifier, from: start)
    }
  }
}

// MARK: - LexerNesting and line breaks

extension LexerState {
  mutating func lineBreak(length: Int) {
    let start = index
    index += length
    if isLineBreakSignificant { emit(.newline, from: start) }
  }

  /// LANGUAGE.md §2: a line break ends a statement except inside `( )` or `[ ]` (a `{` makes
  /// them count again), after an operator or comma, at the start, or after another line break.
  var isLineBreakSignificant: Bool {
    if let top = nesting.last, top == .paren || top == .bracket { return false }
    guard let last = tokens.last else { return false }
    return last.kind != .newline && !last.kind.continuesLine
  }

  /// Pops the nesting stack down to the opener `kind`, so that one missing closer does not
  /// unbalance the rest of the file. A stray closer with no opener (within the current
  /// interpolation) leaves the stack alone.
  mutating func close(_ kind: LexerNesting) {
    var position = nesting.count - 1
    let lowest = max(0, nesting.count - LexerState.closerSearchLimit)
    while position >= lowest {
      let frame = nesting[position]
      if frame == kind {
        nesting.removeSubrange(position...)
        return
      }
      if case .interpolation = frame { return }
      position -= 1
    }
  }

  /// A `}` closes a brace, or ends an interpolation and resumes its string.
  mutating func scanRightBrace() {
    var position = nesting.count - 1
    let lowest = max(0, nesting.count - LexerState.closerSearchLimit)
    while position >= lowest {
      switch nesting[position] {
      case .brace:
        nesting.removeSubrange(position...)
        single(.rightBrace)
        return
      case .interpolation(let quote):
        nesting.removeSubrange(position...)
        let start = index
        index += 1
        scanStringPiece(from: start, quote: quote, isContinuation: true)
        return
      case .paren, .bracket:
        position -= 1
      }
    }
    single(.rightBrace)
  }
}

// MARK: - Invalid characters

extension LexerState {
  /// Turns a run of bytes that start no token into one `.invalid` token and one diagnostic.
  mutating func scanInvalid(from start: Int) {
    while index < bytes.count, let length = invalidLength(at: index) {
      index += length
    }
    if index == start { index += 1 }  // Defensive: always make progress.
    emit(.invalid, from: start)
    report(
      .invalidCharacter, invalidMessage(from: start, to: index), from: start, to: index,
      hint: invalidHint(from: start, to: index))
  }

  /// The length of the invalid character at `position`, or nil if a token or whitespace
  /// starts there.
  func invalidLength(at position: Int) -> Int? {
    let byte = bytes[position]
    if byte >= 0x80 {
      guard let (scalar, length) = decodeScalar(at: position) else { return 1 }
      return scalar.properties.isAlphabetic ? nil : length
    }
    switch byte {
    case UInt8(ascii: "!"):
      let next = position + 1 < bytes.count ? bytes[position + 1] : 0
      return next == UInt8(ascii: "=") ? nil : 1
    case UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "|"), UInt8(ascii: "'"),
      UInt8(ascii: "?"), UInt8(ascii: "~"), UInt8(ascii: "`"), UInt8(ascii: "\\"):
      return 1
    case 0x00..<0x09, 0x0E..<0x20, 0x7F:
      return 1
    default:
      return nil
    }
  }

  func invalidMessage(from start: Int, to end: Int) -> String {
    var invalidBytes: [UInt8] = []
    var position = start
    var scalars = 0
    var allInvalid = true
    while position < end {
      if let (_, length) = decodeScalar(at: position) {
        allInvalid = false
        position += length
      } else {
        invalidBytes.append(bytes[position])
        position += 1
      }
      scalars += 1
    }
    if allInvalid {
      let shown = invalidBytes.prefix(8).map { "0x" + $0.hexString }.joined(separator: " ")
      let more = invalidBytes.count > 8 ? " …" : ""
      let noun = invalidBytes.count == 1 ? "byte" : "bytes"
      return "invalid UTF-8 \(noun) \(shown)\(more)"
    }
    let noun = scalars == 1 ? "character" : "characters"
    return "unexpected \(noun) '\(display(from: start, to: end))'"
  }

  func invalidHint(from start: Int, to end: Int) -> String? {
    switch bytes[start] {
    case UInt8(ascii: "!"): return "use `not` for logical negation"
    case UInt8(ascii: "&"): return "use `and`"
    case UInt8(ascii: "|"): return "use `or`"
    case UInt8(ascii: "'"): return "strings use double quotes"
    default: return nil
    }
  }
}

// MARK: - Bytes and scalars

extension UInt8 {
  var isASCIIDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }

  /// An ASCII letter, digit or `_`.
  var isIdentifierByte: Bool {
    isASCIIDigit || self == UInt8(ascii: "_")
      || (self | 0x20 >= UInt8(ascii: "a") && self | 0x20 <= UInt8(ascii: "z"))
  }

  /// Two uppercase hex digits.
  var hexString: String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(self >> 4)], digits[Int(self & 0xF)]])
  }
}

extension LexerState {
  /// Decodes the UTF-8 scalar at `position`; nil for an invalid or truncated sequence
  /// (overlong forms and surrogates included).
  func decodeScalar(at position: Int) -> (Unicode.Scalar, Int)? {
    guard position >= 0, position < bytes.count else { return nil }
    let first = bytes[position]
    if first < 0x80 { return (Unicode.Scalar(first), 1) }
    let length: Int
    var value: UInt32
    switch first {
    case 0xC2...0xDF: (length, value) = (2, UInt32(first & 0x1F))
    case 0xE0...0xEF: (length, value) = (3, UInt32(first & 0x0F))
    case 0xF0...0xF4: (length, value) = (4, UInt32(first & 0x07))
    default: return nil
    }
    guard position + length <= bytes.count else { return nil }
    for offset in 1..<length {
      let byte = bytes[position + offset]
      guard byte & 0xC0 == 0x80 else { return nil }
      value = value << 6 | UInt32(byte & 0x3F)
    }
    if (length == 3 && value < 0x800) || (length == 4 && value < 0x10000) { return nil }
    guard let scalar = Unicode.Scalar(value) else { return nil }
    return (scalar, length)
  }

  /// The bytes as a message can show them: control characters escaped, invalid UTF-8 as
  /// U+FFFD, long runs cut short.
  func display(from start: Int, to end: Int, limit: Int = 32) -> String {
    var result = ""
    var position = start
    var count = 0
    while position < end {
      if count == limit {
        result += "…"
        break
      }
      if let (scalar, length) = decodeScalar(at: position) {
        let value = scalar.value
        if value < 0x20 || value == 0x7F || (value >= 0x80 && value < 0xA0) {
          result += "\\u{" + String(value, radix: 16, uppercase: true) + "}"
        } else {
          result.unicodeScalars.append(scalar)
        }
        position += length
      } else {
        result += "\u{FFFD}"
        position += 1
      }
      count += 1
    }
    return result
  }
}
