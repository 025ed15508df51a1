import NNRuntime
import NNSyntax

extension Evaluator {
  // MARK: - Reading

  func index(
    _ value: Value, _ subscripts: [Subscript], baseRange: SourceRange, range: SourceRange,
    in scope: Scope
  ) throws(Unwind) -> Value {
    switch value {
    case .tensor(let tensor):
      let indices = try tensorIndices(subscripts, in: scope)
      do {
        return Self.wrap(try tensor.slice(indices))
      } catch {
        throw failure(.indexOutOfRange, error.message, at: range)
      }
    case .object(let traced as SymbolicTensor):
      return try tracedIndex(traced, try tensorIndices(subscripts, in: scope), range: range)
    case .list(let items):
      let position = try single(subscripts, of: value, range: range, in: scope)
      switch position {
      case .element(let i, let r):
        return items[try checkedIndex(i, count: items.count, range: r)]
      case .bounds(let bounds, _):
        return .list(Array(items[bounds(items.count)]))
      case .key(_, let r):
        throw failure(.typeMismatch, "a list is indexed by numbers, not strings", at: r)
      }
    case .string(let text):
      let characters = Array(text)
      switch try single(subscripts, of: value, range: range, in: scope) {
      case .element(let i, let r):
        return .string(String(characters[try checkedIndex(i, count: characters.count, range: r)]))
      case .bounds(let bounds, _):
        return .string(String(characters[bounds(characters.count)]))
      case .key(_, let r):
        throw failure(.typeMismatch, "a string is indexed by numbers, not strings", at: r)
      }
    case .record(let record):
      switch try single(subscripts, of: value, range: range, in: scope) {
      case .key(let name, let r):
        guard let field = record[name] else { throw missingField(name, in: record, at: r) }
        return field
      case .element(_, let r), .bounds(_, let r):
        throw failure(.typeMismatch, "a record is indexed by field names (strings)", at: r)
      }
    case .object(let dataset as DatasetObject):
      // Rows, as for a list: `data[5]` is a dataset of one row, slices clamp like Python's.
      let rows = dataset.dataset.n
      switch try single(subscripts, of: value, range: range, in: scope) {
      case .element(let i, let r):
        let row = i < 0 ? i + rows : i
        guard row >= 0, row < rows else {
          throw failure(.indexOutOfRange,
                        "row \(i) is out of range for a dataset of \(Self.count(rows, "row"))",
                        at: r)
        }
        return .object(DatasetObject(dataset.dataset.rows([row])))
      case .bounds(let bounds, _):
        return .object(DatasetObject(dataset.dataset.rows(Array(bounds(rows)))))
      case .key(_, let r):
        throw failure(.typeMismatch, "a dataset is indexed by row numbers or ranges, not strings",
                      at: r)
      }
    default:
      throw failure(.typeMismatch, "a \(value.typeName) cannot be indexed", at: baseRange)
    }
  }

  /// `t[...]` of a traced tensor: a slice node per axis not taken whole, then a reshape that
  /// drops the axes single indices removed, so `grad` flows back into the selected entries.
  private func tracedIndex(
    _ traced: SymbolicTensor, _ indices: [TensorIndex], range: SourceRange
  ) throws(Unwind) -> Value {
    let selection: (ranges: [SliceRange], shape: [Int])
    do {
      selection = try Tensor.sliceRanges(for: indices, shape: traced.shape)
    } catch {
      throw failure(.indexOutOfRange, error.message, at: range)
    }
    var value = Value.object(traced)
    for slice in selection.ranges {
      guard let x = value.symbolic else { break }
      value = try x.apply(.slice(slice), [x], evaluator: self, range: range)
    }
    guard let x = value.symbolic, x.shape != selection.shape else { return value }
    return try x.apply(.reshape(selection.shape), [x], evaluator: self, range: range)
  }

  /// One subscript of a list, string or record, evaluated.
  enum Position {
    case element(Int, SourceRange)
    /// Clamped bounds for a collection of the given size.
    case bounds((Int) -> Range<Int>, SourceRange)
    case key(String, SourceRange)
  }

