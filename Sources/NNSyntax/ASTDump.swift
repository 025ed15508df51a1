// A compact, stable text form of the syntax tree as S-expressions, for tests and debugging:
// `1 + 2 * 3` dumps as `(+ 1 (* 2 3))`. Ranges are not shown.
//
//   numbers      shortest form: `1`, `0.5`, `1e-05`, `inf`
//   strings      `"text"`; interpolated: `(str "a " x)`
//   literals     `true` `false` `nil`, names as written
//   [a, b]       `[a b]`             (a, b)      `(tuple a b)`
//   {a: 1}       `(record a: 1)`     -x          `(- x)`          not x    `(not x)`
//   a + b        `(+ a b)`           a..<b       `(..< a b)`      a...b    `(... a b)`
//   f(x, k: 1)   `(call f x k: 1)`   a.b         `(. a b)`
//   t[i, :, 1:]  `(index t i (: _ _) (: 1 _))`
//   fn f(a, b=1) { … }   `(fn f (a b=1) (block …))`; anonymous: `(fn (a) (block …))`
//   if c {…} else {…}    `(if c (block …) (block …))`
//   model m(2) {…}       `(model m 2 (block …))`; anonymous: `(model 2 (block …))`
//   train n on d {k: v}  `(train n d k: v)`
//   let x = e            `(let x e)`; `(let (a b) e)`
//   x = e, x += e        `(= x e)`, `(+= x e)`
//   for x in s {…}       `(for x s (block …))`     while c {…}   `(while c (block …))`
//   break, continue      `(break)`, `(continue)`    return [e]    `(return)`, `(return e)`
//   import "p"           `(import "p")`
//   name = layer         `(layer name e)`
//   [name =] kind(args) {…}   `(blocklayer [name] kind (args…) (block …))`

/// Renders syntax trees as S-expressions.
public enum ASTDump {
  /// The program, one top-level statement per line.
  public static func dump(_ program: Program) -> String {
    program.statements.map(dump).joined(separator: "\n")
  }

  /// One expression.
  public static func dump(_ expr: Expr) -> String {
    switch expr.kind {
    case .number(let value): return number(value)
    case .string(let segments): return string(segments)
    case .bool(let value): return value ? "true" : "false"
    case .nilLiteral: return "nil"
    case .identifier(let name): return name
    case .bracket(let elements): return "[" + elements.map(dump).joined(separator: " ") + "]"
    case .tuple(let elements): return list("tuple", elements.map(dump))
    case .record(let fields): return list("record", fields.map(field))
    case .unary(let operation, let operand): return list(operation.rawValue, [dump(operand)])
    case .binary(let operation, let left, let right):
      return list(operation.rawValue, [dump(left), dump(right)])
    case .range(let lower, let upper, let inclusive):
      return list(inclusive ? "..." : "..<", [dump(lower), dump(upper)])
    case .call(let callee, let arguments):
      return list("call", [dump(callee)] + arguments.map(argument))
    case .index(let base, let subscripts):
      return list("index", [dump(base)] + subscripts.map(subscriptText))
    case .member(let base, let name): return list(".", [dump(base), name.name])
    case .function(let function): return dump(function)
    case .conditional(let condition, let then, let otherwise):
      return list("if", [dump(condition), dump(then)] + (otherwise.map { [dump($0)] } ?? []))
    case .model(let model): return dump(model)
    case .train(let model, let data, let options):
      return list("train", [dump(model), dump(data)] + options.map(field))
    }
  }

  /// One statement.
  public static func dump(_ stmt: Stmt) -> String {
    switch stmt.kind {
    case .expression(let expr): return dump(expr)
    case .letBinding(let pattern, let value): return list("let", [dump(pattern), dump(value)])
    case .assignment(let target, let compound, let value):
      let name = (compound?.rawValue ?? "") + "="
      return list(name, [dump(target), dump(value)])
    case .function(let function): return dump(function)
    case .model(let model): return dump(model)
    case .forLoop(let pattern, let sequence, let body):
      return list("for", [dump(pattern), dump(sequence), dump(body)])
    case .whileLoop(let condition, let body): return list("while", [dump(condition), dump(body)])
    case .breakLoop: return "(break)"
    case .continueLoop: return "(continue)"
    case .returnValue(let value): return list("return", value.map { [dump($0)] } ?? [])
    case .importFile(let path, _): return list("import", [quoted(path)])
    case .namedLayer(let name, let layer): return list("layer", [name.name, dump(layer)])
    case .blockLayer(let name, let kind, let arguments, let body):
      let arguments = "(" + arguments.map(argument).joined(separator: " ") + ")"
      return list("blocklayer", (name.map { [$0.name] } ?? []) + [kind.name, arguments, dump(body)])
    }
  }

  /// A block: `(block s1 s2 …)`.
  public static func dump(_ block: Block) -> String {
    list("block", block.statements.map(dump))
  }

  // MARK: - Pieces

  static func dump(_ pattern: Pattern) -> String {
    switch pattern {
    case .name(let name): return name.name
    case .tuple(let names, _): return "(" + names.map(\.name).joined(separator: " ") + ")"
    }
  }

  static func dump(_ function: FunctionDecl) -> String {
    let parameters = function.parameters.map { parameter in
      parameter.name.name + (parameter.defaultValue.map { "=" + dump($0) } ?? "")
    }
    let head = function.name.map { [$0.name] } ?? []
    return list(
      "fn", head + ["(" + parameters.joined(separator: " ") + ")", dump(function.body)])
  }

  static func dump(_ model: ModelDecl) -> String {
    let head = model.name.map { [$0.name] } ?? []
    return list("model", head + [dump(model.inputShape), dump(model.body)])
  }

  static func list(_ head: String, _ items: [String]) -> String {
    "(" + ([head] + items).joined(separator: " ") + ")"
  }

  static func field(_ field: RecordField) -> String {
    field.name.name + ": " + dump(field.value)
  }

  static func argument(_ argument: Argument) -> String {
    (argument.label.map { $0.name + ": " } ?? "") + dump(argument.value)
  }

  static func subscriptText(_ item: Subscript) -> String {
    switch item {
    case .value(let value): return dump(value)
    case .slice(let lower, let upper, _):
      return list(":", [lower.map(dump) ?? "_", upper.map(dump) ?? "_"])
    }
  }

  static func string(_ segments: [StringSegment]) -> String {
    if segments.isEmpty { return "\"\"" }
    if segments.count == 1, case .text(let text) = segments[0] { return quoted(text) }
    return list("str", segments.map { segment in
      switch segment {
      case .text(let text): return quoted(text)
      case .interpolation(let expr): return dump(expr)
      }
    })
  }

  /// The shortest text that reads back as `value`: `7`, not `7.0`.
  static func number(_ value: Double) -> String {
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    if value.isNaN { return "nan" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
  }

  /// `text` as a string literal of the language, escaped so that it reads back.
  static func quoted(_ text: String) -> String { TokenValue.literal(text) }
}
