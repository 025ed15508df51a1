#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNRuntime
import NNSyntax

// What sequence models need around the network: `windows` cuts a long sequence into training
// rows, and `sample` draws the next token from the model's probabilities when generating.

extension Builtins {
  static let sequences: [Builtin] = [
    Builtin("windows", [
      .required("t", .tensor, "a sequence: a vector, or a tensor whose first axis is time"),
      Parameter.required("length", .wholeNumber, "the elements in each window")
        .within(.atLeastOne),
      .whole("stride", 1, .atLeastOne, "how far each window starts after the one before"),
    ], doc: BuiltinDoc(
      "shapes",
      "Cuts a sequence into overlapping windows along its first axis: [N, …] → [n, length, …].",
      "print(windows(arange(6), 3))\n"
      + "print(windows(arange(6), 2, stride: 2))")) { (context) throws(Diagnostic) in
      let t = try context.tensorLike("t")
      let length = try context.integer("length")
      let stride = try context.integer("stride")
      guard t.rank >= 1 else {
        throw context.error(.shapeMismatch,
                            "windows takes a sequence (a tensor with at least one axis), "
                              + "not a number", at: "t")
      }
      let steps = t.shape[0]
      guard length <= steps else {
        throw context.error(
          .shapeMismatch,
          "a window of length \(length) needs a sequence at least that long, but this one has "
            + "\(counted(steps, "element")) along its first axis (shape \(shapeText(t.shape)))",
          at: "length")
      }
      let count = (steps - length) / stride + 1
      let row = t.count / Swift.max(steps, 1)
      let shape = [count, length] + t.shape.dropFirst()
      return .tensor(try context.runtime { () throws(TensorError) in
        let total = try Tensor.checkedAllocation(shape)
        let source = t.scalars
        var scalars: [Float] = []
        scalars.reserveCapacity(total)
        for window in 0..<count {
          let start = window * stride * row
          scalars += source[start..<(start + length * row)]
        }
        return Tensor(shape: shape, scalars: scalars)
      })
    },
    Builtin("sample", [
      .required("probs", .tensor, "probabilities [classes], or one row of them per draw "
                  + "[n, classes]"),
      Parameter.number("temperature", 1, .nonNegative,
                       "below 1 sharpens, above 1 flattens; 0 picks the most likely class")
        .within(.nonNegative) {
          "temperature must be a number ≥ 0 (0 picks the most likely class), not \($0)"
        },
    ], doc: BuiltinDoc(
      "tensors",
      "Draws a class index from probabilities, using the seeded generator; [n, classes] draws "
        + "n.",
      "seed(1)\n"
      + "print(sample([0.1, 0.2, 0.7]), sample([0.1, 0.2, 0.7], temperature: 0))")) {
      (context) throws(Diagnostic) in
      let probs = try context.tensorLike("probs")
      let temperature = try context.number("temperature")
      guard probs.rank == 1 || probs.rank == 2 else {
        let what = probs.rank == 0 ? "a number" : "a tensor of shape \(shapeText(probs.shape))"
        throw context.error(
          .shapeMismatch,
          "sample takes probabilities [classes] or rows of them [n, classes], not \(what)",
          at: "probs",
          hint: probs.rank > 2 ? "take the row you want, e.g. probs[0, -1]" : nil)
      }
      let classes = probs.shape[probs.rank - 1]
      let rows = probs.rank == 1 ? 1 : probs.shape[0]
      guard classes > 0 else {
        throw context.error(.shapeMismatch,
                            "sample needs at least one class, but probs has shape "
                              + shapeText(probs.shape), at: "probs")
      }
      let scalars = probs.scalars
      let weights = (0..<rows).map { Array(scalars[($0 * classes)..<(($0 + 1) * classes)]) }
      // Every row is checked before the first draw, so a failed call leaves the stream as it was.
      for (row, weights) in weights.enumerated() {
        if let problem = Sampling.problem(in: weights, row: probs.rank == 1 ? nil : row) {
          let place = { (index: Int) in probs.rank == 1 ? "[\(index)]" : "[\(row), \(index)]" }
          throw context.error(.invalidArgument, problem.message(at: place), at: "probs",
                              hint: problem.isNegative
                                ? "turn logits into probabilities first: softmax(logits)" : nil)
        }
      }
      let drawn = weights.map {
        Sampling.draw(from: $0, temperature: temperature, using: &context.evaluator.random)
      }
      // One index is a number, exact however many classes; rows give a tensor, as argmax does.
      return probs.rank == 1 ? .number(Double(drawn[0])) : .tensor(Tensor(drawn.map(Float.init)))
    },
  ]
}

/// Drawing one index from a row of non-negative weights.
enum Sampling {
  /// Why a row of weights cannot be sampled.
  enum Problem: Equatable {
    case negative(Float, at: Int)
    case notFinite(Float, at: Int)
    case allZero(row: Int?)

    var isNegative: Bool {
      if case .negative = self { return true }
      return false
    }

    /// The message, given how to write an element's position (`[3]`, `[1, 3]`).
    func message(at place: (Int) -> String) -> String {
      switch self {
      case .negative(let p, let index):
        return "probs holds \(formatNumber(Value.element(p))) at \(place(index)): a "
          + "probability must be ≥ 0"
      case .notFinite(let p, let index):
        let value = p.isNaN ? "nan" : p > 0 ? "inf" : "-inf"
        return "probs holds \(value) at \(place(index)): a probability must be a finite number"
      case .allZero(let row):
        let which = row.map { "row \($0) of probs holds" } ?? "probs holds"
        return "\(which) only zeros: at least one class needs a probability above 0"
      }
    }
  }

  /// What makes `weights` unusable (a negative or non-finite weight, or no positive one); nil
  /// when it can be sampled. `row` is the row's index in a tensor of rows.
  static func problem(in weights: [Float], row: Int? = nil) -> Problem? {
    for (index, p) in weights.enumerated() {
      if !p.isFinite { return .notFinite(p, at: index) }
      if p < 0 { return .negative(p, at: index) }
    }
    if !weights.contains(where: { $0 > 0 }) { return .allZero(row: row) }
    return nil
  }

  /// An index drawn with probability p^(1/T) / Σ p^(1/T) (the weights need not sum to 1), from
  /// one uniform number of `random`; at temperature 0 the first largest weight, drawing nothing.
  ///
  /// p^(1/T) is computed as exp((log p − log max p) / T), in 64 bits, so a small temperature
  /// cannot overflow and the largest weight is always 1. A zero weight is never drawn.
  static func draw(
    from weights: [Float], temperature: Double, using random: inout RandomGenerator
  ) -> Int {
    var best = 0
    for index in weights.indices where weights[index] > weights[best] { best = index }
    guard temperature > 0 else { return best }
    let logMax = log(Double(weights[best]))
    let scaled = weights.map { (p: Float) -> Double in
      p > 0 ? exp((log(Double(p)) - logMax) / temperature) : 0
    }
    let total = scaled.reduce(0, +)
    let target = random.uniform() * total
    var cumulative = 0.0
    var last = best
    for (index, weight) in scaled.enumerated() where weight > 0 {
      cumulative += weight
      last = index
      if target < cumulative { return index }
    }
    // Rounding can leave the target at the very top of the sum: the last possible index.
    return last
  }
}
