import NNSyntax
import NNRuntime

/// What the REPL needs beyond running scripts: whether an entry is complete, the echo of a line,
/// the session's bindings, completion candidates and built-in signatures.
extension Interpreter {
  /// The words of the language, for completion.
  static let keywords = [
    "let", "fn", "return", "if", "else", "for", "in", "while", "break", "continue", "model",
    "train", "on", "import", "true", "false", "nil", "and", "or", "not",
  ]

  /// Runs `body` on a thread with the evaluator's large stack, where this and every other
  /// interpreter's calls run directly instead of each starting a thread of its own (as calls
  /// from any other thread do). For a host that makes many small calls in a row: the REPL
  /// reading piped input, one entry per line. Calls from other threads meanwhile are as
  /// always.
  public static func runSession<T>(_ body: () -> T) -> T {
    LargeStack.session(body)
  }

  /// Whether `text` stops only because it ends too early (an open bracket, brace or string):
  /// the REPL then reads another line instead of reporting an error.
  public func isIncomplete(_ text: String) -> Bool {
    LargeStack.run { Parser.parse(Source(name: "<input>", text: text)).isIncomplete }
  }

  /// Runs one REPL entry and returns the text to echo, or nil when there is nothing to show
  /// (a binding, an assignment, a function declaration, a value of `nil`). A model declaration
  /// evaluates to nil but echoes the model's one-line summary. `firstLine` numbers the entry's
  /// first line in diagnostics (the piped REPL's entries count from the start of the input).
  public func evaluateLine(
    _ text: String, name: String, firstLine: Int = 1
  ) throws(ScriptError) -> String? {
    let source = Source(name: name, text: text, firstLine: firstLine)
    let declared: String? = LargeStack.run {
      let parsed = Parser.parse(source)
      if case .model(let declaration)? = parsed.program.statements.last?.kind {
        return declaration.name?.name
      }
      return nil
    }
    let value = try execute(source, markImported: nil)
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

  /// What `:type` prints: the type name, and for a tensor its shape (`tensor [3, 4]`), for a
  /// dataset its sizes (`dataset 4 rows: x [4, 2], y [4, 1]`), for a model its input and
  /// output shapes (`model [2] → [1]`).
  public func typeDescription(of value: Value) -> String {
    switch value {
    case .tensor(let tensor):
      return "tensor \(shapeText(tensor.shape))"
    case .object(let dataset as DatasetObject):
      return "dataset \(dataset.sizeText)"
    case .object(let model as ModelObject):
      return "model \(shapeText(model.network.inputShape)) → "
        + shapeText(model.network.outputShape)
    default:
      return value.typeName
    }
  }

  /// `name(param, …)` for a built-in function, or nil when `name` is not one.
  public func signature(of name: String) -> String? {
    guard let builtin = Builtins.all.first(where: { $0.name == name }) else { return nil }
    return "\(builtin.name)(\(builtin.parameters.joined(separator: ", ")))"
  }

  /// Completion candidates for the word `prefix`, sorted: keywords and bound names, or after a
  /// dot the members of the value the path before it reaches (`net.` → layer names and
  /// `params`, `net.dense1.` → `weight` and `bias`, `m.params.dense1.` → the same fields).
  public func completions(prefix: String) -> [String] {
    if let dot = prefix.lastIndex(of: ".") {
      let base = String(prefix[..<dot])
      let partial = String(prefix[prefix.index(after: dot)...])
      guard let value = value(atPath: base) else { return [] }
      return Self.memberNames(of: value).filter { $0.hasPrefix(partial) }.sorted()
        .map { base + "." + $0 }
    }
    let names = Set(Self.keywords + evaluator.globals.visibleNames)
    return names.filter { $0.hasPrefix(prefix) }.sorted()
  }

  /// The value of a dotted path of names (`net.dense1`), read through the language's own member
  /// access, which has no side effects; nil when a step is not a name or not a member.
  private func value(atPath path: String) -> Value? {
    let steps = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard let first = steps.first, var value = evaluator.globals.lookup(first) else { return nil }
    let nowhere = SourceRange(start: 0, end: 0)
    for step in steps.dropFirst() {
      guard !step.isEmpty, let next = try? evaluator.member(value, Identifier(step, nowhere))
      else { return nil }
      value = next
    }
    return value
  }

  /// The members `value.name` reads, as the error for a missing member lists them.
  private static func memberNames(of value: Value) -> [String] {
    switch value {
    case .object(let object as ModelObject):
      return object.layerNames + Evaluator.MemberNames.model
    case .object(let layer as LayerReference):
      return layer.memberNames
    case .object(is DatasetObject):
      return DatasetObject.memberNames
    case .object(is ConfusionObject):
      return ConfusionObject.memberNames
    case .object(is OptimizerObject):
      return Evaluator.MemberNames.optimizer
    case .object(is SymbolicTensor):
      return Evaluator.MemberNames.traced
    case .record(let record):
      return record.names
    case .tensor:
      return Evaluator.MemberNames.tensor
    case .range:
      return Evaluator.MemberNames.range
    default:
      return []
    }
  }
}
