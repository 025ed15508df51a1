import NNSyntax

/// `nn check`: everything that can be found without running the script. Syntax errors, names
/// used but declared nowhere, assignments to undeclared names, `break`/`continue` outside a
/// loop, imports that are missing or broken (checked recursively), and calls of built-ins
/// against their declared signatures: argument labels, and the kinds and ranges of literal
/// arguments. It also warns when a statement discards the result of a built-in whose result is
/// its only effect (`append(l, x)` alone), and resolves the shapes of the models it can build
/// without the script's data (`ModelResolution`).
struct Checker {
  let options: InterpreterOptions
  let globals: [String]
  private var diagnostics: [Diagnostic] = []
  private var declared: Set<String> = []
  /// Names the script itself declares: a call of one of these is not a built-in's call even
  /// when a built-in has the same name.
  private var declaredByScript: Set<String> = []
  private var visitedFiles: Set<String> = []
  private var source = Source(name: "", text: "")
  /// Whether the statement being visited is inside a loop of the current function.
  private var inLoop = false
  /// Whether the statement being visited is a layer statement of a model body, whose value
  /// the body collects.
  private var inModelBody = false

  init(options: InterpreterOptions, globals: [String]) {
    self.options = options
    self.globals = globals
  }

  func check(_ source: Source) -> [Diagnostic] {
    var checker = self
    checker.declared = Set(globals)
    checker.checkFile(source)
    return checker.diagnostics
  }

  // MARK: - Files

  private mutating func checkFile(_ file: Source) {
    let parsed = Parser.parse(file)
    diagnostics += parsed.diagnostics
    let saved = source
    source = file
    defer { source = saved }
    // Names declared anywhere count as declared everywhere: a function body may use a name
    // bound later in the file, before it is ever called.
    collectDeclarations(parsed.program.statements)
    for statement in parsed.program.statements { visit(statement, resultUsed: false) }
    // Shapes only once the file parses: a partial tree would build a different model.
    if !parsed.diagnostics.contains(where: { $0.severity == .error }) {
      diagnostics += ModelResolution(options: options)
        .diagnostics(parsed.program.statements, in: file, reported: diagnostics)
    }
  }

  private mutating func checkImport(_ path: String, range: SourceRange) {
    let base = FileAccess.directory(of: source.name).map {
      FileAccess.resolve($0, relativeTo: options.workingDirectory)
    } ?? options.workingDirectory
    let resolved = FileAccess.resolve(path, relativeTo: base)
    if let denial = options.fileAccess.denial(resolved, write: false,
                                              workingDirectory: options.workingDirectory) {
      report(.fileError, "file access is not allowed: \(denial)", range)
      return
    }
    guard let canonical = FileAccess.canonical(resolved) else {
      report(.fileError, "cannot import '\(path)': no such file", range)
      return
    }
    guard visitedFiles.insert(canonical).inserted else { return }
    switch FileAccess.readText(resolved) {
    case .success(let text):
      let name = FileAccess.resolve(path, relativeTo: FileAccess.directory(of: source.name))
      checkFile(Source(name: name, text: text))
    case .failure(.cannotRead(let reason)):
      report(.fileError, "cannot import '\(path)': \(reason)", range)
    case .failure(.pastMemoryLimit(let reason)):
      report(.resourceLimit, "cannot import '\(path)': \(reason)", range)
    }
  }

  // MARK: - Declarations

  private mutating func collectDeclarations(_ statements: [Stmt]) {
    for statement in statements {
      switch statement.kind {
      case .letBinding(let pattern, let value):
        declare(pattern)
        collectDeclarations(in: value)
      case .function(let function):
        if let name = function.name { noteDeclared(name.name) }
        collectDeclarations(function)
      case .model(let model):
        if let name = model.name { noteDeclared(name.name) }
        collectDeclarations(model.body.statements)
      case .blockLayer(_, _, _, let body):
        collectDeclarations(body.statements)
      case .forLoop(let pattern, _, let body):
        declare(pattern)
        collectDeclarations(body.statements)
      case .whileLoop(_, let body):
        collectDeclarations(body.statements)
      case .expression(let expression):
        collectDeclarations(in: expression)
      case .importFile(let path, let range):
        checkImport(path, range: range)
      default:
        break
      }
    }
  }

