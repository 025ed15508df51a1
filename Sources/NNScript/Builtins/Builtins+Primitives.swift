import NNRuntime
import NNSyntax

// The primitive ops layers are composed of (permute, where, gather, masked fill, a strided
// slice) as built-ins. Each runs one op of the IR: on tensors through `Tensor.apply` (the kernel
// a plan runs, so eager and plan numerics agree), on traced tensors as a node `grad` can
// differentiate through. Axes may be negative here; the op gets them resolved.

extension Builtins {
  static let primitives: [Builtin] = [
    Builtin("permute", [
      .tensorInput, .required("axes...", .shape, "the new order of the axes: whole numbers, or "
                                + "one list"),
    ], doc: BuiltinDoc(
      "shapes",
      "Reorders the axes: axis i of the result is axis axes[i] of t (NumPy's transpose).",
      "print(permute(reshape(arange(6), 1, 2, 3), 2, 0, 1).shape)")) {
      (context) throws(Diagnostic) in
      let axes = try context.axisList(context.rest)
      return try context.primitive(["t"]) { (shapes) throws(Diagnostic) in
        .permute(axes.map { $0 < 0 ? $0 + shapes[0].count : $0 })
      }
    },
    Builtin("where", [
      .required("c", .tensor, "the condition: non-zero picks a"),
      .required("a", .tensor, "a tensor or number"), .required("b", .tensor, "a tensor or number"),
    ], doc: BuiltinDoc(
      "element-wise",
      "Picks a where the condition is non-zero, else b, element by element, broadcasting.",
      "let x = tensor([-1, 2, -3])\n"
      + "print(where(x > 0, x, 0))")) { (context) throws(Diagnostic) in
      try context.primitive(["c", "a", "b"]) { (_) throws(Diagnostic) in .select }
    },
    Builtin("gather", [
      .tensorInput, .required("indices", .tensor, "whole numbers, negative ones from the end"),
      .whole("axis", 0, "the axis the indices select along"),
    ], doc: BuiltinDoc(
      "shapes",
      "Takes the entries of t at the indices along axis (NumPy's take).",
      "print(gather(tensor([[1, 2], [3, 4], [5, 6]]), [2, 0, 2]))")) {
      (context) throws(Diagnostic) in
      try context.gather()
    },
    Builtin("masked_fill", [
      .tensorInput, .required("mask", .tensor, "non-zero where t is replaced; broadcasts to t"),
      Parameter("value", .number, default: .number(-.infinity), "what masked entries become"),
    ], doc: BuiltinDoc(
      "element-wise",
      "Replaces t where the mask is non-zero by value (−∞ by default: a mask before a softmax).",
      "print(softmax(masked_fill(zeros(3), [0, 0, 1])))")) { (context) throws(Diagnostic) in
      let value = try context.number("value")
      return try context.primitive(["t", "mask"]) { (_) throws(Diagnostic) in
        .maskedFill(value)
      }
    },
    Builtin("slice", [
      .tensorInput, .whole("start", 0, "the first index (negative: from the end)"),
      .optional("end", .wholeNumber, "the bound, excluded (negative: from the end); nil: the end"),
      .whole("step", 1, .atLeastOne, "the distance between the indices taken"),
      .whole("axis", 0, "the axis sliced"),
    ], doc: BuiltinDoc(
      "shapes",
      "Takes every step-th entry from start up to end along axis: Python's t[start:end:step].",
      "print(slice(arange(10), 1, 8, 3), slice(eye(3), end: 2, axis: 1))")) {
      (context) throws(Diagnostic) in
      let start = try context.integer("start")
      let end = try context.optionalInteger("end")
      let step = try context.integer("step")
      let axis = try context.integer("axis")
      return try context.primitive(["t"]) { (shapes) throws(Diagnostic) in
        let shape = shapes[0]
        let resolved = try context.resolveAxis(axis, rank: shape.count, at: "axis")
        let bounds = Evaluator.clamp(start, end, count: shape[resolved])
        return .slice(SliceRange(axis: resolved, start: bounds.lowerBound,
                                 end: bounds.upperBound, step: step))
      }
    },
  ]
}

extension CallContext {
  /// The op `makeOp` builds from the operands' shapes, applied to the arguments `names`:
  /// traced tensors add a node (numbers and tensors beside them become constants), tensors and
  /// numbers give the tensor the op's kernel computes.
  func primitive(
    _ names: [String], _ makeOp: ([[Int]]) throws(Diagnostic) -> Op
  ) throws(Diagnostic) -> Value {
    var values: [Value] = []
    for name in names { values.append(try require(name)) }
    return try primitive(values, names: names, makeOp)
  }

  /// `primitive` over values already read (the tensors of a list for concat and stack); each
  /// is named by the argument it came from.
  func primitive(
    _ values: [Value], names: [String], _ makeOp: ([[Int]]) throws(Diagnostic) -> Op
  ) throws(Diagnostic) -> Value {
    if let traced = values.lazy.compactMap(\.symbolic).first {
      var inputs: [SymbolicTensor] = []
      for (name, value) in zip(names, values) {
        guard let input = traced.operand(value) else {
          throw error(.typeMismatch, "the argument '\(name)' of \(builtin.name) must be a tensor, "
                        + "but this is a \(value.typeName)", at: name)
        }
        inputs.append(input)
      }
      return try trace(try makeOp(inputs.map(\.shape)), inputs)
    }
    var tensors: [Tensor] = []
    for (name, value) in zip(names, values) {
      guard let tensor = value.asTensor else {
        throw error(.typeMismatch, "the argument '\(name)' of \(builtin.name) must be a tensor, "
                      + "but this is a \(value.typeName)", at: name)
      }
      tensors.append(tensor)
    }
    // A 0-d result is a number, as for the operators (`where(1, 2, 3)` is 2).
    return Evaluator.wrap(try eager(try makeOp(tensors.map(\.shape)), tensors))
  }

