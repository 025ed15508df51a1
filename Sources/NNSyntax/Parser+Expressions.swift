// Expressions (grammar/nn.ebnf, "Expressions"). The precedence levels of the grammar are one
// table, `operatorRules`, read by one precedence-climbing loop, `parseExpression`.

// MARK: - The operator table

/// Binding power of the grammar's expression levels, lowest first.
enum Precedence: Int, Comparable {
  case disjunction = 1
  case conjunction
  case negation
  case comparison
  case range
  case additive
  case multiplicative
  case signed
  case power

  static func < (lhs: Precedence, rhs: Precedence) -> Bool { lhs.rawValue < rhs.rawValue }

  /// The next level up: the right operand of a left-associative operator.
  var tighter: Precedence { Precedence(rawValue: rawValue + 1) ?? .power }
}

/// What an operator token means before an operand (prefix) and after one (infix), like a row
/// of clox's `rules[]`.
struct OperatorRule {
  struct Prefix {
    var operation: UnaryOperator
    /// The level of the operator, which is also the level of its operand.
    var precedence: Precedence
  }

  struct Infix {
    enum Node { case binary(BinaryOperator), range(inclusive: Bool) }
    var node: Node
    var precedence: Precedence
    /// The lowest level the right operand may hold: one up for left-associative operators,
    /// lower for `^` (right-associative, and its exponent may be negated).
    var rightOperand: Precedence
    /// False for the range operators: `a..<b..<c` is an error.
    var chains: Bool

    static func left(_ operation: BinaryOperator, _ precedence: Precedence) -> Infix {
      Infix(node: .binary(operation), precedence: precedence,
            rightOperand: precedence.tighter, chains: true)
    }
  }

  var prefix: Prefix?
  var infix: Infix?
}

extension SyntaxParser {
  /// The operators, lowest precedence first (LANGUAGE.md §2): the one place that sets their
  /// precedence and associativity.
  static let operatorRules: [TokenKind: OperatorRule] = [
    .kwOr: OperatorRule(infix: .left(.or, .disjunction)),
    .kwAnd: OperatorRule(infix: .left(.and, .conjunction)),
    .kwNot: OperatorRule(prefix: .init(operation: .not, precedence: .negation)),
    .equalEqual: OperatorRule(infix: .left(.equal, .comparison)),
    .bangEqual: OperatorRule(infix: .left(.notEqual, .comparison)),
    .less: OperatorRule(infix: .left(.less, .comparison)),
    .lessEqual: OperatorRule(infix: .left(.lessEqual, .comparison)),
    .greater: OperatorRule(infix: .left(.greater, .comparison)),
    .greaterEqual: OperatorRule(infix: .left(.greaterEqual, .comparison)),
    .halfOpenRange: OperatorRule(
      infix: .init(node: .range(inclusive: false), precedence: .range,
                   rightOperand: .additive, chains: false)),
    .closedRange: OperatorRule(
      infix: .init(node: .range(inclusive: true), precedence: .range,
                   rightOperand: .additive, chains: false)),
    .plus: OperatorRule(infix: .left(.add, .additive)),
    .minus: OperatorRule(
      prefix: .init(operation: .negate, precedence: .signed),
      infix: .left(.subtract, .additive)),
    .star: OperatorRule(infix: .left(.multiply, .multiplicative)),
    .slash: OperatorRule(infix: .left(.divide, .multiplicative)),
    .percent: OperatorRule(infix: .left(.remainder, .multiplicative)),
    .at: OperatorRule(infix: .left(.matmul, .multiplicative)),
    .caret: OperatorRule(
      infix: .init(node: .binary(.power), precedence: .power,
                   rightOperand: .signed, chains: true)),
  ]
}

// MARK: - Precedence climbing