  private mutating func collectDeclarations(_ function: FunctionDecl) {
    for parameter in function.parameters { noteDeclared(parameter.name.name) }
    collectDeclarations(function.body.statements)
  }

  /// Declarations nested in expressions: anonymous functions and `if` blocks.
  private mutating func collectDeclarations(in expression: Expr) {
    switch expression.kind {
    case .function(let function):
      collectDeclarations(function)
    case .conditional(_, let then, let otherwise):
      collectDeclarations(then.statements)
      if let otherwise { collectDeclarations(otherwise.statements) }
    case .call(let callee, let arguments):
      collectDeclarations(in: callee)
      for argument in arguments { collectDeclarations(in: argument.value) }
    default:
      break
    }
  }

  private mutating func noteDeclared(_ name: String) {
    declared.insert(name)
    declaredByScript.insert(name)
  }

  private mutating func declare(_ pattern: Pattern) {
    switch pattern {
    case .name(let identifier): noteDeclared(identifier.name)
    case .tuple(let names, _): for name in names { noteDeclared(name.name) }
    }
  }

  // MARK: - Uses

  /// Visits a statement; `resultUsed` says whether its value is used (the last statement of a
  /// function body or of an `if` whose value is used).
  private mutating func visit(_ statement: Stmt, resultUsed: Bool) {
    switch statement.kind {
    case .expression(let expression):
      if case .conditional(let condition, let then, let otherwise) = expression.kind {
        visit(condition)
        visit(then, inLoop: nil, resultUsed: resultUsed)
        if let otherwise { visit(otherwise, inLoop: nil, resultUsed: resultUsed) }
        return
      }
      visit(expression)
      if !resultUsed, !inModelBody { warnIfDiscarded(expression) }
    case .letBinding(_, let value):
      visit(value)
    case .assignment(let target, _, let value):
      if case .identifier(let name) = target.kind, !declared.contains(name) {
        report(.undeclaredAssignment, "cannot assign to undeclared name '\(name)'", target.range,
               hint: suggestion(for: name) ?? "declare it first: let \(name) = …")
      } else {
        visit(target)
      }
      visit(value)
    case .function(let function):
      visit(function)
    case .model(let model):
      visit(model)
    case .forLoop(_, let sequence, let body):
      visit(sequence)
      visit(body, inLoop: true, resultUsed: false)
    case .whileLoop(let condition, let body):
      visit(condition)
      visit(body, inLoop: true, resultUsed: false)
    case .breakLoop, .continueLoop:
      if !inLoop {
        report(.invalidControlFlow, "`break` and `continue` must be inside a loop",
               statement.range)
      }
    case .returnValue(let value):
      if let value { visit(value) }
    case .namedLayer(_, let layer):
      // The name labels the layer; it is not a variable.
      visit(layer)
    case .blockLayer(_, _, let arguments, let body):
      for argument in arguments { visit(argument.value) }
      visit(body, inLoop: nil, resultUsed: false)
    case .importFile:
      break
    }
  }

  /// Visits a block; `inLoop` is true for a loop body, false for a function body, and nil for
  /// a block that keeps the surrounding context (`if`). `resultUsed` says whether the block's
  /// value (its last statement's) is used.
  private mutating func visit(_ block: Block, inLoop loop: Bool?, resultUsed: Bool) {
    let saved = inLoop
    if let loop { inLoop = loop }
    defer { inLoop = saved }
    for (index, statement) in block.statements.enumerated() {
      visit(statement, resultUsed: resultUsed && index == block.statements.count - 1)
    }
  }

  /// A function body is ordinary code, even inside a model body; its value is returned.
  private mutating func visit(_ function: FunctionDecl) {
    let saved = inModelBody
    inModelBody = false
    defer { inModelBody = saved }
    visit(function.body, inLoop: false, resultUsed: true)
  }

  /// A model body's expression statements are its layers.
  private mutating func visit(_ model: ModelDecl) {
    visit(model.inputShape)
    let saved = inModelBody
    inModelBody = true
    defer { inModelBody = saved }
    visit(model.body, inLoop: false, resultUsed: false)
  }

