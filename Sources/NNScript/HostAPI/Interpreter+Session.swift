import NNSyntax

/// What the REPL needs beyond running scripts: whether an entry is complete, the echo of a line,
/// the session's bindings, completion candidates and built-in signatures.
extension Interpreter {
  /// The words of the language, for completion.
  static let keywords = [
    "let", "fn", "return", "if", "else", "for", "in", "while", "break", "continue", "model",
    "train", "on", "import", "true", "false", "nil", "and", "or", "not",
  ]

  /// Whether `text` stops only because it ends too early (an open bracket, brace or string):
  /// the REPL then reads another line instead of reporting an error.
  public func isIncomplete(_ text: String) -> Bool {
    LargeStack.run { Parser.parse(Source(name: "<input>", text: text)).isIncomplete }
  }

  /// Runs one REPL entry and returns the text to echo, or nil when there is nothing to show
  /// (a binding, an assignment, a function declaration, a value of `nil`). A model declaration
  /// evaluates to nil but echoes the model's one-line summary.
  public func evaluateLine(_ text: String, name: String) throws(ScriptError) -> String? {
    let declared: String? = LargeStack.run {
      let parsed = Parser.parse(Source(name: name, text: text))
      if case .model(let declaration)? = parsed.program.statements.last?.kind {
        return declaration.name?.name
      }
      return nil
    }
    let value = try evaluate(text, name: name)
    if let declared, case .object(let object)? = evaluator.globals.lookup(declared),
      object is ModelObject
    {
      return object.displayText
    }
    if case .nil = value { return nil }
    return describe(value)
  }

  /// The REPL's form of a value: strings quoted, so `"1"` and `1` look different.
  public func describe(_ value: Value) -> String {
    ValueFormatter.describe(value)
  }

  /// The names bound at the top level by the session (built-ins and `args` left out), sorted,
  /// each with the type name of its value.
  public var sessionVariables: [(name: String, type: String)] {
    let builtinNames = Set(Builtins.names)
    return evaluator.globals.ownNames.compactMap { name in
      guard let value = evaluator.globals.lookup(name) else { return nil }
      if name == "args" { return nil }
      if case .builtin(let builtin) = value, builtinNames.contains(name),
        builtin.name == name
      {
        return nil
      }
      return (name, value.typeName)
    }
  }

  /// `name(param, …)` for a built-in function, or nil when `name` is not one.
  public func signature(of name: String) -> String? {
    guard let builtin = Builtins.all.first(where: { $0.name == name }) else { return nil }
    return "\(builtin.name)(\(builtin.parameters.joined(separator: ", ")))"
  }

  /// Completion candidates for the word `prefix`, sorted: keywords and bound names, or after a
  /// dot the members of the value before it (`net.` → layer names and `params`).
  public func completions(prefix: String) -> [String] {
    if let dot = prefix.lastIndex(of: ".") {
      let base = String(prefix[..<dot])
      let partial = String(prefix[prefix.index(after: dot)...])
      return memberNames(of: base).filter { $0.hasPrefix(partial) }.map { base + "." + $0 }
    }
    let names = Set(Self.keywords + evaluator.globals.visibleNames)
    return names.filter { $0.hasPrefix(prefix) }.sorted()
  }

  /// Members of the top-level binding `name`; empty for anything else.
  private func memberNames(of name: String) -> [String] {
    guard let value = evaluator.globals.lookup(name) else { return [] }
    switch value {
    case .object(let object as ModelObject):
      return object.layerNames + ["params", "input_shape", "output_shape"]
    case .object(is DatasetObject):
      return DatasetObject.memberNames
    case .record(let record):
      return record.names
    default:
      return []
    }
  }
}