extension SyntaxParser {
  /// expression = disjunction ;
  /// disjunction = conjunction , { "or" , conjunction } ;
  /// conjunction = negation , { "and" , negation } ;
  /// negation = "not" , negation | comparison ;
  /// comparison = rangeExpr , { compareOp , rangeExpr } ;
  /// compareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" ;
  /// rangeExpr = additive , [ rangeOp , additive ] ;
  /// rangeOp = "..<" | "..." ;
  /// additive = multiplicative , { ( "+" | "-" ) , multiplicative } ;
  /// multiplicative = signed , { ( "*" | "/" | "%" | "@" ) , signed } ;
  /// signed = "-" , signed | power ;
  /// power = postfix , [ "^" , signed ] ;
  ///
  /// Parses an expression whose operators all bind at least as tightly as `minimum`.
  mutating func parseExpression(
    _ minimum: Precedence = .disjunction
  ) throws(ParseFailure) -> Expr {
    let savedDepth = depth
    let savedLinks = chainLinks
    try deepen()
    defer {
      depth = savedDepth
      chainLinks = savedLinks
    }
    var left = try parseOperand(minimum)
    while let infix = Self.operatorRules[current.kind]?.infix, infix.precedence >= minimum {
      let operatorToken = advance()
      // Each link of a chain nests the tree one level deeper (`(a + b) + c`), which later
      // stages walk recursively: links have their own, larger bound, not the nesting one.
      try lengthenChain(at: operatorToken.range)
      let right = try parseExpression(infix.rightOperand)
      let range = left.range.union(right.range)
      switch infix.node {
      case .binary(let operation): left = Expr(.binary(operation, left, right), range)
      case .range(let inclusive):
        left = Expr(.range(lower: left, upper: right, inclusive: inclusive), range)
      }
      if !infix.chains, let next = Self.operatorRules[current.kind]?.infix,
        next.precedence == infix.precedence
      {
        throw failure(
          "'\(current.kind.rawValue)' cannot follow "
            + "'\(operatorToken.kind.rawValue)': ranges do not chain; use parentheses")
      }
    }
    return left
  }

  /// An operand at level `minimum`: a prefix operator and its operand, or a postfix
  /// expression. A prefix operator looser than `minimum` (`a == not b`) is not in the grammar.
  mutating func parseOperand(_ minimum: Precedence) throws(ParseFailure) -> Expr {
    guard let prefix = Self.operatorRules[current.kind]?.prefix else {
      return try parsePostfix()
    }
    guard prefix.precedence >= minimum else {
      throw failure(
        "expected an expression, found \(describe(current)); "
          + "put '\(current.kind.rawValue) …' in parentheses here")
    }
    let operatorToken = advance()
    let operand = try parseExpression(prefix.precedence)
    return Expr(.unary(prefix.operation, operand), operatorToken.range.union(operand.range))
  }
}

// MARK: - Postfix expressions

extension SyntaxParser {
  /// postfix = primary , { callSuffix | indexSuffix | memberSuffix } ;
  mutating func parsePostfix() throws(ParseFailure) -> Expr {
    let savedDepth = depth
    defer { depth = savedDepth }
    var expression = try parsePrimary()
    while true {
      // Each suffix nests the tree one level deeper (see `parseExpression`).
      switch current.kind {
      case .leftParen:
        try deepen()
        expression = try parseCallSuffix(expression)
      case .leftBracket:
        try deepen()
        expression = try parseIndexSuffix(expression)
      case .dot:
        try deepen()
        expression = try parseMemberSuffix(expression)
      default: return expression
      }
    }
  }

  /// callSuffix = "(" , [ arguments ] , ")" ;
  mutating func parseCallSuffix(_ callee: Expr) throws(ParseFailure) -> Expr {
    let paren = open()
    let savedContext = enterModelBody(false)
    defer { inModelBody = savedContext }
    let arguments = try parseArguments()
    let closer = try close(.rightParen, opener: paren)
    return Expr(.call(callee: callee, arguments: arguments), callee.range.union(closer.range))
  }