  private mutating func visit(_ expression: Expr) {
    switch expression.kind {
    case .number, .bool, .nilLiteral:
      break
    case .string(let segments):
      for case .interpolation(let inner) in segments { visit(inner) }
    case .identifier(let name):
      if !declared.contains(name) {
        report(.undefinedName, "undefined name '\(name)'", expression.range,
               hint: suggestion(for: name))
      }
    case .bracket(let elements), .tuple(let elements):
      for element in elements { visit(element) }
    case .record(let fields):
      for field in fields { visit(field.value) }
    case .unary(_, let operand):
      visit(operand)
    case .binary:
      // A loop over the chain's operands: a 10,000-link chain must not cost 10,000 frames.
      for operand in expression.chainOperands { visit(operand) }
    case .range(let left, let right, _):
      visit(left)
      visit(right)
    case .call(let callee, let arguments):
      visit(callee)
      var builtin: Builtin?
      if case .identifier(let name) = callee.kind, !declaredByScript.contains(name) {
        builtin = Builtins.byName[name]
      }
      for (index, argument) in arguments.enumerated() {
        visit(argument.value,
              for: builtin.flatMap { Evaluator.parameter(for: index, of: arguments, in: $0) })
      }
      checkBuiltinCall(callee, arguments, callRange: expression.range)
    case .index(let base, let subscripts):
      visit(base)
      for item in subscripts {
        switch item {
        case .value(let value): visit(value)
        case .slice(let lower, let upper, _):
          if let lower { visit(lower) }
          if let upper { visit(upper) }
        }
      }
    case .member(let base, _):
      visit(base)
    case .function(let function):
      visit(function)
    case .conditional(let condition, let then, let otherwise):
      visit(condition)
      visit(then, inLoop: nil, resultUsed: true)
      if let otherwise { visit(otherwise, inLoop: nil, resultUsed: true) }
    case .model(let model):
      visit(model)
    case .train(let model, let data, let options):
      visit(model)
      visit(data)
      for option in options {
        visit(option.value, for: Builtins.trainBlock.parameter(option.name.name))
      }
      checkLabels(options.map { ($0.name, $0.value) }, of: Builtins.trainBlock, noun: "option")
    }
  }

  /// An argument bound for `parameter`: an undefined bare name there (`init: h`,
  /// `metrics: [acc]`) is hinted from the names of the parameter's kind, as the binder does.
  private mutating func visit(_ expression: Expr, for parameter: Parameter?) {
    guard let kind = parameter?.kind, Suggestions.names(of: kind) != nil,
      !Evaluator.bareNames(in: expression).isEmpty
    else { return visit(expression) }
    var elements = [expression]
    if case .bracket(let items) = expression.kind { elements = items }
    if case .tuple(let items) = expression.kind { elements = items }
    for element in elements {
      guard case .identifier(let name) = element.kind, !declared.contains(name) else {
        visit(element)
        continue
      }
      report(.undefinedName, "undefined name '\(name)'", element.range,
             hint: Suggestions.hint(forUndefined: name, kind: kind) ?? nil)
    }
  }

  // MARK: - Discarded results

  /// A statement that calls a built-in whose result is its only effect, and drops the result.
  private mutating func warnIfDiscarded(_ expression: Expr) {
    guard case .call(let callee, let arguments) = expression.kind,
      case .identifier(let name) = callee.kind, !declaredByScript.contains(name),
      let builtin = Builtins.byName[name], !builtin.discardable
    else { return }
    var hint = "keep it: `let r = \(name)(…)`"
    // `append(l, x)` and `standardize(d)` most likely meant to update their list or dataset.
    if let first = arguments.first, first.label == nil,
      case .identifier(let variable) = first.value.kind,
      let kind = builtin.signature.first?.kind, kind == .list || kind == .dataset {
      let call = "\(name)(\(variable)\(arguments.count > 1 ? ", …" : ""))"
      hint = "keep it: `\(variable) = \(call)` replaces \(variable), `let r = \(call)` names it"
    }
    diagnostics.append(Diagnostic(
      .warning, code: .unusedResult,
      message: "the result of \(name) is discarded: \(name) returns a new value and leaves its "
        + "arguments unchanged",
      at: SourceSpan(source: source, range: expression.range), hint: hint))
  }

  // MARK: - Built-in signatures

