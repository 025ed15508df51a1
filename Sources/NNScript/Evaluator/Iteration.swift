import NNRuntime
import NNSyntax

/// Steps through what a `for` loop can walk: a range, a list, a tensor's first axis, a record's
/// fields, a string's characters.
struct ValueIterator {
  fileprivate enum State {
    case range(next: Double, remaining: Int)
    case list([Value], Int)
    case tensor(Tensor, Int, SourceRange)
    case record([(name: String, value: Value)], Int, pairs: Bool)
    case string([Character], Int)
  }

  private var state: State

  mutating func next(_ evaluator: Evaluator) throws(Unwind) -> Value? {
    switch state {
    case .range(let value, let remaining):
      guard remaining > 0 else { return nil }
      state = .range(next: value + 1, remaining: remaining - 1)
      return .number(value)
    case .list(let items, let index):
      guard index < items.count else { return nil }
      state = .list(items, index + 1)
      return items[index]
    case .tensor(let tensor, let index, let range):
      guard index < tensor.shape[0] else { return nil }
      state = .tensor(tensor, index + 1, range)
      return try evaluator.tensorItem(tensor, index, range: range)
    case .record(let fields, let index, let pairs):
      guard index < fields.count else { return nil }
      state = .record(fields, index + 1, pairs: pairs)
      let field = fields[index]
      return pairs ? .list([.string(field.name), field.value]) : .string(field.name)
    case .string(let characters, let index):
      guard index < characters.count else { return nil }
      state = .string(characters, index + 1)
      return .string(String(characters[index]))
    }
  }

  fileprivate init(_ state: State) { self.state = state }
}

extension Evaluator {
  func makeIterator(
    _ value: Value, pattern: Pattern, range: SourceRange
  ) throws(Unwind) -> ValueIterator {
    switch value {
    case .range(let r):
      return ValueIterator(.range(next: r.lower, remaining: r.count))
    case .list(let items):
      return ValueIterator(.list(items, 0))
    case .tensor(let tensor):
      guard tensor.rank >= 1 else {
        throw failure(.typeMismatch, "cannot iterate over a tensor with no axes", at: range)
      }
      return ValueIterator(.tensor(tensor, 0, range))
    case .record(let record):
      if case .name = pattern {
        return ValueIterator(.record(record.fields, 0, pairs: false))
      }
      return ValueIterator(.record(record.fields, 0, pairs: true))
    case .string(let text):
      return ValueIterator(.string(Array(text), 0))
    default:
      throw failure(.typeMismatch, "cannot iterate over a \(value.typeName)", at: range)
    }
  }

  /// Row `index` of a tensor's first axis: a number for a vector, a tensor otherwise.
  func tensorItem(_ tensor: Tensor, _ index: Int, range: SourceRange) throws(Unwind) -> Value {
    let row: Tensor
    do {
      row = try tensor.slice([.index(index)])
    } catch {
      throw failure(.indexOutOfRange, error.message, at: range)
    }
    return Self.wrap(row)
  }

  /// A tensor result as a value: a 0-d tensor reads as a number (LANGUAGE.md §3).
  static func wrap(_ tensor: Tensor) -> Value {
    tensor.rank == 0 ? .number(Value.element(tensor[flat: 0])) : .tensor(tensor)
  }
}
