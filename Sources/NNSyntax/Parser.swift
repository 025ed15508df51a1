// The parser: tokens in, a `Program` and diagnostics out (grammar/nn.ebnf).
//
// Recursive descent, one function per grammar rule with the rule's production in its doc
// comment; the binary operators are parsed by one precedence-climbing loop over one table
// (Parser+Expressions.swift). The parser never throws to its caller and never traps: an error
// becomes a diagnostic, the parser unwinds to the statement being parsed, skips to the next
// statement boundary (jlox's `synchronize`) and goes on, so every bad statement in a file is
// reported, once. Inside the parser, Swift's typed `throws` is that unwinding.
//
// Files: this one holds the public API, the token cursor, diagnostics and recovery;
// Parser+Statements.swift the statements and blocks; Parser+Models.swift model bodies;
// Parser+Expressions.swift the expressions.

/// What parsing a source gives: a (possibly partial) program and every diagnostic.
public struct ParseResult: Sendable {
  /// The statements that parsed; a statement with an error is left out.
  public var program: Program
  /// The lexer's and the parser's diagnostics, in source order.
  public var diagnostics: [Diagnostic]
  /// True when every error is an unexpected end of input (an open bracket, brace or string,
  /// `1 +` at the end): the REPL then reads another line instead of reporting.
  public var isIncomplete: Bool

  /// Makes a result from a program, its diagnostics and whether the input ended early.
  public init(program: Program, diagnostics: [Diagnostic], isIncomplete: Bool) {
    self.program = program
    self.diagnostics = diagnostics
    self.isIncomplete = isIncomplete
  }
}

/// Parses `.nn` source text (grammar/nn.ebnf).
public enum Parser {
  /// How deeply brackets, blocks, strings and prefix operators may nest. The parser recurses
  /// on the thread's stack once or more per level, so a limit turns a pathological input (a
  /// hundred thousand `(`) into one diagnostic instead of a stack overflow. 256 is far beyond
  /// anything written by hand and fits a 512 KiB secondary-thread stack in a debug build.
  public static let maxNestingDepth = 256
  /// How many binary operators one chain may link (`1 + 1 + …`, counted along every chain
  /// that the operand being parsed sits in). A chain is flat to read but builds a tree as deep
  /// as it is long, which the checker and name walks recurse on and which is released
  /// recursively; 10,000 links keep that within a few MiB of any thread's stack. It is its
  /// own bound with its own message, so a long sum is not "nesting too deep".
  public static let maxChainLength = 10_000

  /// Syntax errors reported for one source; the rest are counted in one closing note. A
  /// binary file read as a script has an error every few bytes, and after the first screenful
  /// more of them say nothing new (clang stops at 20, rustc and GCC at none, javac at 100).
  /// Kept this small, the lexer and parser also store no more than this many.
  public static let maxSyntaxErrors = 100

  /// Lexes and parses a whole source. Never throws, never traps.
  public static func parse(_ source: Source) -> ParseResult {
    let lexed = Lexer.tokenizeCounting(source, bytes: source.bytes)
    var parser = SyntaxParser(source: source, tokens: lexed.tokens,
                              lexerDiagnostics: lexed.diagnostics)
    let statements = parser.parseProgram()
    let dropped = lexed.dropped + parser.droppedDiagnostics
    let diagnostics = inSourceOrder(lexed.diagnostics + parser.diagnostics)
    let errors = diagnostics.filter { $0.severity == .error }
    let incomplete = dropped == 0 && !errors.isEmpty && errors.allSatisfy {
      $0.code == .unexpectedEndOfInput || $0.code == .unterminatedString
    }
    return ParseResult(
      program: Program(source: source, statements: statements),
      diagnostics: capped(diagnostics, dropped: dropped), isIncomplete: incomplete)
  }

  /// The first `maxSyntaxErrors` diagnostics in source order, then a note counting the rest:
  /// those dropped while lexing and parsing and those past the cap here. Nesting too deep is
  /// kept wherever it is: it ended the parse, which explains why no later error is reported.
  static func capped(_ diagnostics: [Diagnostic], dropped: Int) -> [Diagnostic] {
    guard dropped > 0 || diagnostics.count > maxSyntaxErrors else { return diagnostics }
    let fatal = diagnostics.dropFirst(maxSyntaxErrors).filter { $0.code == .nestingTooDeep }
    let more = dropped + diagnostics.count - maxSyntaxErrors - fatal.count
    return Array(diagnostics.prefix(maxSyntaxErrors)) + fatal + [Diagnostic(
      .note, code: .unexpectedToken,
      message: "\(more) more syntax \(more == 1 ? "error" : "errors") not shown: "
        + "stopped after the first \(maxSyntaxErrors)")]
  }