  /// arguments = argument , { "," , argument } , [ "," ] ;
  ///
  /// Positional arguments come first, then named ones, each name once; a breach is reported
  /// and the call kept.
  mutating func parseArguments() throws(ParseFailure) -> [Argument] {
    var arguments: [Argument] = []
    var names: Set<String> = []
    while !check(.rightParen) {
      let argument = try parseArgument()
      if let label = argument.label {
        if !names.insert(label.name).inserted {
          reportInStatement("duplicate argument '\(label.name)'", at: label.range)
        }
      } else if !names.isEmpty {
        reportInStatement(
          "positional argument after named arguments", at: argument.range)
      }
      arguments.append(argument)
      if match(.comma) == nil { break }
    }
    return arguments
  }

  /// argument = [ IDENT , ":" ] , expression ;
  mutating func parseArgument() throws(ParseFailure) -> Argument {
    var label: Identifier?
    if check(.identifier) && peek().kind == .colon {
      label = identifier(advance())
      advance()
    }
    return Argument(label: label, value: try parseExpression())
  }

  /// indexSuffix = "[" , subscripts , "]" ;
  mutating func parseIndexSuffix(_ base: Expr) throws(ParseFailure) -> Expr {
    let bracket = open()
    let savedContext = enterModelBody(false)
    defer { inModelBody = savedContext }
    let subscripts = try parseSubscripts()
    let closer = try close(.rightBracket, opener: bracket)
    return Expr(.index(base: base, subscripts: subscripts), base.range.union(closer.range))
  }

  /// subscripts = subscript , { "," , subscript } , [ "," ] ;
  mutating func parseSubscripts() throws(ParseFailure) -> [Subscript] {
    var subscripts: [Subscript] = []
    repeat {
      if check(.rightBracket) && !subscripts.isEmpty { break }
      subscripts.append(try parseSubscript())
    } while match(.comma) != nil
    return subscripts
  }

  /// subscript = expression | [ expression ] , ":" , [ expression ] ;
  mutating func parseSubscript() throws(ParseFailure) -> Subscript {
    var lower: Expr?
    if !check(.colon) {
      let value = try parseExpression()
      guard check(.colon) else { return .value(value) }
      lower = value
    }
    let colon = advance()
    var upper: Expr?
    if !check(.comma) && !check(.rightBracket) { upper = try parseExpression() }
    let range = (lower?.range ?? colon.range).union(upper?.range ?? colon.range)
    return .slice(lower: lower, upper: upper, range: range)
  }

  /// memberSuffix = "." , IDENT ;
  mutating func parseMemberSuffix(_ base: Expr) throws(ParseFailure) -> Expr {
    advance()
    let name = identifier(try expect(.identifier, "a member name after '.'"))
    return Expr(.member(base: base, name: name), base.range.union(name.range))
  }
}

// MARK: - Primary expressions

extension SyntaxParser {
  /// primary = NUMBER | stringLiteral | "true" | "false" | "nil" | IDENT | bracketLiteral
  ///         | parenExpr | recordLiteral | fnExpr | ifExpr | modelExpr | trainExpr ;
  mutating func parsePrimary() throws(ParseFailure) -> Expr {
    let token = current
    switch token.kind {
    case .number:
      advance()
      return Expr(.number(TokenValue.number(token, in: source)), token.range)
    case .string, .stringHead: return try parseStringLiteral()
    case .kwTrue: return Expr(.bool(true), advance().range)
    case .kwFalse: return Expr(.bool(false), advance().range)
    case .kwNil: return Expr(.nilLiteral, advance().range)
    case .identifier: return Expr(.identifier(text(token)), advance().range)
    case .leftBracket: return try parseBracketLiteral()
    case .leftParen: return try parseParenExpression()
    case .leftBrace: return try parseRecordLiteral()
    case .kwFn: return try parseFunctionExpression()
    case .kwIf: return try parseIfExpression()
    case .kwModel: return try parseModelExpression()
    case .kwTrain: return try parseTrainExpression()
    default: throw failure("expected an expression, found \(describe(token))")
    }
  }

