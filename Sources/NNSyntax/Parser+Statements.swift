// Statements, statement lists and blocks (grammar/nn.ebnf, "Programs and statements").

// MARK: - Programs and statement lists

extension SyntaxParser {
  /// program = statementList , EOF ;
  mutating func parseProgram() -> [Stmt] {
    var statements: [Stmt] = []
    // A fatal failure (end of input, nesting too deep) has been reported; what parsed stays.
    try? parseStatementList(into: &statements, opener: nil)
    return statements
  }

  /// statementList = { separator } , [ statement , { separator , { separator } , statement } ,
  ///                 { separator } ] ;
  /// layerList = { separator } , [ layerStatement , { separator , { separator } ,
  ///             layerStatement } , { separator } ] ;
  ///
  /// Parses statements up to the `}` closing `opener` (not consumed), or to the end of input
  /// at the top level (`opener == nil`). A statement with an error is reported, skipped and
  /// left out; the list goes on with the next one. Inside a model body the statements are
  /// layer statements.
  mutating func parseStatementList(
    into statements: inout [Stmt], opener: Token?
  ) throws(ParseFailure) {
    while true {
      skipSeparators()
      if check(.eof) { return }  // The caller reports a block left open.
      if check(.rightBrace) {
        if opener != nil { return }
        report(.unexpectedToken, "unexpected '}'", at: current.range)
        advance()
        continue
      }
      let openerCount = openers.count
      let context = inModelBody
      let savedDepth = depth
      let savedMark = statementDiagnosticMark
      statementDiagnosticMark = reportedCount
      defer { statementDiagnosticMark = savedMark }
      do throws(ParseFailure) {
        let statement = try inModelBody ? parseLayerStatement() : parseStatement()
        try expectStatementEnd(inBlock: opener != nil)
        statements.append(statement)
      } catch {
        if error == .fatal { throw .fatal }
        inModelBody = context
        depth = savedDepth
        let pending = Array(openers[min(openerCount, openers.count)...])
        openers.removeSubrange(min(openerCount, openers.count)...)
        synchronize(pending: pending, topLevel: opener == nil)
      }
    }
  }

  /// separator = NEWLINE | ";" ;
  mutating func skipSeparators() {
    while check(.newline) || check(.semicolon) { advance() }
  }

  /// After a statement: a separator, the end of the block or the end of input.
  mutating func expectStatementEnd(inBlock: Bool) throws(ParseFailure) {
    switch current.kind {
    case .newline, .semicolon, .eof: return
    case .rightBrace where inBlock: return
    default: throw failure("unexpected \(describe(current))")
    }
  }

  /// block = { NEWLINE } , "{" , statementList , "}" ;
  ///
  /// A block of the kind the context calls for: inside a model body its statements are layer
  /// statements (see `parseModelBlock`).
  mutating func parseBlock() throws(ParseFailure) -> Block {
    skipNewlines()
    guard check(.leftBrace) else {
      throw failure("expected '{', found \(describe(current))")
    }
    let savedDepth = depth
    try deepen()
    defer { depth = savedDepth }
    let brace = open()
    var statements: [Stmt] = []
    try parseStatementList(into: &statements, opener: brace)
    let closer = try close(.rightBrace, opener: brace)
    return Block(statements, brace.range.union(closer.range))
  }
}

// MARK: - Statements

extension SyntaxParser {
  /// statement = letStmt | fnDecl | modelDecl | forStmt | whileStmt | breakStmt
  ///           | continueStmt | returnStmt | importStmt | simpleStmt ;
  mutating func parseStatement() throws(ParseFailure) -> Stmt {
    switch current.kind {
    case .kwLet: return try parseLetStatement()
    case .kwFn where peek().kind == .identifier: return try parseFunctionDeclaration()
    case .kwModel where peek().kind == .identifier: return try parseModelDeclaration()
    case .kwFor: return try parseForStatement()
    case .kwWhile: return try parseWhileStatement()
    case .kwBreak: return parseBreakStatement()
    case .kwContinue: return parseContinueStatement()
    case .kwReturn: return try parseReturnStatement()
    case .kwImport: return try parseImportStatement()
    default: return try parseSimpleStatement()
    }
  }

