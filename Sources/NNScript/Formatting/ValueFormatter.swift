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
  ///
  /// Built into one string from an explicit stack of pieces still to write: joining each
  /// level's text into its parent's copied the inner text once per level (quadratic in the
  /// depth of `[[[…]]]`), and recursion would need native stack per level.
  static func describe(_ value: Value) -> String {
    var output = ""
    var pending: [Piece] = [.value(value)]
    while let piece = pending.popLast() {
      switch piece {
      case .text(let text):
        output += text
      case .value(let value):
        switch value {
        case .list(let items):
          output += "["
          pending.append(.text("]"))
          for (position, item) in items.enumerated().reversed() {
            pending.append(.value(item))
            if position > 0 { pending.append(.text(", ")) }
          }
        case .record(let record):
          output += "{"
          pending.append(.text("}"))
          for (position, field) in record.fields.enumerated().reversed() {
            pending.append(.value(field.value))
            pending.append(.text((position > 0 ? ", " : "") + field.name + ": "))
          }
        default:
          output += scalarText(value)
        }
      }
    }
    return output
  }

  /// What is left to write: literal text, or a value still to format.
  private enum Piece {
    case text(String)
    case value(Value)
  }

  /// The text of a value that holds no other values.
  private static func scalarText(_ value: Value) -> String {
    switch value {
    case .number(let x): return formatNumber(x)
    case .bool(let flag): return flag ? "true" : "false"
    case .string(let text): return quote(text)
    case .nil: return "nil"
    case .tensor(let tensor): return formatTensor(tensor)
    case .list, .record: return describe(value)
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