  /// stringLiteral = STRING | STRING_HEAD , expression , { STRING_MIDDLE , expression } ,
  ///                 STRING_TAIL ;
  ///
  /// Text pieces that are empty (`"{x}"`) are left out; a plain string is one text segment.
  mutating func parseStringLiteral() throws(ParseFailure) -> Expr {
    if let token = match(.string) {
      return Expr(.string([.text(TokenValue.string(token, in: source))]), token.range)
    }
    let savedContext = enterModelBody(false)
    defer { inModelBody = savedContext }
    let head = open()
    var segments: [StringSegment] = []
    var piece = head
    while true {
      let text = TokenValue.string(piece, in: source)
      if !text.isEmpty { segments.append(.text(text)) }
      if piece.kind == .stringTail { break }
      // Line breaks inside an interpolation's braces are significant to the lexer; skip them.
      skipNewlines()
      let value = try parseExpression()
      segments.append(.interpolation(value))
      skipNewlines()
      guard check(.stringMiddle) || check(.stringTail) else {
        let message = "expected '}' to close the interpolation '{' in the string opened "
          + "at line \(line(of: head))"
        throw failure(message, at: check(.eof) ? head.range : current.range)
      }
      piece = advance()
    }
    if let index = openers.lastIndex(where: { $0.range == head.range }) {
      openers.removeSubrange(index...)
    }
    return Expr(.string(segments), head.range.union(piece.range))
  }

  /// bracketLiteral = "[" , [ expression , { "," , expression } , [ "," ] ] , "]" ;
  mutating func parseBracketLiteral() throws(ParseFailure) -> Expr {
    let bracket = open()
    let savedContext = enterModelBody(false)
    defer { inModelBody = savedContext }
    let elements = try parseExpressionList(until: .rightBracket)
    let closer = try close(.rightBracket, opener: bracket)
    return Expr(.bracket(elements), bracket.range.union(closer.range))
  }

  /// Comma-separated expressions up to `closer` (not consumed); a trailing comma is allowed.
  mutating func parseExpressionList(
    until closer: TokenKind
  ) throws(ParseFailure) -> [Expr] {
    var elements: [Expr] = []
    while !check(closer) {
      elements.append(try parseExpression())
      if match(.comma) == nil { break }
    }
    return elements
  }

  /// parenExpr = "(" , expression , [ "," , [ expression , { "," , expression } , [ "," ] ] ] ,
  ///             ")" ;
  ///
  /// A grouped expression keeps its node, its range widened to the parentheses.
  mutating func parseParenExpression() throws(ParseFailure) -> Expr {
    let paren = open()
    let savedContext = enterModelBody(false)
    defer { inModelBody = savedContext }
    let first = try parseExpression()
    if match(.comma) == nil {
      let closer = try close(.rightParen, opener: paren)
      return Expr(first.kind, paren.range.union(closer.range))
    }
    let rest = try parseExpressionList(until: .rightParen)
    let closer = try close(.rightParen, opener: paren)
    return Expr(.tuple([first] + rest), paren.range.union(closer.range))
  }

  /// recordLiteral = "{" , { NEWLINE } , [ field , { fieldSep , field } , [ fieldSep ] ] ,
  ///                 "}" ;
  /// fieldSep = ( "," | NEWLINE ) , { NEWLINE } ;
  mutating func parseRecordLiteral() throws(ParseFailure) -> Expr {
    let brace = open()
    let savedContext = enterModelBody(false)
    defer { inModelBody = savedContext }
    skipNewlines()
    var fields: [RecordField] = []
    var names: Set<String> = []
    while !check(.rightBrace) {
      appendField(try parseField(), to: &fields, names: &names)
      guard match(.comma) != nil || check(.newline) else { break }
      skipNewlines()
    }
    let closer = try close(.rightBrace, opener: brace)
    return Expr(.record(fields), brace.range.union(closer.range))
  }

  /// field = IDENT , ":" , expression ;
  mutating func parseField() throws(ParseFailure) -> RecordField {
    let name = identifier(try expect(.identifier, "a field name"))
    try expect(.colon, "':' after the field name '\(name.name)'")
    return RecordField(name: name, value: try parseExpression())
  }

