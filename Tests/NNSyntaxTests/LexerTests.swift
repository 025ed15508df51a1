import Testing

@testable import NNSyntax

// MARK: - Helpers

extension LexerTests {
  /// A token as a test states it: kind and exact source text.
  struct Lexed: Equatable, Sendable, CustomStringConvertible {
    var kind: TokenKind
    var text: String

    init(_ kind: TokenKind, _ text: String) {
      self.kind = kind
      self.text = text
    }

    var description: String { "\(kind)(\(text.debugDescription))" }
  }
}

/// Lexes `text`, returning the tokens (without the final `.eof`) and diagnostics.
fileprivate func lex(_ text: String) -> (tokens: [LexerTests.Lexed], diagnostics: [Diagnostic]) {
  let source = Source(name: "test", text: text)
  let (tokens, diagnostics) = Lexer.tokenize(source)
  let lexed = tokens.dropLast().map { LexerTests.Lexed($0.kind, source.text($0.range)) }
  return (lexed, diagnostics)
}

/// The tokens of `text`, without `.eof`.
fileprivate func tokens(_ text: String) -> [LexerTests.Lexed] { lex(text).tokens }

/// The token kinds of `text`, without `.eof`.
fileprivate func kinds(_ text: String) -> [TokenKind] { tokens(text).map(\.kind) }

/// The diagnostics of `text` as (code, text covered).
fileprivate func problems(_ text: String) -> [(DiagnosticCode, String)] {
  let source = Source(name: "test", text: text)
  return Lexer.tokenize(source).diagnostics.map { diagnostic in
    (diagnostic.code, diagnostic.location.map { source.text($0.range) } ?? "")
  }
}

fileprivate func firstToken(_ text: String) -> (Token, Source) {
  let source = Source(name: "test", text: text)
  return (Lexer.tokenize(source).tokens[0], source)
}