  /// letStmt = "let" , pattern , "=" , expression ;
  mutating func parseLetStatement() throws(ParseFailure) -> Stmt {
    let keyword = advance()
    let pattern = try parsePattern(after: "'let'")
    try expect(.equal, "'=' after the name in 'let'")
    let value = try parseExpression()
    return Stmt(.letBinding(pattern, value), keyword.range.union(value.range))
  }

  /// pattern = IDENT | "(" , IDENT , { "," , IDENT } , [ "," ] , ")" ;
  mutating func parsePattern(after context: String) throws(ParseFailure) -> Pattern {
    if let name = match(.identifier) { return .name(identifier(name)) }
    guard check(.leftParen) else {
      throw failure("expected a name or '(' after \(context), found \(describe(current))")
    }
    let paren = open()
    var names: [Identifier] = []
    repeat {
      if check(.rightParen) && !names.isEmpty { break }
      let name = identifier(try expect(.identifier, "a name"))
      if names.contains(where: { $0.name == name.name }) {
        reportInStatement("duplicate name '\(name.name)' in pattern", at: name.range)
      }
      names.append(name)
    } while match(.comma) != nil
    let closer = try close(.rightParen, opener: paren)
    return .tuple(names, paren.range.union(closer.range))
  }

  /// fnDecl = "fn" , IDENT , "(" , [ parameters ] , ")" , block ;
  mutating func parseFunctionDeclaration() throws(ParseFailure) -> Stmt {
    let keyword = advance()
    let name = identifier(advance())
    let function = try parseFunctionRest(keyword: keyword, name: name)
    return Stmt(.function(function), function.range)
  }

  /// The parameter list and body of a function, after `fn` and its name if any. The body is an
  /// ordinary block even inside a model body.
  mutating func parseFunctionRest(
    keyword: Token, name: Identifier?
  ) throws(ParseFailure) -> FunctionDecl {
    guard check(.leftParen) else {
      let after = name == nil ? "'fn'" : "the function name"
      throw failure("expected '(' after \(after), found \(describe(current))")
    }
    let paren = open()
    let parameters = try parseParameters()
    try close(.rightParen, opener: paren)
    let savedContext = enterModelBody(false)
    defer { inModelBody = savedContext }
    let body = try parseBlock()
    return FunctionDecl(
      name: name, parameters: parameters, body: body, range: keyword.range.union(body.range))
  }

  /// parameters = parameter , { "," , parameter } , [ "," ] ;
  mutating func parseParameters() throws(ParseFailure) -> [Parameter] {
    var parameters: [Parameter] = []
    var names: Set<String> = []
    while !check(.rightParen) {
      let parameter = try parseParameter()
      if !names.insert(parameter.name.name).inserted {
        reportInStatement(
          "duplicate parameter '\(parameter.name.name)'", at: parameter.name.range)
      }
      parameters.append(parameter)
      if match(.comma) == nil { break }
    }
    return parameters
  }

  /// parameter = IDENT , [ "=" , expression ] ;
  mutating func parseParameter() throws(ParseFailure) -> Parameter {
    let name = identifier(try expect(.identifier, "a parameter name"))
    guard match(.equal) != nil else { return Parameter(name: name, defaultValue: nil) }
    let savedContext = enterModelBody(false)
    defer { inModelBody = savedContext }
    let value = try parseExpression()
    return Parameter(name: name, defaultValue: value)
  }