  /// Stable sort by start offset: ties keep the lexer's diagnostics before the parser's.
  static func inSourceOrder(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
    diagnostics.enumerated().sorted { lhs, rhs in
      let left = lhs.element.location?.range.start ?? 0
      let right = rhs.element.location?.range.start ?? 0
      return left != right ? left < right : lhs.offset < rhs.offset
    }.map(\.element)
  }
}

// MARK: - Parser state

/// How a parse function gives up.
enum ParseFailure: Error {
  /// The statement being parsed is abandoned; its diagnostic (if any) is recorded. The
  /// statement list that called it resynchronises and continues.
  case statement
  /// The whole parse stops: the input ended, or nesting went past the limit.
  case fatal
}

/// The state of one parse: the tokens, a cursor, the diagnostics found so far.
struct SyntaxParser {
  let source: Source
  let tokens: [Token]
  var position = 0
  var diagnostics: [Diagnostic] = []
  /// Errors found past `Parser.maxSyntaxErrors`, counted but not kept.
  var droppedDiagnostics = 0
  /// Errors found so far, kept or not: what "this statement already has one" compares.
  var reportedCount: Int { diagnostics.count + droppedDiagnostics }

  /// The lexer already reported an unterminated string: an end-of-input error that follows
  /// from it would only repeat it.
  let lexerReportedUnterminatedString: Bool

  /// Brackets, braces and string heads consumed and not yet closed, innermost last. Recovery
  /// reads the ones an abandoned statement left open to skip to its end correctly.
  var openers: [Token] = []
  /// Current nesting depth of recursive parse functions (see `Parser.maxNestingDepth`).
  var depth = 0
  /// Operator links of the chains the parser is inside (see `Parser.maxChainLength`); saved
  /// and restored like `depth`.
  var chainLinks = 0
  /// True inside a model body (and the `for`/`while`/`if` blocks nested in it): statements are
  /// layer statements there.
  var inModelBody = false
  /// `reportedCount` when the innermost statement began: a statement reports one error.
  var statementDiagnosticMark = 0

  init(source: Source, tokens: [Token], lexerDiagnostics: [Diagnostic]) {
    self.source = source
    // The lexer always ends with `.eof`; make sure of it so the cursor can never run off.
    var tokens = tokens
    if tokens.last?.kind != .eof {
      tokens.append(Token(.eof, SourceRange(start: source.bytes.count, end: source.bytes.count)))
    }
    self.tokens = tokens
    self.lexerReportedUnterminatedString = lexerDiagnostics.contains {
      $0.code == .unterminatedString
    }
  }
}

// MARK: - Token cursor

extension SyntaxParser {
  var current: Token { tokens[position] }

  /// The token `offset` places ahead (clamped to the final `.eof`).
  func peek(_ offset: Int = 1) -> Token {
    tokens[min(position + offset, tokens.count - 1)]
  }

  func check(_ kind: TokenKind) -> Bool { current.kind == kind }

  /// Consumes the current token (never the final `.eof`) and returns it.
  @discardableResult
  mutating func advance() -> Token {
    let token = current
    if position < tokens.count - 1 { position += 1 }
    return token
  }

  /// Consumes the current token if it is of `kind`.
  mutating func match(_ kind: TokenKind) -> Token? {
    check(kind) ? advance() : nil
  }

  /// Consumes a token of `kind` or fails with "expected `what`, found …".
  @discardableResult
  mutating func expect(_ kind: TokenKind, _ what: String) throws(ParseFailure) -> Token {
    if let token = match(kind) { return token }
    throw failure("expected \(what), found \(describe(current))")
  }

  mutating func skipNewlines() {
    while check(.newline) { advance() }
  }

  /// The first token at or after the cursor that is not a line break.
  func peekPastNewlines() -> Token {
    var index = position
    while tokens[index].kind == .newline, index < tokens.count - 1 { index += 1 }
    return tokens[index]
  }

  /// The text of an identifier token.
  func text(_ token: Token) -> String { source.text(token.range) }

  func identifier(_ token: Token) -> Identifier { Identifier(text(token), token.range) }

  /// The one-based line a token starts on, for "opened at line N".
  func line(of token: Token) -> Int { source.lineAndColumn(of: token.range.start).line }

  /// How a token reads in a message: `')'`, `'name'`, `a string`, `end of input`.
  func describe(_ token: Token) -> String {
    switch token.kind {
    case .eof: return "end of input"
    case .newline: return "a line break"
    case .string, .stringHead: return "a string"
    case .stringMiddle, .stringTail: return "'}'"
    case .identifier, .number, .invalid:
      var shown = text(token)
      if shown.count > 24 { shown = String(shown.prefix(24)) + "…" }
      return "'\(shown)'"
    default: return "'\(token.kind.rawValue)'"
    }
  }
}

