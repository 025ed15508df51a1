// Model declarations and model bodies (grammar/nn.ebnf, "Model bodies"; LANGUAGE.md §5).
//
// A model body is a block whose statements are layer statements. The context travels in
// `inModelBody`: set by a model body, kept by the `for`, `while` and `if` blocks nested in it,
// cleared by a function body and by any bracketed sub-expression (call arguments, literals).

// MARK: - Declarations

extension SyntaxParser {
  /// modelDecl = "model" , IDENT , "(" , expression , ")" , modelBlock ;
  mutating func parseModelDeclaration() throws(ParseFailure) -> Stmt {
    let keyword = advance()
    let name = identifier(advance())
    let model = try parseModelRest(keyword: keyword, name: name)
    return Stmt(.model(model), model.range)
  }

  /// The input shape and body of a model, after `model` and its name if any.
  mutating func parseModelRest(
    keyword: Token, name: Identifier?
  ) throws(ParseFailure) -> ModelDecl {
    guard check(.leftParen) else {
      let after = name == nil ? "'model'" : "the model name"
      throw failure(
        "expected '(' and the input shape after \(after), found \(describe(current))")
    }
    let paren = open()
    let savedContext = enterModelBody(false)
    defer { inModelBody = savedContext }
    let shape = try parseExpression()
    if check(.comma) {
      // `model c(1, 8, 8)`: the shape written as separate numbers, as PyTorch's Conv2d(1, …)
      // or a Keras Input(shape=(1, 8, 8)) user might. Offer the list with their own numbers.
      var last = shape
      while match(.comma) != nil, !check(.rightParen), !check(.eof) {
        last = try parseExpression()
      }
      let written = source.text(shape.range.union(last.range))
      let declaration = "model" + (name.map { " " + $0.name } ?? "")
      report(
        .unexpectedToken, "a model's input shape is one value, not a list of arguments",
        at: shape.range.union(last.range),
        hint: "write a shape of several axes as a list: \(declaration)([\(written)])")
      throw .statement
    }
    try close(.rightParen, opener: paren)
    let body = try parseModelBlock()
    return ModelDecl(
      name: name, inputShape: shape, body: body, range: keyword.range.union(body.range))
  }

  /// modelBlock = { NEWLINE } , "{" , layerList , "}" ;
  mutating func parseModelBlock() throws(ParseFailure) -> Block {
    let savedContext = enterModelBody(true)
    defer { inModelBody = savedContext }
    return try parseBlock()
  }
}

// MARK: - Layer statements

extension SyntaxParser {
  /// layerStatement = letStmt | fnDecl | modelDecl | forStmt | whileStmt | breakStmt
  ///                | continueStmt | returnStmt | importStmt | blockLayer | namedLayer
  ///                | simpleStmt ;
  mutating func parseLayerStatement() throws(ParseFailure) -> Stmt {
    guard check(.identifier) else { return try parseStatement() }
    // Every remaining form starts with an expression; what follows it decides.
    let head = try parseExpression()
    if check(.leftBrace) { return try parseBlockLayer(name: nil, head: head) }
    if check(.equal), case .identifier(let name) = head.kind {
      return try parseNamedLayer(name: Identifier(name, head.range))
    }
    return try parseAssignment(to: head)
  }

  /// namedLayer = IDENT , "=" , expression ;
  ///
  /// Called at the `=`; `name` has been read. `name = kind(args) {` names a block layer.
  mutating func parseNamedLayer(name: Identifier) throws(ParseFailure) -> Stmt {
    advance()
    let layer = try parseExpression()
    if check(.leftBrace) { return try parseBlockLayer(name: name, head: layer) }
    return Stmt(.namedLayer(name: name, layer: layer), name.range.union(layer.range))
  }

  /// blockLayer = [ IDENT , "=" ] , IDENT , [ "(" , [ arguments ] , ")" ] , "{" , layerList ,
  ///              "}" ;
  ///
  /// Called at the `{`; `head` is the kind and its arguments, already read as an expression.
  mutating func parseBlockLayer(name: Identifier?, head: Expr) throws(ParseFailure) -> Stmt {
    var callee = head
    var arguments: [Argument] = []
    if case .call(let function, let callArguments) = head.kind {
      callee = function
      arguments = callArguments
    }
    guard case .identifier(let text) = callee.kind else {
      throw failure(
        "unexpected '{': a block layer starts with its kind, as in 'residual {' or "
          + "'name = residual(…) {'")
    }
    let kind = Identifier(text, callee.range)
    let body = try parseModelBlock()
    let start = name?.range ?? head.range
    return Stmt(
      .blockLayer(name: name, kind: kind, arguments: arguments, body: body),
      start.union(body.range))
  }
}
