import NNRuntime
import NNSyntax

/// How values print (LANGUAGE.md §9): the text of `print`, interpolation and the REPL's echo.
enum ValueFormatter {
  /// The top-level form: strings without quotes.
  static func display(_ value: Value) -> String {
    if case .string(let text) = value { return text }
    return describe(value)
  }

  /// The nested form: strings quoted, as inside lists and records.
  static func describe(_ value: Value) -> String {
    switch value {
    case .number(let x): return formatNumber(x)
    case .bool(let flag): return flag ? "true" : "false"
    case .string(let text): return quote(text)
    case .nil: return "nil"
    case .tensor(let tensor): return formatTensor(tensor)
    case .list(let items): return "[" + items.map(describe).joined(separator: ", ") + "]"
    case .record(let record):
      return "{" + record.fields.map { "\($0.name): \(describe($0.value))" }
        .joined(separator: ", ") + "}"
    case .range(let r):
      return formatNumber(r.lower) + (r.inclusive ? "..." : "..<") + formatNumber(r.upper)
    case .function(let function): return "<fn \(function.name)>"
    case .builtin(let builtin): return "<builtin \(builtin.name)>"
    case .object(let object): return object.displayText
    }
  }

  /// A string as a literal that reads back as the same string.
  static func quote(_ text: String) -> String { TokenValue.literal(text) }
}
