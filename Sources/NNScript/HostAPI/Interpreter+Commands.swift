import NNSyntax

/// What the REPL's colon commands evaluate (`:type EXPR`, `:ir NAME`): the command's own text,
/// placed where it stands in its line, so a diagnostic points at that text (`<stdin>:4:7`)
/// rather than at a call the REPL made up (`ir(x)` at line 1).
extension Interpreter {
  /// `text` as a source named `name` whose first byte sits at `line`, `column` (from 1): blank
  /// lines and spaces stand for the input before it, as a piped entry's lines do.
  static func commandSource(_ text: String, name: String, line: Int, column: Int) -> Source {
    let before = String(repeating: "\n", count: max(0, line - 1))
      + String(repeating: " ", count: max(0, column - 1))
    return Source(name: name, text: before + text)
  }

  /// The value of a command's expression, `text`, which stands at `line`, `column` of the
  /// input called `name` (`:type EXPR`).
  public func evaluateCommand(
    _ text: String, name: String, line: Int, column: Int
  ) throws(ScriptError) -> Value {
    try execute(Self.commandSource(text, name: name, line: line, column: column),
                markImported: nil)
  }

  /// `:ir NAME`: prints the compiled plan of the model that `text` (at `line`, `column` of
  /// `name`) evaluates to, as `ir(NAME)` does; anything but a model is an error at `text`.
  public func showPlan(
    _ text: String, name: String, line: Int, column: Int
  ) throws(ScriptError) {
    let source = Self.commandSource(text, name: name, line: line, column: column)
    let value = try execute(source, markImported: nil)
    let range = SourceRange(start: source.bytes.count - text.utf8.count, end: source.bytes.count)
    guard case .object(let object) = value, object is ModelObject,
      let ir = Builtins.all.first(where: { $0.name == "ir" })
    else {
      throw ScriptError([Diagnostic.error(
        .typeMismatch, ":ir shows the plan of a model, but this is a \(value.typeName)",
        in: source, at: range)])
    }
    let evaluator = self.evaluator
    let failure: Diagnostic? = LargeStack.run {
      evaluator.source = source
      let outerFloor = evaluator.stackFloor
      evaluator.stackFloor = LargeStack.floor()
      defer { evaluator.stackFloor = outerFloor }
      evaluator.steps = 0
      evaluator.runStart = .now
      evaluator.cancellation.clear()
      do throws(Unwind) {
        let argument = ArgumentValue(label: nil, labelRange: nil, value: value, range: range)
        _ = try evaluator.callBuiltin(ir, [argument], callRange: range)
        return nil
      } catch {
        if case .failure(let diagnostic) = error { return diagnostic }
        return nil
      }
    }
    if let failure { throw ScriptError([failure]) }
  }
}