  private func single(
    _ subscripts: [Subscript], of value: Value, range: SourceRange, in scope: Scope
  ) throws(Unwind) -> Position {
    guard subscripts.count == 1 else {
      throw failure(.typeMismatch, "a \(value.typeName) takes one index, not \(subscripts.count)",
                    at: range)
    }
    switch subscripts[0] {
    case .value(let expression):
      let index = try evaluate(expression, in: scope)
      switch index {
      case .number:
        return .element(try integer(index, range: expression.range, what: "an index"),
                        expression.range)
      case .string(let name):
        return .key(name, expression.range)
      case .range(let r):
        let (low, high) = try rangeBounds(r, range: expression.range)
        return .bounds({ count in Self.clamp(low, high, count: count) }, expression.range)
      default:
        throw failure(.typeMismatch, "an index must be a number or a range, not a "
                        + index.typeName, at: expression.range)
      }
    case .slice(let lower, let upper, let sliceRange):
      let low = try lower.map { (e) throws(Unwind) in
        try integer(evaluate(e, in: scope), range: e.range, what: "a slice bound")
      }
      let high = try upper.map { (e) throws(Unwind) in
        try integer(evaluate(e, in: scope), range: e.range, what: "a slice bound")
      }
      return .bounds({ count in Self.clamp(low, high, count: count) }, sliceRange)
    }
  }

  /// Python's slice clamping: negative bounds count from the end, out-of-range ones clamp.
  static func clamp(_ low: Int?, _ high: Int?, count: Int) -> Range<Int> {
    func resolve(_ bound: Int?, _ fallback: Int) -> Int {
      guard let bound else { return fallback }
      let absolute = bound < 0 ? bound + count : bound
      return min(max(absolute, 0), count)
    }
    let start = resolve(low, 0)
    return start..<max(start, resolve(high, count))
  }

  private func rangeBounds(_ r: RangeValue, range: SourceRange) throws(Unwind) -> (Int, Int) {
    let low = try integer(.number(r.lower), range: range, what: "a range bound")
    let high = try integer(.number(r.upper), range: range, what: "a range bound")
    return (low, r.inclusive ? high + 1 : high)
  }

  func checkedIndex(_ index: Int, count: Int, range: SourceRange) throws(Unwind) -> Int {
    let resolved = index < 0 ? index + count : index
    guard resolved >= 0, resolved < count else {
      throw failure(.indexOutOfRange,
                    "index \(index) is out of range for \(Self.count(count, "element"))",
                    at: range)
    }
    return resolved
  }

  func tensorIndices(_ subscripts: [Subscript], in scope: Scope) throws(Unwind) -> [TensorIndex] {
    var indices: [TensorIndex] = []
    for item in subscripts {
      switch item {
      case .value(let expression):
        let value = try evaluate(expression, in: scope)
        switch value {
        case .number:
          indices.append(.index(try integer(value, range: expression.range, what: "an index")))
        case .range(let r):
          let low = try integer(.number(r.lower), range: expression.range, what: "a range bound")
          let high = try integer(.number(r.upper), range: expression.range, what: "a range bound")
          indices.append(r.inclusive ? .closedRange(start: low, end: high)
                         : .range(start: low, end: high))
        default:
          throw failure(.typeMismatch, "a tensor index must be a number or a range, not a "
                          + value.typeName, at: expression.range)
        }
      case .slice(let lower, let upper, _):
        if lower == nil, upper == nil {
          indices.append(.all)
          continue
        }
        let low = try lower.map { (e) throws(Unwind) in
          try integer(evaluate(e, in: scope), range: e.range, what: "a slice bound")
        }
        let high = try upper.map { (e) throws(Unwind) in
          try integer(evaluate(e, in: scope), range: e.range, what: "a slice bound")
        }
        indices.append(.range(start: low, end: high))
      }
    }
    return indices
  }

  // MARK: - Members

  /// The members each kind of value has: what a missing member's error lists, and what REPL
  /// completion offers after a dot.
  enum MemberNames {
    static let tensor = ["shape", "T", "size", "rank"]
    static let range = ["lower", "upper"]
    static let optimizer = ["lr", "name"]
    static let traced = ["shape", "T"]
    /// A model's members besides its layers.
    static let model = ["params", "name", "input_shape", "output_shape"]
  }

  func member(_ value: Value, _ name: Identifier) throws(Unwind) -> Value {
    switch value {
    case .tensor(let tensor):
      switch name.name {
      case "shape": return .list(tensor.shape.map { .number(Double($0)) })
      case "T": return .tensor(tensor.transposed)
      case "size": return .number(Double(tensor.count))
      case "rank": return .number(Double(tensor.rank))
      default:
        throw missingMember(name, of: value, among: MemberNames.tensor)
      }
    case .record(let record):
      guard let field = record[name.name] else {
        throw missingField(name.name, in: record, at: name.range)
      }
      return field
    case .object(let object):
      return try objectMember(object, name)
    case .range(let r):
      switch name.name {
      case "lower": return .number(r.lower)
      case "upper": return .number(r.upper)
      default: throw missingMember(name, of: value, among: MemberNames.range)
      }
    default:
      throw missingMember(name, of: value, among: [])
    }
  }