  /// forStmt = "for" , pattern , "in" , expression , block ;
  mutating func parseForStatement() throws(ParseFailure) -> Stmt {
    let keyword = advance()
    let pattern = try parsePattern(after: "'for'")
    try expect(.kwIn, "'in' after the loop variable")
    let sequence = try parseExpression()
    let body = try parseBlock()
    return Stmt(
      .forLoop(pattern: pattern, sequence: sequence, body: body),
      keyword.range.union(body.range))
  }

  /// whileStmt = "while" , expression , block ;
  mutating func parseWhileStatement() throws(ParseFailure) -> Stmt {
    let keyword = advance()
    let condition = try parseExpression()
    let body = try parseBlock()
    return Stmt(.whileLoop(condition: condition, body: body), keyword.range.union(body.range))
  }

  /// breakStmt = "break" ;
  mutating func parseBreakStatement() -> Stmt {
    Stmt(.breakLoop, advance().range)
  }

  /// continueStmt = "continue" ;
  mutating func parseContinueStatement() -> Stmt {
    Stmt(.continueLoop, advance().range)
  }

  /// returnStmt = "return" , [ expression ] ;
  mutating func parseReturnStatement() throws(ParseFailure) -> Stmt {
    let keyword = advance()
    switch current.kind {
    case .newline, .semicolon, .rightBrace, .eof:
      return Stmt(.returnValue(nil), keyword.range)
    default:
      let value = try parseExpression()
      return Stmt(.returnValue(value), keyword.range.union(value.range))
    }
  }

  /// importStmt = "import" , STRING ;
  mutating func parseImportStatement() throws(ParseFailure) -> Stmt {
    let keyword = advance()
    if let path = match(.string) {
      return Stmt(
        .importFile(path: TokenValue.string(path, in: source), pathRange: path.range),
        keyword.range.union(path.range))
    }
    if check(.stringHead) {
      throw failure("the path after 'import' must be a plain string, without interpolation")
    }
    throw failure("expected a file path string after 'import', found \(describe(current))")
  }

  /// simpleStmt = expression , [ assignOp , expression ] ;
  mutating func parseSimpleStatement() throws(ParseFailure) -> Stmt {
    let expression = try parseExpression()
    return try parseAssignment(to: expression)
  }

  /// assignOp = "=" | "+=" | "-=" | "*=" | "/=" ;
  ///
  /// Finishes a simple statement whose first expression is `target`: an assignment if an
  /// assignment operator follows, else an expression statement.
  mutating func parseAssignment(to target: Expr) throws(ParseFailure) -> Stmt {
    let compound: BinaryOperator?
    switch current.kind {
    case .equal: compound = nil
    case .plusEqual: compound = .add
    case .minusEqual: compound = .subtract
    case .starEqual: compound = .multiply
    case .slashEqual: compound = .divide
    default: return Stmt(.expression(target), target.range)
    }
    advance()
    let value = try parseExpression()
    if let problem = Self.assignmentProblem(target) {
      reportInStatement("cannot assign to \(problem)", at: target.range)
    }
    return Stmt(
      .assignment(target: target, compound: compound, value: value),
      target.range.union(value.range))
  }

  /// Why `target` cannot be assigned to, or nil if it can: only a name, a member access or an
  /// index is a place.
  static func assignmentProblem(_ target: Expr) -> String? {
    switch target.kind {
    case .identifier, .member, .index: return nil
    case .number, .string, .bool, .nilLiteral: return "a literal"
    case .bracket: return "a list literal"
    case .tuple: return "a tuple (to destructure, write 'let (a, b) = …')"
    case .record: return "a record literal"
    case .unary, .binary, .range: return "the result of an operator"
    case .call: return "a function call"
    case .function: return "a function"
    case .conditional: return "an 'if' expression"
    case .model: return "a model"
    case .train: return "a 'train' expression"
    }
  }

  /// Records an error that does not abandon the statement, unless the statement already has
  /// one.
  mutating func reportInStatement(_ message: String, at range: SourceRange) {
    guard reportedCount == statementDiagnosticMark else { return }
    report(.unexpectedToken, message, at: range)
  }
}