  /// Appends `field`, reporting a name already in `names`.
  mutating func appendField(
    _ field: RecordField, to fields: inout [RecordField], names: inout Set<String>
  ) {
    if !names.insert(field.name.name).inserted {
      reportInStatement("duplicate field '\(field.name.name)'", at: field.name.range)
    }
    fields.append(field)
  }
}

// MARK: - Functions, conditionals, models, training

extension SyntaxParser {
  /// fnExpr = "fn" , "(" , [ parameters ] , ")" , block ;
  mutating func parseFunctionExpression() throws(ParseFailure) -> Expr {
    let keyword = advance()
    let function = try parseFunctionRest(keyword: keyword, name: nil)
    return Expr(.function(function), function.range)
  }

  /// ifExpr = "if" , expression , block , [ { NEWLINE } , "else" , ( block | ifExpr ) ] ;
  ///
  /// An `else if` chain is read in a loop rather than by recursion; each link still counts as
  /// a level of nesting, since the tree it builds is that deep.
  mutating func parseIfExpression() throws(ParseFailure) -> Expr {
    let savedDepth = depth
    defer { depth = savedDepth }
    var branches: [(keyword: Token, condition: Expr, then: Block)] = []
    var otherwise: Block?
    while true {
      try deepen()
      let keyword = advance()
      let condition = try parseExpression()
      branches.append((keyword, condition, try parseBlock()))
      guard peekPastNewlines().kind == .kwElse else { break }
      skipNewlines()
      advance()
      guard peekPastNewlines().kind == .kwIf else {
        otherwise = try parseBlock()
        break
      }
      skipNewlines()
    }
    var result: Expr?
    for branch in branches.reversed() {
      if let inner = result {
        otherwise = Block([Stmt(.expression(inner), inner.range)], inner.range)
      }
      let end = otherwise?.range ?? branch.then.range
      result = Expr(
        .conditional(condition: branch.condition, then: branch.then, otherwise: otherwise),
        branch.keyword.range.union(end))
    }
    return result!
  }

  /// modelExpr = "model" , "(" , expression , ")" , modelBlock ;
  mutating func parseModelExpression() throws(ParseFailure) -> Expr {
    let keyword = advance()
    let model = try parseModelRest(keyword: keyword, name: nil)
    return Expr(.model(model), model.range)
  }

  /// trainExpr = "train" , postfix , "on" , expression , trainOptions ;
  mutating func parseTrainExpression() throws(ParseFailure) -> Expr {
    let keyword = advance()
    // `train train …` recurses through `parsePostfix`, so this level counts as nesting.
    let model: Expr
    do {
      let savedDepth = depth
      try deepen()
      defer { depth = savedDepth }
      model = try parsePostfix()
    }
    try expect(.kwOn, "'on' after the model in 'train'")
    let data = try parseExpression()
    let (options, closer) = try parseTrainOptions()
    return Expr(
      .train(model: model, data: data, options: options), keyword.range.union(closer.range))
  }

  /// trainOptions = { NEWLINE } , "{" , { optionSep } , [ field , { optionSep , { optionSep } ,
  ///                field } , { optionSep } ] , "}" ;
  /// optionSep = "," | ";" | NEWLINE ;
  mutating func parseTrainOptions() throws(ParseFailure) -> ([RecordField], Token) {
    skipNewlines()
    guard check(.leftBrace) else {
      throw failure("expected '{' and the training options, found \(describe(current))")
    }
    let brace = open()
    let savedContext = enterModelBody(false)
    defer { inModelBody = savedContext }
    var fields: [RecordField] = []
    var names: Set<String> = []
    skipOptionSeparators()
    while !check(.rightBrace) {
      appendField(try parseField(), to: &fields, names: &names)
      guard isOptionSeparator(current.kind) else { break }
      skipOptionSeparators()
    }
    let closer = try close(.rightBrace, opener: brace)
    return (fields, closer)
  }

  func isOptionSeparator(_ kind: TokenKind) -> Bool {
    kind == .comma || kind == .semicolon || kind == .newline
  }

  mutating func skipOptionSeparators() {
    while isOptionSeparator(current.kind) { advance() }
  }
}
