import NNRuntime
import NNSyntax

extension Evaluator {
  func evaluate(_ expression: Expr, in scope: Scope) throws(Unwind) -> Value {
    switch expression.kind {
    case .number(let value):
      return .number(value)
    case .bool(let flag):
      return .bool(flag)
    case .nilLiteral:
      return .nil
    case .string(let segments):
      return .string(try interpolate(segments, in: scope))
    case .identifier(let name):
      return try lookup(name, range: expression.range, in: scope)
    case .bracket(let elements):
      let value = try bracketLiteral(elements, in: scope)
      try checkTensorLimits(value, range: expression.range)
      return value
    case .tuple(let elements):
      var values: [Value] = []
      for element in elements {
        let value = try evaluate(element, in: scope)
        try checkNesting(value, at: element.range)
        values.append(value)
      }
      return .list(values)
    case .record(let fields):
      return try recordLiteral(fields, in: scope)
    case .unary(let op, let operand):
      let value = try evaluate(operand, in: scope)
      return try unary(op, value, range: expression.range)
    case .binary(.and, let left, let right):
      guard try truth(evaluate(left, in: scope), range: left.range) else { return .bool(false) }
      return .bool(try truth(evaluate(right, in: scope), range: right.range))
    case .binary(.or, let left, let right):
      if try truth(evaluate(left, in: scope), range: left.range) { return .bool(true) }
      return .bool(try truth(evaluate(right, in: scope), range: right.range))
    case .binary:
      return try binaryChain(expression, in: scope)
    case .range(let lower, let upper, let inclusive):
      let low = try number(evaluate(lower, in: scope), range: lower.range, what: "a range bound")
      let high = try number(evaluate(upper, in: scope), range: upper.range, what: "a range bound")
      return .range(RangeValue(lower: low, upper: high, inclusive: inclusive))
    case .call(let callee, let arguments):
      return try call(callee, arguments, range: expression.range, in: scope)
    case .index(let base, let subscripts):
      let value = try evaluate(base, in: scope)
      return try index(value, subscripts, baseRange: base.range, range: expression.range,
                       in: scope)
    case .member(let base, let name):
      let value = try evaluate(base, in: scope)
      return try member(value, name)
    case .function(let declaration):
      return .function(FunctionValue(declaration: declaration, closure: scope, source: source))
    case .conditional(let condition, let then, let otherwise):
      if try truth(evaluateOutsideBody(condition, in: scope), range: condition.range) {
        return try run(then, in: scope)
      }
      guard let otherwise else { return .nil }
      return try run(otherwise, in: scope)
    case .model(let declaration):
      // A model's parameters count towards the host's memory limit like tensors do.
      let value = Value.object(try buildModel(declaration, in: scope))
      try checkTensorLimits(value, range: expression.range)
      return value
    case .train(let model, let data, let options):
      // `train net on data { option: value … }` is `fit(net, data, option: value, …)`.
      var arguments = [
        ArgumentValue(label: nil, labelRange: nil, value: try evaluate(model, in: scope),
                      range: model.range),
        ArgumentValue(label: nil, labelRange: nil, value: try evaluate(data, in: scope),
                      range: data.range),
      ]
      for option in options {
        arguments.append(ArgumentValue(label: option.name.name, labelRange: option.name.range,
                                       value: try evaluateArgument(
                                         option.value,
                                         for: Builtins.trainBlock.parameter(option.name.name),
                                         in: scope),
                                       range: option.value.range))
      }
      return try callBuiltin(Builtins.trainBlock, arguments, callRange: expression.range)
    }
  }

  // MARK: - Names

  func lookup(_ name: String, range: SourceRange, in scope: Scope) throws(Unwind) -> Value {
    if let value = scope.lookup(name) { return value }
    let suggestion = Suggestions.nearest(to: name, in: scope.visibleNames)
    throw failure(.undefinedName, "undefined name '\(name)'", at: range,
                  hint: suggestion.map { "did you mean '\($0)'?" })
  }

  /// A chain of binary operators (`a + b - c`, a tree leaning left as deep as the chain is
  /// long), evaluated in a loop down its left spine rather than one recursion per link, so a
  /// chain as long as the parser allows costs no stack. Operands are evaluated left to right,
  /// as the recursion would. `and` and `or` end the spine: they decide whether to evaluate
  /// their right side.
  func binaryChain(_ expression: Expr, in scope: Scope) throws(Unwind) -> Value {
    var links: [(op: BinaryOperator, node: Expr, left: Expr, right: Expr)] = []
    var innermost = expression
    while case .binary(let op, let left, let right) = innermost.kind, op != .and, op != .or {
      links.append((op, innermost, left, right))
      innermost = left
    }
    var value = try evaluate(innermost, in: scope)
    for link in links.reversed() {
      let rhs = try evaluate(link.right, in: scope)
      value = try binary(link.op, value, rhs, range: link.node.range,
                         leftRange: link.left.range, rightRange: link.right.range)
      try checkTensorLimits(value, range: link.node.range)
      // A tensor operator can take long (`a @ b` on large matrices); a number's cannot, and
      // polling the clock after each would slow scalar loops.
      if case .tensor = value { try checkStop(link.node.range) }
    }
    return value
  }