  func missingMember(_ name: Identifier, of value: Value, among members: [String]) -> Unwind {
    let hint = Suggestions.nearest(to: name.name, in: members).map { "did you mean '\($0)'?" }
      ?? (members.isEmpty ? nil : "its members are \(members.joined(separator: ", "))")
    return failure(.undefinedName, "a \(value.typeName) has no member '\(name.name)'",
                   at: name.range, hint: hint)
  }

  private func missingField(_ name: String, in record: Record, at range: SourceRange) -> Unwind {
    let hint = Suggestions.nearest(to: name, in: record.names).map { "did you mean '\($0)'?" }
      ?? (record.names.isEmpty ? "the record is empty"
          : "its fields are \(record.names.joined(separator: ", "))")
    return failure(.undefinedName, "the record has no field '\(name)'", at: range, hint: hint)
  }

  // MARK: - Assignment

  /// `target = value` for a name, a field (`r.lr = 0.1`) or an element (`t[0, 1] = 5`). Values
  /// are immutable, so a field or element assignment builds the updated value and assigns that
  /// to the base in turn.
  func assign(_ value: Value, to target: Expr, in scope: Scope) throws(Unwind) {
    switch target.kind {
    case .identifier(let name):
      guard scope.assign(name, value) else {
        let suggestion = Suggestions.nearest(to: name, in: scope.visibleNames)
        let hint = suggestion.map { "did you mean '\($0)'? To declare a new name: let \(name) = …" }
          ?? "declare it first: let \(name) = …"
        throw failure(.undeclaredAssignment, "cannot assign to undeclared name '\(name)'",
                      at: target.range, hint: hint)
      }
    case .member(let base, let name):
      let current = try evaluate(base, in: scope)
      if case .object(let object) = current {
        // Objects are references: setting a member changes the object, not the variable.
        try setObjectMember(object, name, value, range: target.range)
        return
      }
      guard case .record(var record) = current else {
        throw failure(.typeMismatch, "cannot set the member '\(name.name)' of a "
                        + current.typeName, at: name.range)
      }
      try checkNesting(value, at: target.range)
      record[name.name] = value
      try assign(.record(record), to: base, in: scope)
    case .index(let base, let subscripts):
      let current = try evaluate(base, in: scope)
      let updated = try replacing(current, subscripts, with: value, range: target.range,
                                  in: scope)
      try assign(updated, to: base, in: scope)
    default:
      throw failure(.invalidOperation, "cannot assign to this expression", at: target.range)
    }
  }

  private func replacing(
    _ current: Value, _ subscripts: [Subscript], with value: Value, range: SourceRange,
    in scope: Scope
  ) throws(Unwind) -> Value {
    switch current {
    case .tensor(let tensor):
      let indices = try tensorIndices(subscripts, in: scope)
      let replacement: Tensor
      switch value {
      case .number(let x): replacement = Tensor(scalar: Float(x))
      case .tensor(let t): replacement = t
      default:
        throw failure(.typeMismatch, "a tensor element must be a number, not a \(value.typeName)",
                      at: range)
      }
      do {
        return .tensor(try tensor.replacing(indices, with: replacement))
      } catch {
        throw failure(error.kind == .indexOutOfRange ? .indexOutOfRange : .shapeMismatch,
                      error.message, at: range)
      }
    case .list(var items):
      switch try single(subscripts, of: current, range: range, in: scope) {
      case .element(let i, let r):
        let index = try checkedIndex(i, count: items.count, range: r)
        try checkNesting(value, at: range)
        items[index] = value
        return .list(items)
      case .bounds(let bounds, _):
        guard case .list(let replacement) = value else {
          throw failure(.typeMismatch, "a list slice is replaced by a list", at: range)
        }
        items.replaceSubrange(bounds(items.count), with: replacement)
        return .list(items)
      case .key(_, let r):
        throw failure(.typeMismatch, "a list is indexed by numbers, not strings", at: r)
      }
    case .record(var record):
      guard case .key(let name, _) = try single(subscripts, of: current, range: range, in: scope)
      else {
        throw failure(.typeMismatch, "a record is indexed by field names (strings)", at: range)
      }
      try checkNesting(value, at: range)
      record[name] = value
      return .record(record)
    default:
      throw failure(.typeMismatch, "cannot assign into a \(current.typeName)", at: range)
    }
  }
}
