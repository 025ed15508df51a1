/// A problem with data: a malformed CSV file, targets that do not fit, row counts that disagree.
/// `line` and `column` (1-based; the column counts fields, as a spreadsheet does) locate the
/// problem in a file when there is one.
public struct DataError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What went wrong, without the location.
  public var message: String
  /// The 1-based line of a file the problem is on, if it comes from one.
  public var line: Int?
  /// The 1-based field (CSV column) the problem is in, if it is in one cell.
  public var column: Int?

  /// An error with an optional location in a file.
  public init(_ message: String, line: Int? = nil, column: Int? = nil) {
    self.message = message
    self.line = line
    self.column = column
  }

  /// `3:2: message`, or just the message when there is no location.
  public var description: String {
    switch (line, column) {
    case (let line?, let column?): return "\(line):\(column): \(message)"
    case (let line?, nil): return "\(line): \(message)"
    default: return message
    }
  }
}

/// Inputs and targets, one row per sample: what `train` consumes.
public struct Dataset: Sendable, Equatable {
  /// Inputs, `[n, …features]`.
  public var x: Tensor
  /// Targets: `[n]` class indices (as Floats) when `classes` is set, otherwise `[n, k]`.
  public var y: Tensor
  /// The number of classes of a classification data set; `nil` for regression.
  public var classes: Int?

  /// The number of rows (samples).
  public var n: Int { x.shape[0] }

  /// Checks and normalises the parts. A 1-d `x` is `n` samples of one feature (`[n, 1]`). Without
  /// `classes`, a 1-d `y` becomes `[n, 1]`, so one regression target matches a `dense(1)`
  /// output; with `classes`, a `[n, 1]` `y` becomes `[n]` and every entry must be a whole
  /// number in `0..<classes`.
  public init(x: Tensor, y: Tensor, classes: Int?) throws(DataError) {
    guard x.rank >= 1 else { throw DataError("x must have a first axis of rows, not be a number") }
    guard y.rank >= 1 else { throw DataError("y must have a first axis of rows, not be a number") }
    guard x.shape[0] == y.shape[0] else {
      throw DataError("x has \(Self.rows(x.shape[0])) but y has \(y.shape[0])")
    }
    var x = x
    var y = y
    if x.rank == 1 { x = Tensor(shape: [x.shape[0], 1], storage: x.storage) }
    if let classes {
      guard classes >= 1 else { throw DataError("classes must be at least 1, not \(classes)") }
      if y.rank == 2, y.shape[1] == 1 { y = Tensor(shape: [y.shape[0]], storage: y.storage) }
      guard y.rank == 1 else {
        throw DataError("with classes, y holds one class index per row (shape [\(y.shape[0])]), "
                          + "not shape \(shapeText(y.shape))")
      }
      for (row, label) in y.scalars.enumerated() {
        if let problem = Self.labelProblem(Double(label), classes: classes) {
          throw DataError("y[\(row)]: \(problem)")
        }
      }
    } else if y.rank == 1 {
      y = Tensor(shape: [y.shape[0], 1], storage: y.storage)
    }
    self.x = x
    self.y = y
    self.classes = classes
  }

  /// Parts already known to be consistent.
  init(checkedX x: Tensor, y: Tensor, classes: Int?) {
    self.x = x
    self.y = y
    self.classes = classes
  }

  /// Why `label` cannot be a class index below `classes` (`"label 5 is not below classes: 3"`),
  /// or nil when it can.
  public static func labelProblem(_ label: Double, classes: Int) -> String? {
    let text = label.isFinite && label.rounded() == label && abs(label) < 1e15
      ? String(Int(label)) : "\(label)"
    guard label.isFinite, label.rounded() == label else {
      return "label \(text) is not a whole number"
    }
    guard label >= 0 else { return "label \(text) is negative" }
    guard label < Double(classes) else { return "label \(text) is not below classes: \(classes)" }
    return nil
  }

  static func rows(_ count: Int) -> String { counted(count, "row") }

  /// The rows at `indices` (each in `0..<n`), in that order.
  public func rows(_ indices: [Int]) -> Dataset {
    Dataset(checkedX: Self.gather(x, indices), y: Self.gather(y, indices), classes: classes)
  }

  /// The rows `range` (within `0..<n`), as one copy.
  public func rows(_ range: Range<Int>) -> Dataset {
    rows(Array(range))
  }

  /// Copies the first-axis slices of `tensor` at `indices`.
  static func gather(_ tensor: Tensor, _ indices: [Int]) -> Tensor {
    let width = tensor.shape.dropFirst().reduce(1, *)
    var shape = tensor.shape
    shape[0] = indices.count
    var result = Tensor(zeros: shape)
    tensor.withUnsafeBufferPointer { source in
      result.withUnsafeMutableBufferPointer { target in
        for (position, row) in indices.enumerated() {
          precondition(row >= 0 && row < tensor.shape[0], "row \(row) out of range")
          for j in 0..<width { target[position * width + j] = source[row * width + j] }
        }
      }
    }
    return result
  }
}

// MARK: - Splitting and scaling

extension Dataset {
  /// A shuffled split: the first part has `round(fraction · n)` rows, the second the rest.
  public func split(_ fraction: Double, random: inout RandomGenerator) -> (Dataset, Dataset) {
    var order = Array(0..<n)
    random.shuffle(&order)
    let count = min(max(Int((fraction * Double(n)).rounded()), 0), n)
    return (rows(Array(order[..<count])), rows(Array(order[count...])))
  }

  /// The rows in a random order.
  public func shuffled(random: inout RandomGenerator) -> Dataset {
    var order = Array(0..<n)
    random.shuffle(&order)
    return rows(order)
  }

  /// The mean and (population) standard deviation of each input feature over the rows, shaped
  /// like one row of `x`. A feature that never varies gets a deviation of 1, so standardising
  /// leaves it at 0 instead of dividing by zero.
  public func standardization() -> (mean: Tensor, std: Tensor) {
    let featureShape = Array(x.shape.dropFirst())
    let width = featureShape.reduce(1, *)
    var sums = [Double](repeating: 0, count: width)
    var squares = [Double](repeating: 0, count: width)
    x.withUnsafeBufferPointer { values in
      for row in 0..<n {
        for j in 0..<width { sums[j] += Double(values[row * width + j]) }
      }
      let count = Double(Swift.max(n, 1))
      for row in 0..<n {
        for j in 0..<width {
          let d = Double(values[row * width + j]) - sums[j] / count
          squares[j] += d * d
        }
      }
    }
    let count = Double(Swift.max(n, 1))
    let mean = sums.map { Float($0 / count) }
    let std = squares.map { (sum) -> Float in
      let deviation = (sum / count).squareRoot()
      return deviation > 1e-12 ? Float(deviation) : 1
    }
    return (Tensor(shape: featureShape, scalars: mean), Tensor(shape: featureShape, scalars: std))
  }

  /// `(x - mean) / std` feature by feature; `mean` and `std` hold one value per feature (as
  /// `standardization()` gives them).
  public func standardized(mean: Tensor, std: Tensor) -> Dataset {
    let width = x.shape.dropFirst().reduce(1, *)
    precondition(mean.count == width && std.count == width, "one statistic per feature")
    var result = x
    let means = mean.scalars
    let deviations = std.scalars
    result.withUnsafeMutableBufferPointer { values in
      for row in 0..<n {
        for j in 0..<width {
          values[row * width + j] = (values[row * width + j] - means[j]) / deviations[j]
        }
      }
    }
    return Dataset(checkedX: result, y: y, classes: classes)
  }
}