  /// `op` on tensors now, by its kernel; the result's size is checked against the limits first.
  func eager(_ op: Op, _ tensors: [Tensor]) throws(Diagnostic) -> Tensor {
    let shape: [Int]
    do throws(GraphError) {
      shape = try Tensor.shape(of: op, tensors.map(\.shape))
    } catch {
      throw self.error(.shapeMismatch, error.message)
    }
    _ = try runtime { () throws(TensorError) in try Tensor.checkedAllocation(shape) }
    do throws(GraphError) {
      return try Tensor.apply(op, tensors)
    } catch {
      throw self.error(.shapeMismatch, error.message)
    }
  }

  /// `axis` (negative counts from the end) as an axis of a tensor of `rank` axes.
  func resolveAxis(_ axis: Int, rank: Int, at name: String) throws(Diagnostic) -> Int {
    let resolved = axis < 0 ? axis + rank : axis
    guard resolved >= 0, resolved < rank else {
      throw error(.indexOutOfRange,
                  "axis \(axis) is out of range for a tensor of rank \(rank)", at: name)
    }
    return resolved
  }

  /// Axes given as separate whole numbers (`permute(t, 1, 0)`) or one list (`permute(t, [1, 0])`).
  func axisList(_ arguments: [ArgumentValue]) throws(Diagnostic) -> [Int] {
    var values: [(Double, SourceRange)] = []
    if arguments.count == 1, let t = arguments[0].value.asTensor, t.rank == 1,
       !arguments[0].value.isNumber {
      values = t.scalars.map { (Value.element($0), arguments[0].range) }
    } else {
      for argument in arguments {
        guard case .number(let x) = argument.value else {
          throw error(.typeMismatch, "axes are whole numbers or one list of them, not a "
                        + argument.value.typeName, range: argument.range)
        }
        values.append((x, argument.range))
      }
    }
    return try values.map { (pair) throws(Diagnostic) in
      guard let axis = Self.exactInteger(pair.0) else {
        throw error(.invalidArgument, Self.notAnInteger("an axis", pair.0), range: pair.1)
      }
      return axis
    }
  }

  /// `gather(t, indices, axis:)`: the indices are whole numbers within the axis (negative
  /// ones count from its end), checked and resolved here since a plan reads any other as a
  /// zero row.
  func gather() throws(Diagnostic) -> Value {
    let t = try require("t")
    let indicesValue = try require("indices")
    if indicesValue.symbolic != nil {
      throw error(.invalidOperation,
                  "the indices of gather cannot depend on the traced input; give a tensor of "
                    + "whole numbers", at: "indices")
    }
    guard let indices = indicesValue.asTensor else {
      throw error(.typeMismatch, "the argument 'indices' of gather must be a tensor of whole "
                    + "numbers, but this is a \(indicesValue.typeName)", at: "indices")
    }
    guard let shape = t.symbolic?.shape ?? t.asTensor?.shape else {
      throw error(.typeMismatch, "the argument 't' of gather must be a tensor, but this is a "
                    + t.typeName, at: "t")
    }
    let axis = try resolveAxis(try integer("axis"), rank: shape.count, at: "axis")
    let extent = shape[axis]
    var rows: [Float] = []
    rows.reserveCapacity(indices.count)
    for value in indices.scalars {
      let number = Value.element(value)
      guard let i = Self.exactInteger(number), i >= -extent, i < extent else {
        let what = Self.exactInteger(number) == nil
          ? Self.notAnInteger("an index", number)
          : "index \(formatNumber(number)) is out of range for axis \(axis) of size \(extent)"
        throw error(.indexOutOfRange, "gather: " + what, at: "indices")
      }
      rows.append(Float(i < 0 ? i + extent : i))
    }
    let resolved = Tensor(shape: indices.shape, scalars: rows)
    return try primitive([t, .tensor(resolved)], names: ["t", "indices"]) {
      (_) throws(Diagnostic) in .gather(axis: axis)
    }
  }
}

extension CallContext {
  /// The items of the list argument `name` when one of them is a traced tensor (concat and
  /// stack inside `grad(f, x)`), else nil.
  func tracedList(_ name: String) -> [Value]? {
    guard case .list(let items)? = value(name), items.contains(where: { $0.symbolic != nil })
    else { return nil }
    return items
  }

  /// `max(t, axis:)` or `min(t, axis:)` of a traced tensor: the maximum op (its gradient to the
  /// first maximum, as PyTorch's), of `-t` negated for the minimum; without an axis, over all
  /// elements.
  func tracedExtremum(
    _ traced: SymbolicTensor, largest: Bool, axis: Int?
  ) throws(Diagnostic) -> Value {
    var x = traced
    func add(_ op: Op) throws(Diagnostic) {
      guard case .object(let next as SymbolicTensor) = try trace(op, [x]) else { return }
      x = next
    }
    var resolved = 0
    if let axis {
      resolved = try resolveAxis(axis, rank: x.shape.count, at: "axis")
    } else {
      try add(.reshape([x.shape.reduce(1, *)]))
    }
    if !largest { try add(.negate) }
    try add(.maximum(axis: resolved))
    if !largest { try add(.negate) }
    return .object(x)
  }
}

extension Value {
  var isNumber: Bool {
    if case .number = self { return true }
    return false
  }
}