/// A tiny deterministic generator, so the random test is reproducible.
fileprivate struct SplitMix64 {
  var state: UInt64

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Checks the invariants every tokenization must keep.
fileprivate func checkInvariants(_ tokens: [Token], count: Int) {
  #expect(tokens.last?.kind == .eof)
  #expect(tokens.filter { $0.kind == .eof }.count == 1)
  var previousEnd = 0
  for token in tokens {
    #expect(token.range.start >= previousEnd)
    #expect(token.range.start <= token.range.end)
    #expect(token.range.end <= count)
    if token.kind != .eof { #expect(token.range.start < token.range.end) }
    previousEnd = token.range.end
  }
}

// MARK: - Tokens

@Suite struct LexerTests {
  static let punctuation: [(String, TokenKind)] = [
    ("(", .leftParen), (")", .rightParen), ("[", .leftBracket), ("]", .rightBracket),
    ("{", .leftBrace), ("}", .rightBrace), (",", .comma), (".", .dot), (":", .colon),
    (";", .semicolon), ("=", .equal), ("+=", .plusEqual), ("-=", .minusEqual),
    ("*=", .starEqual), ("/=", .slashEqual), ("==", .equalEqual), ("!=", .bangEqual),
    ("<", .less), ("<=", .lessEqual), (">", .greater), (">=", .greaterEqual),
    ("..<", .halfOpenRange), ("...", .closedRange), ("+", .plus), ("-", .minus),
    ("*", .star), ("/", .slash), ("%", .percent), ("@", .at), ("^", .caret),
  ]

  @Test(arguments: punctuation)
  func punctuationAndOperators(text: String, kind: TokenKind) {
    #expect(tokens(text) == [Lexed(kind, text)])
    #expect(problems(text).isEmpty)
  }

  @Test func everyPunctuationKindIsCovered() {
    let covered = Set(Self.punctuation.map(\.1))
    let literalOrLayout: Set<TokenKind> = [
      .identifier, .number, .string, .stringHead, .stringMiddle, .stringTail, .newline,
      .invalid, .eof,
    ]
    for kind in TokenKind.allCases where !kind.isKeyword && !literalOrLayout.contains(kind) {
      #expect(covered.contains(kind), "\(kind) has no lexer test")
    }
  }

  @Test(arguments: TokenKind.allCases.filter(\.isKeyword))
  func keywords(kind: TokenKind) {
    #expect(tokens(kind.rawValue) == [Lexed(kind, kind.rawValue)])
    // A keyword with more letters is a name.
    #expect(kinds(kind.rawValue + "s") == [.identifier])
    #expect(kinds("_" + kind.rawValue) == [.identifier])
  }

  @Test func allTwentyKeywords() {
    let words = "let fn return if else for in while break continue model train on import true"
      + " false nil and or not"
    let lexed = tokens(words)
    #expect(lexed.count == 20)
    #expect(lexed.allSatisfy { $0.kind.isKeyword && $0.kind.rawValue == $0.text })
  }

  @Test(arguments: ["a", "_", "_x1", "x_y_z", "camelCase", "α", "naïve", "日本語", "x²"])
  func identifiers(text: String) {
    let expectedKinds: [TokenKind] = text == "x²" ? [.identifier, .invalid] : [.identifier]
    #expect(kinds(text) == expectedKinds)
    if text != "x²" { #expect(tokens(text) == [Lexed(.identifier, text)]) }
  }

  static let sequencesCases: [(String, [Lexed])] = [
    ("a += 1", [Lexed(.identifier, "a"), Lexed(.plusEqual, "+="), Lexed(.number, "1")]),
    ("a+=1", [Lexed(.identifier, "a"), Lexed(.plusEqual, "+="), Lexed(.number, "1")]),
    ("x<=-1", [Lexed(.identifier, "x"), Lexed(.lessEqual, "<="), Lexed(.minus, "-"),
               Lexed(.number, "1")]),
    ("a==b!=c", [Lexed(.identifier, "a"), Lexed(.equalEqual, "=="), Lexed(.identifier, "b"),
                 Lexed(.bangEqual, "!="), Lexed(.identifier, "c")]),
    ("===", [Lexed(.equalEqual, "=="), Lexed(.equal, "=")]),
    ("x@W.T", [Lexed(.identifier, "x"), Lexed(.at, "@"), Lexed(.identifier, "W"),
               Lexed(.dot, "."), Lexed(.identifier, "T")]),
    ("t.shape", [Lexed(.identifier, "t"), Lexed(.dot, "."), Lexed(.identifier, "shape")]),
    ("f(x: 1)", [Lexed(.identifier, "f"), Lexed(.leftParen, "("), Lexed(.identifier, "x"),
                 Lexed(.colon, ":"), Lexed(.number, "1"), Lexed(.rightParen, ")")]),
    ("2^-1", [Lexed(.number, "2"), Lexed(.caret, "^"), Lexed(.minus, "-"), Lexed(.number, "1")]),
    ("a;b", [Lexed(.identifier, "a"), Lexed(.semicolon, ";"), Lexed(.identifier, "b")]),
  ]

  @Test(arguments: sequencesCases)
  func sequences(text: String, expected: [Lexed]) {
    #expect(tokens(text) == expected)
    #expect(problems(text).isEmpty)
  }

  // MARK: - Numbers

  static let validNumbersCases: [(String, Double)] = [
    ("42", 42.0), ("3.14", 3.14), (".5", 0.5), ("1e-3", 0.001), ("2.5E+4", 25_000),
    ("60_000", 60_000), ("0", 0), ("007", 7), ("1e3", 1000), ("1_0.2_5", 10.25),
    ("1e1_0", 1e10), ("1E0", 1), ("1e-999", 0),
    ("123456789012345678901234567890", 1.2345678901234568e29),
  ]

  @Test(arguments: validNumbersCases)
  func validNumbers(text: String, value: Double) {
    #expect(tokens(text) == [Lexed(.number, text)])
    #expect(problems(text).isEmpty)
    let (token, source) = firstToken(text)
    #expect(TokenValue.number(token, in: source) == value)
  }

  static let malformedNumbersCases: [(String, String)] = [
    ("1e", "1e"), ("1e+", "1e+"), ("1E-", "1E-"), ("1__0", "1__0"), ("1_", "1_"), ("3.", "3."),
    ("2x", "2x"), ("1e5f", "1e5f"), ("1_e5", "1_e5"), ("1e999", "1e999"), ("3.)", "3."),
    ("1.5_", "1.5_"), ("2else", "2else"),
  ]

  @Test(arguments: malformedNumbersCases)
  func malformedNumbers(text: String, literal: String) {
    let lexed = tokens(text)
    #expect(lexed.first == Lexed(.number, literal))
    let found = problems(text)
    #expect(found.count == 1)
    #expect(found.first?.0 == .invalidNumber)
    #expect(found.first?.1 == literal)
  }

  @Test func numberTooLargeMessage() {
    let source = Source(name: "test", text: "1e999")
    let (tokens, diagnostics) = Lexer.tokenize(source)
    #expect(diagnostics.map(\.message) == ["number too large"])
    #expect(TokenValue.number(tokens[0], in: source) == .infinity)
  }

  static let numbersAndDotsCases: [(String, [Lexed])] = [
    ("1...5", [Lexed(.number, "1"), Lexed(.closedRange, "..."), Lexed(.number, "5")]),
    ("0..<10", [Lexed(.number, "0"), Lexed(.halfOpenRange, "..<"), Lexed(.number, "10")]),
    ("1.5...2.5", [Lexed(.number, "1.5"), Lexed(.closedRange, "..."), Lexed(.number, "2.5")]),
    ("x.T", [Lexed(.identifier, "x"), Lexed(.dot, "."), Lexed(.identifier, "T")]),
    ("a.0", [Lexed(.identifier, "a"), Lexed(.dot, "."), Lexed(.number, "0")]),
    ("a.0.1", [Lexed(.identifier, "a"), Lexed(.dot, "."), Lexed(.number, "0.1")]),
    ("f().5", [Lexed(.identifier, "f"), Lexed(.leftParen, "("), Lexed(.rightParen, ")"),
               Lexed(.dot, "."), Lexed(.number, "5")]),
    ("[.5]", [Lexed(.leftBracket, "["), Lexed(.number, ".5"), Lexed(.rightBracket, "]")]),
    ("x = .5", [Lexed(.identifier, "x"), Lexed(.equal, "="), Lexed(.number, ".5")]),
    ("-.5", [Lexed(.minus, "-"), Lexed(.number, ".5")]),
    ("0...-.5", [Lexed(.number, "0"), Lexed(.closedRange, "..."), Lexed(.minus, "-"),
                 Lexed(.number, ".5")]),
    ("3.x", [Lexed(.number, "3"), Lexed(.dot, "."), Lexed(.identifier, "x")]),
    ("1.e5", [Lexed(.number, "1"), Lexed(.dot, "."), Lexed(.identifier, "e5")]),
    ("1 .5", [Lexed(.number, "1"), Lexed(.dot, "."), Lexed(.number, "5")]),
  ]

  @Test(arguments: numbersAndDotsCases)
  func numbersAndDots(text: String, expected: [Lexed]) {
    #expect(tokens(text) == expected)
    #expect(problems(text).isEmpty)
  }

  // MARK: - Strings

  static let plainStringsCases: [(String, String)] = [
    (#""""#, ""), (#""abc""#, "abc"), (#""a\nb""#, "a\nb"), (#""\t""#, "\t"),
    (#""\\""#, "\\"), (#""\"""#, "\""), (#""\{x}""#, "{x}"), (#""\}""#, "}"),
    (#""\r\0""#, "\r\u{0}"), ("\"two\nlines\"", "two\nlines"), (#""héllo α""#, "héllo α"),
    (#""a}b""#, "a}b"),
  ]

  @Test(arguments: plainStringsCases)
  func plainStrings(text: String, value: String) {
    #expect(kinds(text) == [.string])
    #expect(tokens(text).first?.text == text)
    #expect(problems(text).isEmpty)
    let (token, source) = firstToken(text)
    #expect(TokenValue.string(token, in: source) == value)
  }

  @Test func invalidEscapeKeepsCharacter() {
    let text = #""a\qb\é""#
    #expect(kinds(text) == [.string])
    let found = problems(text)
    #expect(found.map(\.0) == [.invalidEscape, .invalidEscape])
    #expect(found.map(\.1) == [#"\q"#, #"\é"#])
    let (token, source) = firstToken(text)
    #expect(TokenValue.string(token, in: source) == "aqbé")
  }

  static let interpolationCases: [(String, [Lexed])] = [
    (#""a {x} b {y} c""#, [
      Lexed(.stringHead, #""a {"#), Lexed(.identifier, "x"), Lexed(.stringMiddle, "} b {"),
      Lexed(.identifier, "y"), Lexed(.stringTail, #"} c""#),
    ]),
    (#""loss {h.loss[-1]}""#, [
      Lexed(.stringHead, #""loss {"#), Lexed(.identifier, "h"), Lexed(.dot, "."),
      Lexed(.identifier, "loss"), Lexed(.leftBracket, "["), Lexed(.minus, "-"),
      Lexed(.number, "1"), Lexed(.rightBracket, "]"), Lexed(.stringTail, #"}""#),
    ]),
    (#""{ {a: 1} }""#, [
      Lexed(.stringHead, #""{"#), Lexed(.leftBrace, "{"), Lexed(.identifier, "a"),
      Lexed(.colon, ":"), Lexed(.number, "1"), Lexed(.rightBrace, "}"),
      Lexed(.stringTail, #"}""#),
    ]),
    (#""{f("b")}""#, [
      Lexed(.stringHead, #""{"#), Lexed(.identifier, "f"), Lexed(.leftParen, "("),
      Lexed(.string, #""b""#), Lexed(.rightParen, ")"), Lexed(.stringTail, #"}""#),
    ]),
    (#""x{"y{z}"}""#, [
      Lexed(.stringHead, #""x{"#), Lexed(.stringHead, #""y{"#), Lexed(.identifier, "z"),
      Lexed(.stringTail, #"}""#), Lexed(.stringTail, #"}""#),
    ]),
    (#""{}""#, [Lexed(.stringHead, #""{"#), Lexed(.stringTail, #"}""#)]),
    (#""{a}{b}""#, [
      Lexed(.stringHead, #""{"#), Lexed(.identifier, "a"), Lexed(.stringMiddle, "}{"),
      Lexed(.identifier, "b"), Lexed(.stringTail, #"}""#),
    ]),
    (#""{"a" + "b"}" x"#, [
      Lexed(.stringHead, #""{"#), Lexed(.string, #""a""#), Lexed(.plus, "+"),
      Lexed(.string, #""b""#), Lexed(.stringTail, #"}""#), Lexed(.identifier, "x"),
    ]),
  ]

  @Test(arguments: interpolationCases)
  func interpolation(text: String, expected: [Lexed]) {
    #expect(tokens(text) == expected)
    #expect(problems(text).isEmpty)
  }

  @Test func interpolationPieceValues() {
    let source = Source(name: "test", text: #""a\{ {x} b\n {y} c\"""#)
    let pieces = Lexer.tokenize(source).tokens.filter { $0.kind != .identifier }.dropLast()
    #expect(pieces.map { TokenValue.string($0, in: source) } == ["a{ ", " b\n ", " c\""])
  }

  static let unterminatedStringsCases: [(String, [String])] = [
    (#""abc"#, [#"""#]), (#""abc\"#, [#"""#]), (#""a {x"#, [#"""#]),
    (#""a {x} b"#, [#"""#]), (#""{"a"#, [#"""#, #"""#]), (#""{ {"#, [#"""#]),
    ("x = \"\nmulti\nline", [#"""#]), (#""{f("b}"#, [#"""#, #"""#]),
  ]

  @Test(arguments: unterminatedStringsCases)
  func unterminatedStrings(text: String, covered: [String]) {
    let found = problems(text)
    #expect(found.map(\.0) == covered.map { _ in DiagnosticCode.unterminatedString })
    #expect(found.map(\.1) == covered)
    let source = Source(name: "test", text: text)
    let result = Lexer.tokenize(source)
    #expect(result.diagnostics.allSatisfy { $0.message == "unterminated string" })
    // Every range starts at a quote.
    for diagnostic in result.diagnostics {
      let start = diagnostic.location?.range.start ?? -1
      #expect(source.bytes[start] == UInt8(ascii: "\""))
    }
  }

  @Test func unterminatedStringValue() {
    let (token, source) = firstToken(#""ab\"#)
    #expect(token.kind == .string)
    #expect(TokenValue.string(token, in: source) == "ab")
  }

  // MARK: - Comments and newlines

  static let commentsCases: [(String, [TokenKind])] = [
    ("# just a comment", [TokenKind]()),
    ("#!/usr/bin/env nn\nx", [.identifier]),
    ("x # comment\ny", [.identifier, .newline, .identifier]),
    ("x = 1 + # comment\n 2", [.identifier, .equal, .number, .plus, .number]),
    ("\"#not a comment\"", [.string]),
  ]

  @Test(arguments: commentsCases)
  func comments(text: String, expected: [TokenKind]) {
    #expect(kinds(text) == expected)
    #expect(problems(text).isEmpty)
  }

  static let newlinesCases: [(String, [TokenKind])] = [
    ("a\nb", [.identifier, .newline, .identifier]),
    ("\n\n\na", [.identifier]),
    ("# c\n\na", [.identifier]),
    ("a\n\n\n\nb", [.identifier, .newline, .identifier]),
    ("a\n", [.identifier, .newline]),
    ("a", [.identifier]),
    ("a\n# c\n\nb", [.identifier, .newline, .identifier]),
    ("f(a,\nb\n)", [.identifier, .leftParen, .identifier, .comma, .identifier, .rightParen]),
    ("[1\n2]", [.leftBracket, .number, .number, .rightBracket]),
    ("(\n{\na\n}\n)",
     [.leftParen, .leftBrace, .newline, .identifier, .newline, .rightBrace, .rightParen]),
    ("{\na\n}", [.leftBrace, .newline, .identifier, .newline, .rightBrace]),
    ("{a: 1\nb: 2}", [.leftBrace, .identifier, .colon, .number, .newline, .identifier, .colon,
                      .number, .rightBrace]),
    ("a +\nb", [.identifier, .plus, .identifier]),
    ("a ,\nb", [.identifier, .comma, .identifier]),
    ("a and\nb or\nnot c", [.identifier, .kwAnd, .identifier, .kwOr, .kwNot, .identifier]),
    ("x =\n1", [.identifier, .equal, .number]),
    ("x.\ny", [.identifier, .dot, .identifier]),
    ("0..<\n5", [.number, .halfOpenRange, .number]),
    ("a;\nb", [.identifier, .semicolon, .newline, .identifier]),
    ("a\n+b", [.identifier, .newline, .plus, .identifier]),
    ("(a\n", [.leftParen, .identifier]),
    ("a)\nb", [.identifier, .rightParen, .newline, .identifier]),
    ("(a]\nb", [.leftParen, .identifier, .rightBracket, .identifier]),
    ("([a)\nb", [.leftParen, .leftBracket, .identifier, .rightParen, .newline, .identifier]),
    ("{(a}\nb", [.leftBrace, .leftParen, .identifier, .rightBrace, .newline, .identifier]),
    ("\"{(}\"\nb", [.stringHead, .leftParen, .stringTail, .newline, .identifier]),
    ("(\"{\na}\"\nb)", [.leftParen, .stringHead, .newline, .identifier, .stringTail,
                        .identifier, .rightParen]),
    ("\"a\nb\"\nc", [.string, .newline, .identifier]),
  ]

  @Test(arguments: newlinesCases)
  func newlines(text: String, expected: [TokenKind]) {
    #expect(kinds(text) == expected)
  }

  @Test func newlineRangeIsTheLineBreak() {
    #expect(tokens("a\nb")[1] == Lexed(.newline, "\n"))
    #expect(tokens("a\r\nb") == [
      Lexed(.identifier, "a"), Lexed(.newline, "\r\n"), Lexed(.identifier, "b"),
    ])
    #expect(tokens("a \r\n\r\n b # c\r\n") == [
      Lexed(.identifier, "a"), Lexed(.newline, "\r\n"), Lexed(.identifier, "b"),
      Lexed(.newline, "\r\n"),
    ])
    // A lone carriage return (classic Mac OS) is a line break too, and ends a comment.
    #expect(tokens("a\rb # c\rd") == [
      Lexed(.identifier, "a"), Lexed(.newline, "\r"), Lexed(.identifier, "b"),
      Lexed(.newline, "\r"), Lexed(.identifier, "d"),
    ])
    #expect(problems("a\r\nb\r\n").isEmpty)
    #expect(problems("let x = 1\rprint(x)\r").isEmpty)
  }

  @Test func loneCarriageReturnsCountAsLines() {
    let source = Source(name: "test", text: "a\rbb\r\ncc\nd")
    #expect(source.lineStarts == [0, 2, 6, 9])
    #expect(source.lineAndColumn(of: 3) == (2, 2))
    #expect((1...4).map(source.lineText) == ["a", "bb", "cc", "d"])
  }

  @Test func byteOrderMarkIsDropped() {
    let source = Source(name: "test", text: "\u{FEFF}let x = 1")
    #expect(source.bytes.first == UInt8(ascii: "l"))
    #expect(kinds("\u{FEFF}let x = 1") == [.kwLet, .identifier, .equal, .number])
    #expect(problems("\u{FEFF}print(1)\n").isEmpty)
    // Only at the start: elsewhere it is an unexpected character, as before.
    #expect(problems("x\u{FEFF}").count == 1)
  }

  @Test func endsWithExactlyOneEOF() {
    for text in ["", "\n", "a", "a\n", "\"", "(((", "\"{"] {
      let source = Source(name: "test", text: text)
      let result = Lexer.tokenize(source)
      #expect(result.tokens.last == Token(.eof, SourceRange(start: text.utf8.count,
                                                            end: text.utf8.count)))
      #expect(result.tokens.filter { $0.kind == .eof }.count == 1)
    }
  }

  // MARK: - Invalid characters

  static let invalidCharactersCases: [(String, String, String, String?)] = [
    ("$", "$", "unexpected character '$'", nil),
    ("!x", "!", "unexpected character '!'", "use `not` for logical negation"),
    ("a && b", "&&", "unexpected characters '&&'", "use `and`"),
    ("a || b", "||", "unexpected characters '||'", "use `or`"),
    ("'hi'", "'", "unexpected character '''", "strings use double quotes"),
    ("a..b", "..", "unexpected '..'", "use `..<` for a half-open range or `...` for a closed one"),
    ("x $$? y", "$$?", "unexpected characters '$$?'", nil),
    ("\u{1}", "\u{1}", "unexpected character '\\u{1}'", nil),
    ("😀", "😀", "unexpected character '😀'", nil),
    ("a → b", "→", "unexpected character '→'", nil),
  ] as [(String, String, String, String?)]

  @Test(arguments: invalidCharactersCases)
  func invalidCharacters(text: String, covered: String, message: String, hint: String?) {
    let source = Source(name: "test", text: text)
    let (tokens, diagnostics) = Lexer.tokenize(source)
    #expect(diagnostics.count >= 1)
    guard let first = diagnostics.first else { return }
    #expect(first.code == .invalidCharacter)
    #expect(first.message == message)
    #expect(first.hint == hint)
    #expect(first.location.map { source.text($0.range) } == covered)
    #expect(tokens.contains { $0.kind == .invalid && source.text($0.range) == covered })
  }

  @Test func invalidRunsAreOneToken() {
    #expect(kinds("a $%b") == [.identifier, .invalid, .percent, .identifier])
    #expect(kinds("$$$") == [.invalid])
    #expect(kinds("!!=") == [.invalid, .bangEqual])
    #expect(problems("'hello'").map(\.1) == ["'", "'"])
  }

  @Test func invalidUTF8DoesNotTrap() {
    let source = Source(name: "test", text: "")
    let bytes: [UInt8] = [0x61, 0xFF, 0xFE, 0x20, 0xC3, 0x28, 0xE2, 0x82, 0x22, 0x5C, 0xFF, 0x22]
    let (tokens, diagnostics) = Lexer.tokenize(source, bytes: bytes)
    checkInvariants(tokens, count: bytes.count)
    #expect(tokens.map(\.kind) == [.identifier, .invalid, .invalid, .leftParen, .invalid,
                                   .string, .eof])
    #expect(diagnostics.first?.message == "invalid UTF-8 bytes 0xFF 0xFE")
    #expect(diagnostics.contains { $0.code == .invalidEscape })
    // Overlong and surrogate encodings are not letters.
    for bad: [UInt8] in [[0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF5, 0x80]] {
      let result = Lexer.tokenize(source, bytes: bad)
      #expect(result.tokens.map(\.kind) == [.invalid, .eof])
    }
  }

  // MARK: - Robustness

  @Test func randomBytesNeverTrap() {
    var random = SplitMix64(state: 0x5EED)
    let alphabet = Array("abe_0123456789.+-*/=<>!&|'\"{}()[]\\#:;,$ \n\r\tα".utf8)
    let source = Source(name: "random", text: "")
    for round in 0..<2_000 {
      let length = random.below(64)
      var bytes: [UInt8] = []
      for _ in 0..<length {
        // Half the rounds favour bytes that form tokens, so strings and numbers get exercised.
        if round % 2 == 0 {
          bytes.append(alphabet[random.below(alphabet.count)])
        } else {
          bytes.append(UInt8(truncatingIfNeeded: random.next()))
        }
      }
      let (tokens, diagnostics) = Lexer.tokenize(source, bytes: bytes)
      checkInvariants(tokens, count: bytes.count)
      for diagnostic in diagnostics {
        let range = diagnostic.location?.range ?? SourceRange(start: 0, end: 0)
        #expect(range.start >= 0 && range.end <= bytes.count)
      }
      for token in tokens where token.kind == .number {
        _ = TokenValue.number(token, in: source, bytes: bytes)
      }
    }
  }

  @Test func deepNestingDoesNotRecurse() {
    let depth = 100_000
    let brackets = String(repeating: "([{", count: depth) + String(repeating: "}])", count: depth)
    #expect(Lexer.tokenize(Source(name: "deep", text: brackets)).tokens.count == 6 * depth + 1)
    let strings = String(repeating: "\"{", count: depth) + String(repeating: "}\"", count: depth)
    let result = Lexer.tokenize(Source(name: "deep", text: strings))
    #expect(result.tokens.count == 2 * depth + 1)
    #expect(result.diagnostics.isEmpty)
    let stray = String(repeating: "[", count: depth) + String(repeating: ")", count: depth)
    #expect(Lexer.tokenize(Source(name: "stray", text: stray)).tokens.count == 2 * depth + 1)
  }

  /// A megabyte of script lexes in one pass (how fast is scripts/bench's business, not a test's).
  @Test func megabyteLexes() {
    let line = "let h = train net on data { loss: mse, lr: 1e-3 } # \"{x}\" 60_000\n"
      + "print(\"loss {h.loss[-1]} at {t.shape}\", [0.5, .25], 0..<10)\n"
    let text = String(repeating: line, count: 1_000_000 / line.utf8.count + 1)
    let source = Source(name: "big", text: text)
    let count = Lexer.tokenize(source).tokens.count
    #expect(count > 100_000)
  }
}
