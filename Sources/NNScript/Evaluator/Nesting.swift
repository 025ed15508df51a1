import NNSyntax

/// The bound on how deeply lists and records nest, checked wherever a value is put inside one.
///
/// Swift releases, prints, compares and encodes a `[Value]` inside a `[Value]` by recursion on
/// the native stack, so a list nested 100,000 deep (`l = [l]` in a loop) overflowed the stack
/// when it was freed. Every list and record a script builds is checked where it is built, so no
/// value the evaluator makes nests deeper than `Limits.maxValueNesting`; every walk over a
/// value then recurses at most that deep (a few hundred bytes of stack per level), on any
/// thread. Only the newly placed value is measured: whatever is already inside a list was
/// checked when it was put there.
enum Nesting {
  /// How many list and record levels `value` has (0 for anything else), or nil once it passes
  /// `limit`. Iterative, and it stops at the first path longer than `limit`.
  static func depth(of value: Value, limit: Int) -> Int? {
    var deepest = 0
    var pending: [(Value, Int)] = [(value, 0)]
    while let (current, level) = pending.popLast() {
      switch current {
      case .list(let items):
        guard level < limit else { return nil }
        deepest = max(deepest, level + 1)
        for item in items where item.isContainer { pending.append((item, level + 1)) }
      case .record(let record):
        guard level < limit else { return nil }
        deepest = max(deepest, level + 1)
        for (_, item) in record.fields where item.isContainer {
          pending.append((item, level + 1))
        }
      default: break
      }
    }
    return deepest
  }

  /// Whether `value` may be put inside a list or record without passing the bound.
  static func fitsInside(_ value: Value) -> Bool {
    guard value.isContainer else { return true }
    return depth(of: value, limit: Limits.maxValueNesting - 1) != nil
  }

  /// The message for a value that would nest too deeply.
  static var message: String {
    "lists and records may nest at most \(Limits.maxValueNesting) levels deep"
  }
}

extension Value {
  /// Whether the value is a list or a record (what `Nesting` counts).
  var isContainer: Bool {
    switch self {
    case .list, .record: return true
    default: return false
    }
  }
}

extension Evaluator {
  /// Fails at `range` when `value` cannot be put inside a list or record (see `Nesting`).
  func checkNesting(_ value: Value, at range: SourceRange) throws(Unwind) {
    guard Nesting.fitsInside(value) else {
      throw failure(.resourceLimit, Nesting.message, at: range)
    }
  }
}
