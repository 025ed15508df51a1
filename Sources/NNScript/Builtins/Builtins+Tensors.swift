#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNRuntime
import NNSyntax

extension Builtins {
  static let tensors: [Builtin] = creation + elementwise + reductions + shaping + primitives

  // MARK: - Creation

  private static let creation: [Builtin] = [
    Builtin("tensor", [
      .required("value", .tensor, "a number, or nested lists of numbers"),
    ], doc: BuiltinDoc(
      "tensors",
      "Makes a tensor from a number, a nested list of numbers or a list of tensors.",
      "print(tensor([1, 2, 3]) * 2)")) { (context) throws(Diagnostic) in
      .tensor(try context.tensorLike("value"))
    },
    filled("zeros", 0, "Makes a tensor of zeros; bare, it is the all-zeros initialiser.",
           "print(zeros(2, 3))"),
    filled("ones", 1, "Makes a tensor of ones; bare, it is the all-ones initialiser.",
           "print(ones([2, 2]))"),
    Builtin("full", [
      .required("shape", .shape, "the shape"), .required("value", .number, "every element"),
    ], doc: BuiltinDoc(
      "tensors",
      "Makes a tensor of the given shape filled with one value.",
      "print(full([2, 2], 7))")) { (context) throws(Diagnostic) in
      let shape = try context.shape(from: [context.bound["shape"]].compactMap { $0 })
      let value = try context.number("value")
      return .tensor(try context.runtime { () throws(TensorError) in
        try Tensor.filled(shape, Float(value))
      })
    },
    Builtin("eye", [.required("n", .wholeNumber, "rows and columns")], doc: BuiltinDoc(
      "tensors",
      "Makes the n×n identity matrix.",
      "print(eye(3))")) { (context) throws(Diagnostic) in
      let n = try context.integer("n")
      return .tensor(try context.runtime { () throws(TensorError) in try Tensor.eye(n) })
    },
    Builtin("rand", [.shapeDimensions], doc: BuiltinDoc(
      "tensors",
      "Makes a tensor of uniform random numbers in [0, 1).",
      "print(rand(2, 3))")) { (context) throws(Diagnostic) in
      let shape = try context.shape(from: context.rest)
      return .tensor(try context.runtime { () throws(TensorError) in
        try Tensor.uniform(shape, using: &context.evaluator.random)
      })
    },
    Builtin("randn", [.shapeDimensions], doc: BuiltinDoc(
      "tensors",
      "Makes a tensor of standard normal random numbers.",
      "print(randn(4))")) { (context) throws(Diagnostic) in
      let shape = try context.shape(from: context.rest)
      return .tensor(try context.runtime { () throws(TensorError) in
        try Tensor.normal(shape, using: &context.evaluator.random)
      })
    },
    Builtin("arange", [
      .required("start", .number, "the first value (the stop when alone)"),
      .optional("stop", .number, "the bound, excluded"), .number("step", 1, "the increment"),
    ], doc: BuiltinDoc(
      "tensors",
      "Counts from start up to (not including) stop by step; arange(n) counts from 0.",
      "print(arange(0, 1, 0.25), arange(4))")) { (context) throws(Diagnostic) in
      // `arange(n)` counts from 0, as in NumPy.
      var start = try context.number("start")
      var stop = 0.0
      if context.has("stop") {
        stop = try context.number("stop")
      } else {
        (start, stop) = (0, start)
      }
      let step = try context.number("step")
      return .tensor(try context.runtime { () throws(TensorError) in
        try Tensor.arange(start, stop, step)
      })
    },
    Builtin("linspace", [
      .required("start", .number, "the first value"),
      .required("stop", .number, "the last value"), .whole("count", 50, "how many values"),
    ], doc: BuiltinDoc(
      "tensors",
      "Returns count evenly spaced numbers from start to stop, both included.",
      "print(linspace(0, 1, 5))")) { (context) throws(Diagnostic) in
      let start = try context.number("start")
      let stop = try context.number("stop")
      let count = try context.integer("count")
      return .tensor(try context.runtime { () throws(TensorError) in
        try Tensor.linspace(start, stop, count)
      })
    },
  ]

  private static func filled(
    _ name: String, _ value: Float, _ summary: String, _ example: String
  ) -> Builtin {
    Builtin(name, [.shapeDimensions], doc: BuiltinDoc("tensors", summary, example)) {
      (context) throws(Diagnostic) in
      let shape = try context.shape(from: context.rest)
      return .tensor(try context.runtime { () throws(TensorError) in
        try Tensor.filled(shape, value)
      })
    }
  }