  /// A call of a built-in the script does not shadow, checked against its declaration.
  private mutating func checkBuiltinCall(
    _ callee: Expr, _ arguments: [Argument], callRange: SourceRange
  ) {
    guard case .identifier(let name) = callee.kind, !declaredByScript.contains(name),
      let builtin = Builtins.byName[name]
    else { return }
    let fixed = Array(builtin.signature.prefix { !$0.isVariadic })
    let positional = arguments.filter { $0.label == nil }
    for (parameter, argument) in zip(fixed, positional) {
      checkLiteral(argument.value, for: parameter, of: builtin)
    }
    let variadic = fixed.count < builtin.signature.count
    if !variadic, positional.count > fixed.count {
      report(.invalidArgument,
             SignatureCheck.tooMany(name, takes: fixed.count, given: positional.count),
             positional[fixed.count].value.range)
    }
    let named = arguments.compactMap { argument in argument.label.map { ($0, argument.value) } }
    checkLabels(named, of: builtin, noun: "parameter")
    // Parameters after a variadic one are named only, as the binder binds them.
    let labels = Set(named.map(\.0.name))
    for (index, parameter) in builtin.signature.enumerated() where parameter.isRequired {
      let byPosition = index < fixed.count && index < positional.count
      if !byPosition, !labels.contains(parameter.name) {
        report(.invalidArgument, SignatureCheck.missing(parameter, of: name), callRange)
        break
      }
    }
  }

  /// Each label must name a parameter (with a suggestion when it is a likely typo), and a
  /// literal value must fit the parameter's kind and range. The texts are the binder's.
  private mutating func checkLabels(
    _ arguments: [(label: Identifier, value: Expr)], of builtin: Builtin, noun: String
  ) {
    let labels = builtin.signature.filter { !$0.isVariadic }.map(\.name)
    let optimizer = arguments.first { $0.label.name == "optimizer" }.flatMap { argument in
      switch argument.value.kind {
      case .identifier(let name): return name
      case .call(let callee, _): if case .identifier(let name) = callee.kind { return name }
      default: break
      }
      return nil
    }
    for (label, value) in arguments {
      if let problem = SignatureCheck.optimizerOption(
        label.name, value: source.text(value.range), of: builtin, noun: noun,
        optimizer: optimizer)
      {
        report(problem.code, problem.message, label.range, hint: problem.hint)
        continue
      }
      guard let parameter = builtin.parameter(label.name), !parameter.isVariadic else {
        let hint = Suggestions.nearest(to: label.name, in: labels).map { "did you mean '\($0)'?" }
          ?? (labels.isEmpty ? nil : "its \(noun)s are: \(labels.joined(separator: ", "))")
        report(.invalidArgument, "\(builtin.name) has no \(noun) named '\(label.name)'",
               label.range, hint: hint)
        continue
      }
      checkLiteral(value, for: parameter, of: builtin)
    }
  }

  private mutating func checkLiteral(_ expression: Expr, for parameter: Parameter,
                                     of builtin: Builtin) {
    guard let value = Self.literal(expression),
      let problem = SignatureCheck.problem(value, for: parameter, of: builtin.name)
    else { return }
    report(problem.code, problem.message, expression.range, hint: problem.hint)
  }

  /// The value of a literal number, negated number, bool or plain string; nil otherwise.
  private static func literal(_ expression: Expr) -> Value? {
    switch expression.kind {
    case .number(let x): return .number(x)
    case .unary(.negate, let operand):
      if case .number(let x) = operand.kind { return .number(-x) }
      return nil
    case .bool(let flag): return .bool(flag)
    case .string(let segments):
      var text = ""
      for segment in segments {
        guard case .text(let part) = segment else { return nil }
        text += part
      }
      return .string(text)
    default: return nil
    }
  }

  // MARK: - Reporting

  private func suggestion(for name: String) -> String? {
    Suggestions.nearest(to: name, in: Array(declared)).map {
      "did you mean '\($0)'?"
    }
  }

  private mutating func report(
    _ code: DiagnosticCode, _ message: String, _ range: SourceRange, hint: String? = nil
  ) {
    diagnostics.append(Diagnostic.error(code, message, in: source, at: range, hint: hint))
  }
}