// MARK: - Brackets

extension SyntaxParser {
  /// Consumes an opening `(`, `[`, `{` or string head and remembers it for recovery.
  mutating func open() -> Token {
    let token = advance()
    openers.append(token)
    return token
  }

  /// Consumes the closer of `opener` or fails with "expected ')' to close '(' opened at line N".
  @discardableResult
  mutating func close(_ kind: TokenKind, opener: Token) throws(ParseFailure) -> Token {
    guard let token = match(kind) else {
      let message = "expected '\(kind.rawValue)' to close "
        + "'\(opener.kind.rawValue)' opened at line \(line(of: opener))"
      // At the end of input the opener is the useful place to point at.
      throw failure(message, at: check(.eof) ? opener.range : current.range)
    }
    if let index = openers.lastIndex(where: { $0.range == opener.range }) {
      openers.removeSubrange(index...)
    }
    return token
  }

  /// Goes one nesting level deeper, failing past `Parser.maxNestingDepth`. The caller saves
  /// `depth` first and restores it with `defer`. (Plain calls rather than closure-taking
  /// helpers: every frame on the recursive path costs stack.)
  mutating func deepen() throws(ParseFailure) {
    guard depth < Parser.maxNestingDepth else {
      report(
        .nestingTooDeep,
        "nesting is too deep (more than \(Parser.maxNestingDepth) levels)", at: current.range)
      throw .fatal
    }
    depth += 1
  }

  /// Counts one more link of an operator chain, failing past `Parser.maxChainLength`.
  mutating func lengthenChain(at link: SourceRange) throws(ParseFailure) {
    guard chainLinks < Parser.maxChainLength else {
      report(
        .expressionTooLong,
        "this expression chains more than \(Parser.maxChainLength) operators; split it into "
          + "parts held in variables", at: link)
      throw .fatal
    }
    chainLinks += 1
  }

  /// Sets `inModelBody` and returns the old value, for the caller to restore with `defer`.
  mutating func enterModelBody(_ value: Bool) -> Bool {
    let saved = inModelBody
    inModelBody = value
    return saved
  }
}

// MARK: - Diagnostics and recovery

extension SyntaxParser {
  /// Records a syntax error at `range` (default: the current token) and returns the failure
  /// to throw. At the end of input the code is `.unexpectedEndOfInput` and the parse stops.
  /// Nothing is recorded for an `.invalid` token (the lexer reported it), for a second error in
  /// one statement, or for an end of input inside a string the lexer found unterminated.
  mutating func failure(_ message: String, at range: SourceRange? = nil) -> ParseFailure {
    let atEnd = check(.eof)
    let alreadyReported = check(.invalid)
      || reportedCount > statementDiagnosticMark
      || (atEnd && lexerReportedUnterminatedString)
    if !alreadyReported {
      report(atEnd ? .unexpectedEndOfInput : .unexpectedToken, message,
             at: range ?? current.range)
    }
    return atEnd ? .fatal : .statement
  }

  /// Records an error that does not stop the statement (a misplaced argument, a bad target).
  mutating func report(
    _ code: DiagnosticCode, _ message: String, at range: SourceRange, hint: String? = nil
  ) {
    guard diagnostics.count < Parser.maxSyntaxErrors else {
      droppedDiagnostics += 1
      return
    }
    diagnostics.append(.error(code, message, in: source, at: range, hint: hint))
  }

  /// Skips the rest of an abandoned statement: up to and including the next line break or `;`
  /// at the statement's own level, or up to (not including) the `}` that closes the enclosing
  /// block. `pending` are the openers the statement left unclosed. At the top level a stray
  /// `}` is skipped too, since no block is waiting for it.
  mutating func synchronize(pending: [Token], topLevel: Bool) {
    var stack = pending.map(\.kind)
    while !check(.eof) {
      let kind = current.kind
      switch kind {
      case .newline, .semicolon:
        // The lexer emits line breaks only outside ( ) and [ ]: trust it unless a brace of the
        // abandoned statement is still open.
        if !stack.contains(.leftBrace) && !stack.contains(.stringHead) {
          advance()
          return
        }
      case .leftParen, .leftBracket, .leftBrace, .stringHead:
        stack.append(kind)
      case .rightParen, .rightBracket, .rightBrace, .stringTail:
        let opener = Self.opener(of: kind)
        if let index = stack.lastIndex(of: opener) {
          stack.removeSubrange(index...)
        } else if kind == .rightBrace && !topLevel {
          return
        }
      default:
        break
      }
      advance()
    }
  }

  static func opener(of closer: TokenKind) -> TokenKind {
    switch closer {
    case .rightParen: return .leftParen
    case .rightBracket: return .leftBracket
    case .rightBrace: return .leftBrace
    default: return .stringHead
    }
  }
}