  // MARK: - Element-wise

  private static let elementwise: [Builtin] = [
    unaryOp("exp", .exp, "Computes e to the power of each element.",
            "print(exp(1), exp([0, 1]))"),
    unaryOp("log", .log, "Computes the natural logarithm of each element.",
            "print(log([1, 10]))"),
    unaryOp("sqrt", .sqrt, "Computes the square root of each element.", "print(sqrt([4, 9]))"),
    unaryOp("abs", .abs, "Computes the absolute value of each element.", "print(abs([-2, 3]))"),
    unary("floor", .floor, "Rounds each element down.", "print(floor([1.5, -1.5]))"),
    unary("ceil", .ceil, "Rounds each element up.", "print(ceil([1.5, -1.5]))"),
    unary("round", .round, "Rounds each element to the nearest whole number.",
          "print(round([1.4, 2.6]))"),
    unary("sign", .sign, "Returns -1, 0 or 1 for each element's sign.",
          "print(sign([-3, 0, 2]))"),
    pairwise("maximum", .maximum,
             "Takes the larger of two tensors element by element, broadcasting.",
             "print(maximum([1, 5], [3, 2]))"),
    pairwise("minimum", .minimum,
             "Takes the smaller of two tensors element by element, broadcasting.",
             "print(minimum([1, 5], [3, 2]))"),
    Builtin("clip", [
      .tensorInput, .required("lo", .number, "the lowest value kept"),
      .required("hi", .number, "the highest value kept"),
    ], doc: BuiltinDoc(
      "element-wise",
      "Limits every element to the range [lo, hi].",
      "print(clip([-2, 0.5, 3], 0, 1))")) { (context) throws(Diagnostic) in
      let t = try context.tensorLike("t")
      let low = try context.number("lo")
      let high = try context.number("hi")
      guard low <= high else {
        throw context.error(.invalidArgument,
                            "clip needs lo ≤ hi, but \(formatNumber(low)) > \(formatNumber(high))")
      }
      return wrap(t.clipped(Float(low), Float(high)), like: context.value("t"))
    },
  ]

  /// A differentiable element-wise built-in, which names its op once: on a number it gives a
  /// number (the op's kernel in 64 bits), on a tensor a tensor, on a traced tensor a node.
  /// (Without help, the activations' lines, whose help is still `BuiltinHelp`'s.)
  private static func unaryOp(
    _ name: String, _ op: Op, _ summary: String? = nil, _ example: String = ""
  ) -> Builtin {
    Builtin(name, [.tensorInput],
            doc: summary.map { BuiltinDoc("element-wise", $0, example) }) {
      (context) throws(Diagnostic) in
      try context.apply(op, to: ["t"])
    }
  }

  /// A function that cannot be differentiated: a number gives a number (in 64 bits), a tensor
  /// a tensor.
  private static func unary(
    _ name: String, _ op: UnaryOp, _ summary: String, _ example: String
  ) -> Builtin {
    Builtin(name, [.tensorInput], doc: BuiltinDoc("element-wise", summary, example)) {
      (context) throws(Diagnostic) in
      if case .number(let x)? = context.value("t") { return .number(scalar(op, x)) }
      return .tensor(try context.tensorLike("t").unary(op))
    }
  }

  private static func pairwise(
    _ name: String, _ op: BinaryOp, _ summary: String, _ example: String
  ) -> Builtin {
    Builtin(name, [
      .required("a", .tensor, "a tensor or number"), .required("b", .tensor, "a tensor or number"),
    ], doc: BuiltinDoc("element-wise", summary, example)) { (context) throws(Diagnostic) in
      let a = try context.tensorLike("a")
      let b = try context.tensorLike("b")
      let result = try context.runtime { () throws(TensorError) in try Tensor.binary(op, a, b) }
      return Evaluator.wrap(result)
    }
  }

  private static func wrap(_ tensor: Tensor, like original: Value?) -> Value {
    if case .number? = original { return Evaluator.wrap(tensor) }
    return .tensor(tensor)
  }

