/// A token: a kind and the bytes it covers. Its text and value are read from the source on demand.
public struct Token: Equatable, Sendable {
  /// What the token is.
  public var kind: TokenKind
  /// The bytes of the source the token covers.
  public var range: SourceRange

  /// Makes a token of `kind` covering `range`.
  public init(_ kind: TokenKind, _ range: SourceRange) {
    self.kind = kind
    self.range = range
  }
}

/// Every kind of token in LANGUAGE.md §2.
///
/// Strings with interpolation are split into pieces, as Wren does it: `"a {x} b {y} c"` lexes as
/// `stringHead("a {)`, tokens of `x`, `stringMiddle(} b {)`, tokens of `y`, `stringTail(} c")`.
/// A string without interpolation is one `string` token. Each piece's range includes its
/// delimiters; `TokenValue.string` turns a piece into its text.
public enum TokenKind: String, Equatable, Sendable, CaseIterable {
  // Literals and names
  case identifier
  case number
  case string
  case stringHead
  case stringMiddle
  case stringTail

  // Keywords
  case kwLet = "let"
  case kwFn = "fn"
  case kwReturn = "return"
  case kwIf = "if"
  case kwElse = "else"
  case kwFor = "for"
  case kwIn = "in"
  case kwWhile = "while"
  case kwBreak = "break"
  case kwContinue = "continue"
  case kwModel = "model"
  case kwTrain = "train"
  case kwOn = "on"
  case kwImport = "import"
  case kwTrue = "true"
  case kwFalse = "false"
  case kwNil = "nil"
  case kwAnd = "and"
  case kwOr = "or"
  case kwNot = "not"

  // Punctuation
  case leftParen = "("
  case rightParen = ")"
  case leftBracket = "["
  case rightBracket = "]"
  case leftBrace = "{"
  case rightBrace = "}"
  case comma = ","
  case dot = "."
  case colon = ":"
  case semicolon = ";"

  // Operators
  case equal = "="
  case plusEqual = "+="
  case minusEqual = "-="
  case starEqual = "*="
  case slashEqual = "/="
  case equalEqual = "=="
  case bangEqual = "!="
  case less = "<"
  case lessEqual = "<="
  case greater = ">"
  case greaterEqual = ">="
  case halfOpenRange = "..<"
  case closedRange = "..."
  case plus = "+"
  case minus = "-"
  case star = "*"
  case slash = "/"
  case percent = "%"
  case at = "@"
  case caret = "^"

  // Layout
  /// Ends a statement. Emitted only where a line break is significant (LANGUAGE.md §2).
  case newline
  /// Bytes that form no token; the lexer has reported a diagnostic for them.
  case invalid
  case eof

  /// The keyword spelled by `text`, if it is one.
  public static func keyword(_ text: String) -> TokenKind? { keywords[text] }

  private static let keywords: [String: TokenKind] = {
    var table: [String: TokenKind] = [:]
    for kind in TokenKind.allCases where kind.isKeyword { table[kind.rawValue] = kind }
    return table
  }()

  /// Whether this kind is a reserved word (its case name starts with `kw`).
  public var isKeyword: Bool { String(describing: self).hasPrefix("kw") }

  /// True for tokens after which a line break does not end the statement: binary operators,
  /// assignment operators, `,`, `.` and `:` (LANGUAGE.md §2).
  public var continuesLine: Bool {
    switch self {
    case .kwAnd, .kwOr, .comma, .dot, .colon, .equal, .plusEqual, .minusEqual, .starEqual,
      .slashEqual, .equalEqual, .bangEqual, .less, .lessEqual, .greater, .greaterEqual,
      .halfOpenRange, .closedRange, .plus, .minus, .star, .slash, .percent, .at, .caret:
      return true
    default:
      return false
    }
  }
}