  // MARK: - Literals

  func interpolate(_ segments: [StringSegment], in scope: Scope) throws(Unwind) -> String {
    var text = ""
    for segment in segments {
      switch segment {
      case .text(let piece):
        text += piece
      case .interpolation(let expression):
        let piece = ValueFormatter.display(try evaluate(expression, in: scope))
        try checkValueBytes(text.utf8.count + piece.utf8.count, "this string",
                            range: expression.range)
        text += piece
      }
    }
    return text
  }

  /// `[…]`: a tensor when every element is a number or a numeric bracket literal of one shape;
  /// otherwise a list (LANGUAGE.md §3). A tensor held in a variable keeps `[a, b]` a list, so
  /// `concat([a, b])` can take tensors of different lengths.
  func bracketLiteral(_ elements: [Expr], in scope: Scope) throws(Unwind) -> Value {
    var values: [Value] = []
    values.reserveCapacity(elements.count)
    var numeric = true
    for element in elements {
      let value = try evaluate(element, in: scope)
      switch value {
      case .number: break
      case .tensor where Self.isBracketLiteral(element): break
      default:
        numeric = false
        try checkNesting(value, at: element.range)
      }
      values.append(value)
    }
    guard !values.isEmpty, numeric else { return .list(values) }
    if values.allSatisfy({ if case .number = $0 { true } else { false } }) {
      let scalars = values.map { (value) -> Float in
        if case .number(let x) = value { return Float(x) }
        return 0
      }
      return .tensor(Tensor(shape: [scalars.count], scalars: scalars))
    }
    return try stackRows(values, elements)
  }

  private static func isBracketLiteral(_ expression: Expr) -> Bool {
    switch expression.kind {
    case .bracket: return true
    case .unary(.negate, let operand): return isBracketLiteral(operand)
    default: return false
    }
  }

  /// Rows of a nested literal stacked into one tensor; a row of another shape is an error that
  /// names it.
  private func stackRows(_ values: [Value], _ elements: [Expr]) throws(Unwind) -> Value {
    func shape(_ value: Value) -> [Int] {
      if case .tensor(let tensor) = value { return tensor.shape }
      return []
    }
    let rowShape = shape(values[0])
    var scalars: [Float] = []
    for (index, value) in values.enumerated() {
      let current = shape(value)
      guard current == rowShape else {
        throw failure(
          .raggedLiteral,
          "ragged tensor literal: row \(index) has shape \(shapeText(current)) but row 0 has "
            + "shape \(shapeText(rowShape))",
          at: elements[index].range,
          hint: "every row of a tensor needs the same shape; use a list for mixed rows")
      }
      switch value {
      case .tensor(let tensor): scalars.append(contentsOf: tensor.scalars)
      case .number(let x): scalars.append(Float(x))
      default: break
      }
    }
    let fullShape = [values.count] + rowShape
    do {
      _ = try Tensor.checkedCount(fullShape)
    } catch {
      let whole = elements[0].range.union(elements[elements.count - 1].range)
      throw failure(.resourceLimit, error.message, at: whole)
    }
    return .tensor(Tensor(shape: fullShape, scalars: scalars))
  }

  func recordLiteral(_ fields: [RecordField], in scope: Scope) throws(Unwind) -> Value {
    var record = Record()
    for field in fields {
      guard record[field.name.name] == nil else {
        throw failure(.invalidOperation, "the field '\(field.name.name)' is given twice",
                      at: field.name.range)
      }
      let value = try evaluate(field.value, in: scope)
      try checkNesting(value, at: field.value.range)
      record[field.name.name] = value
    }
    return .record(record)
  }

  // MARK: - Conversions

  func number(_ value: Value, range: SourceRange, what: String) throws(Unwind) -> Double {
    if case .number(let x) = value { return x }
    throw failure(.typeMismatch, "\(what) must be a number, but this is a \(value.typeName)",
                  at: range)
  }

  /// A whole number that fits an `Int`, for indices and counts.
  func integer(_ value: Value, range: SourceRange, what: String) throws(Unwind) -> Int {
    let x = try number(value, range: range, what: what)
    guard let n = CallContext.exactInteger(x) else {
      if CallContext.isTooLarge(x) {
        throw failure(.invalidArgument, CallContext.notAnInteger(what, x), at: range)
      }
      throw failure(.typeMismatch,
                    "\(what) must be a whole number, but this is \(ValueFormatter.display(value))",
                    at: range)
    }
    return n
  }
}

/// The language's keywords, for suggestions.
enum Keywords {
  static let all = TokenKind.allCases.filter(\.isKeyword).map(\.rawValue)
}