  private static func scalar(_ op: UnaryOp, _ x: Double) -> Double {
    switch op {
    case .floor: return x.rounded(.down)
    case .ceil: return x.rounded(.up)
    case .round: return x.rounded(.toNearestOrEven)
    // The ops of the IR: their kernels, in Double.
    case .sign: return number(.sign, x)
    case .negate: return number(.negate, x)
    case .exp: return number(.exp, x)
    case .log: return number(.log, x)
    case .sqrt: return number(.sqrt, x)
    case .abs: return number(.abs, x)
    case .tanh: return number(.activation(.tanh), x)
    case .sigmoid: return number(.activation(.sigmoid), x)
    case .relu: return number(.activation(.relu), x)
    }
  }

  /// An element-wise op of the IR on one number; such an op always takes a 0-d operand.
  private static func number(_ op: Op, _ x: Double) -> Double {
    (try? Tensor.apply(op, toNumber: x)) ?? .nan
  }

  // MARK: - Reductions

  private static let reductions: [Builtin] = [
    reduction("sum", .sum, "Adds the elements, all of them or along axis:.",
              "print(sum([[1, 2], [3, 4]]), sum([[1, 2], [3, 4]], axis: 0))"),
    reduction("mean", .mean, "Averages the elements, all of them or along axis:.",
              "print(mean([[1, 2], [3, 4]], axis: 1))"),
    reduction("max", .max, "Returns the largest element, overall or along axis:.",
              "print(max([3, 7, 5]))"),
    reduction("min", .min, "Returns the smallest element, overall or along axis:.",
              "print(min([[3, 7], [1, 5]], axis: 0))"),
    reduction("argmax", .argmax,
              "Returns the index of the largest element, overall or along axis:.",
              "print(argmax([[0.1, 0.9], [0.8, 0.2]], axis: 1))"),
    reduction("argmin", .argmin,
              "Returns the index of the smallest element, overall or along axis:.",
              "print(argmin([3, 1, 2]))"),
    reduction("std", .std, "Returns the population standard deviation, overall or along axis:.",
              "print(std([1, 2, 3, 4]))"),
    reduction("var", .variance, "Returns the population variance, overall or along axis:.",
              "print(var([1, 2, 3, 4]))"),
    reduction("prod", .prod, "Multiplies the elements, all of them or along axis:.",
              "print(prod([1, 2, 3, 4]))"),
  ]

  /// Over all axes the result is a number; with `axis:` a tensor (LANGUAGE.md §3).
  private static func reduction(
    _ name: String, _ op: ReduceOp, _ summary: String, _ example: String
  ) -> Builtin {
    Builtin(name, [.tensorInput, .optional("axis", .wholeNumber, "the axis; nil: all elements")],
            doc: BuiltinDoc("reductions", summary, example)) { (context) throws(Diagnostic) in
      let axis = try context.optionalInteger("axis")
      if let traced = context.value("t")?.symbolic, op == .sum || op == .mean {
        return try context.trace(op == .sum ? .sum(axis: axis) : .mean(axis: axis), [traced])
      }
      if let traced = context.value("t")?.symbolic, op == .max || op == .min {
        return try context.tracedExtremum(traced, largest: op == .max, axis: axis)
      }
      let t = try context.tensorLike("t")
      let result = try context.runtime { () throws(TensorError) in try t.reduce(op, axis: axis) }
      return Evaluator.wrap(result)
    }
  }

  // MARK: - Shapes

