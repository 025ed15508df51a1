import NNRuntime
import NNSyntax

extension Evaluator {
  /// Evaluates an argument bound for `parameter`. An undefined bare name there (`init: h`,
  /// `metrics: [acc]`) gets its hint from the names of the parameter's kind, never from the
  /// variables in scope, which are of another kind.
  func evaluateArgument(
    _ expression: Expr, for parameter: Parameter?, in scope: Scope
  ) throws(Unwind) -> Value {
    do {
      return try evaluate(expression, in: scope)
    } catch .failure(var diagnostic) where diagnostic.code == .undefinedName {
      guard let kind = parameter?.kind, let range = diagnostic.location?.range,
        Self.bareNames(in: expression).contains(range),
        let hint = Suggestions.hint(forUndefined: source.text(range), kind: kind)
      else { throw .failure(diagnostic) }
      diagnostic.hint = hint
      throw .failure(diagnostic)
    }
  }

  /// The ranges of the bare names an argument is or lists: `h`, or each of `[acc, f1]`.
  static func bareNames(in expression: Expr) -> [SourceRange] {
    switch expression.kind {
    case .identifier: return [expression.range]
    case .bracket(let elements), .tuple(let elements):
      return elements.compactMap {
        if case .identifier = $0.kind { return $0.range } else { return nil }
      }
    default: return []
    }
  }

  /// The parameter of `builtin` that the argument at `index` of `arguments` binds to: its
  /// label's, or for a positional one the declared parameter at its position (before any
  /// variadic one).
  static func parameter(
    for index: Int, of arguments: [Argument], in builtin: Builtin
  ) -> Parameter? {
    if let label = arguments[index].label?.name { return builtin.parameter(label) }
    let position = arguments[..<index].filter { $0.label == nil }.count
    let fixed = builtin.signature.prefix { !$0.isVariadic }
    return position < fixed.count ? fixed[position] : nil
  }
}

extension Evaluator {
  /// `fit(…, lr: 0.1)`: an optimizer's setting given to the training call, reported as
  /// belonging to the optimizer (`SignatureCheck.optimizerOption`) rather than as a typo.
  func checkOptimizerOptions(_ named: [ArgumentValue], of builtin: Builtin) throws(Unwind) {
    var optimizer: String?
    switch named.first(where: { $0.label == "optimizer" })?.value {
    case .builtin(let given)?: optimizer = given.name
    case .object(let given as OptimizerObject)?: optimizer = given.rule.name
    default: break
    }
    for argument in named {
      guard let label = argument.label,
        let problem = SignatureCheck.optimizerOption(
          label, value: source.text(argument.range), of: builtin,
          noun: builtin.name == "train" ? "option" : "parameter", optimizer: optimizer)
      else { continue }
      throw failure(problem.code, problem.message, at: argument.labelRange ?? argument.range,
                    hint: problem.hint)
    }
  }
}