  private static let shaping: [Builtin] = [
    Builtin("reshape", [.tensorInput, .shapeDimensions], doc: BuiltinDoc(
      "shapes",
      "Gives a tensor a new shape (one -1 inferred); reshape(shape) alone is a layer.",
      "print(reshape(arange(6), 2, -1))")) { (context) throws(Diagnostic) in
      // `reshape([1, 8, 8])` alone, a list of whole numbers, is the layer.
      if context.rest.isEmpty, let argument = context.bound["t"], argument.value.isShapeLike {
        return context.layer(Reshape(try context.signedShape(from: [argument])))
      }
      let t = try context.tensorLike("t")
      let shape = try context.signedShape(from: context.rest)
      return .tensor(try context.runtime { () throws(TensorError) in try t.reshaped(shape) })
    },
    Builtin("concat", [
      .tensorList, .whole("axis", 0, "the axis they are joined along"),
    ], doc: BuiltinDoc(
      "shapes",
      "Joins a list of tensors along an existing axis (0 by default).",
      "let a = ones(2)\n"
      + "print(concat([a, zeros(3)]))")) { (context) throws(Diagnostic) in
      let axis = try context.integer("axis")
      if let traced = context.tracedList("tensors") {
        return try context.primitive(traced, names: traced.map { _ in "tensors" }) {
          (shapes) throws(Diagnostic) in
          .concat(axis: try context.resolveAxis(axis, rank: shapes[0].count, at: "axis"),
                  count: shapes.count)
        }
      }
      let parts = try context.tensorList("tensors")
      return .tensor(try context.runtime { () throws(TensorError) in
        try Tensor.concat(parts, axis: axis)
      })
    },
    Builtin("stack", [.tensorList, .whole("axis", 0, "the new axis")], doc: BuiltinDoc(
      "shapes",
      "Stacks a list of equally shaped tensors along a new axis (0 by default).",
      "let a = ones(2)\n"
      + "print(stack([a, zeros(2)], axis: 1))")) { (context) throws(Diagnostic) in
      let axis = try context.integer("axis")
      if let traced = context.tracedList("tensors") {
        return try context.primitive(traced, names: traced.map { _ in "tensors" }) {
          (shapes) throws(Diagnostic) in
          .stack(axis: try context.resolveAxis(axis, rank: shapes[0].count + 1, at: "axis"),
                 count: shapes.count)
        }
      }
      let parts = try context.tensorList("tensors")
      return .tensor(try context.runtime { () throws(TensorError) in
        try Tensor.stack(parts, axis: axis)
      })
    },
  ]
}

extension CallContext {
  /// A list of tensors (numbers count as tensors with no axes).
  func tensorList(_ name: String) throws(Diagnostic) -> [Tensor] {
    let value = try require(name)
    // A tensor stands for the list of its rows, as in NumPy: `concat([[[1, 2]], [[3, 4]]])`.
    if case .tensor(let t) = value, t.rank >= 1, t.shape[0] > 0 {
      return try (0..<t.shape[0]).map { (i) throws(Diagnostic) in
        try runtime { () throws(TensorError) in try t.slice([.index(i)]) }
      }
    }
    guard case .list(let items) = value else {
      throw error(.typeMismatch,
                  "\(builtin.name) takes a list of tensors, but this is a \(value.typeName)",
                  at: name, hint: "write the tensors in a list: \(builtin.name)([a, b])")
    }
    guard !items.isEmpty else {
      throw error(.invalidArgument, "\(builtin.name) needs at least one tensor", at: name)
    }
    return try items.map { (item) throws(Diagnostic) in
      guard let t = item.asTensor, !(item.isList) else {
        throw error(.typeMismatch, "\(builtin.name) takes tensors, not a \(item.typeName)",
                    at: name)
      }
      return t
    }
  }

  /// A shape for `reshape`, where one dimension may be -1.
  /// (`Value.isShapeLike` tells the one-argument layer form apart.)
  func signedShape(from arguments: [ArgumentValue]) throws(Diagnostic) -> [Int] {
    var values: [(Double, SourceRange)] = []
    if arguments.count == 1, case .list(let items) = arguments[0].value {
      for item in items {
        guard case .number(let x) = item else {
          throw error(.typeMismatch, "a shape holds whole numbers", range: arguments[0].range)
        }
        values.append((x, arguments[0].range))
      }
    } else if arguments.count == 1, case .tensor(let t) = arguments[0].value, t.rank == 1 {
      // Read as the script reads an element, so a shape prints as written (`1e12`, not
      // float32's 999999995904).
      values = t.scalars.map { (Value.element($0), arguments[0].range) }
    } else {
      for argument in arguments {
        guard case .number(let x) = argument.value else {
          throw error(.typeMismatch, "a shape holds whole numbers, not a "
                        + argument.value.typeName, range: argument.range)
        }
        values.append((x, argument.range))
      }
    }
    return try values.map { (pair) throws(Diagnostic) in
      guard let n = Self.exactInteger(pair.0), n >= -1 else {
        let message = Self.isTooLarge(pair.0)
          ? Self.notAnInteger("a dimension", pair.0)
          : "a dimension must be a whole number ≥ 0 (or -1 for \"the rest\"), not "
            + formatNumber(pair.0)
        throw error(.invalidArgument, message, range: pair.1)
      }
      return n
    }
  }
}

extension Value {
  var isList: Bool {
    if case .list = self { return true }
    return false
  }
}
