import NNRuntime
import NNSyntax

extension Value {
  /// The number, when the value is one.
  public var number: Double? {
    if case .number(let x) = self { return x }
    return nil
  }

  /// The text, when the value is a string.
  public var string: String? {
    if case .string(let text) = self { return text }
    return nil
  }

  /// The flag, when the value is a bool.
  public var bool: Bool? {
    if case .bool(let flag) = self { return flag }
    return nil
  }

  /// The shape and elements (row-major), when the value is a tensor.
  public var tensor: (shape: [Int], scalars: [Float])? {
    if case .tensor(let t) = self { return (t.shape, Array(t.scalars)) }
    return nil
  }

  /// The elements, when the value is a list.
  public var list: [Value]? {
    if case .list(let items) = self { return items }
    return nil
  }

  /// The fields in order, when the value is a record.
  public var record: [(String, Value)]? {
    guard case .record(let record) = self else { return nil }
    return record.names.compactMap { name in record[name].map { (name, $0) } }
  }
}

extension Value {
  /// The shape, when the value is a tensor: read without copying its elements.
  public var tensorShape: [Int]? {
    if case .tensor(let t) = self { return t.shape }
    return nil
  }

  /// Calls `body` with the tensor's elements in row-major order, read in place (no copy);
  /// nil when the value is not a tensor. The pointer is valid only inside `body`.
  public func withUnsafeScalars<R>(
    _ body: (UnsafeBufferPointer<Float>) throws -> R
  ) rethrows -> R? {
    guard case .tensor(let t) = self else { return nil }
    return try t.withUnsafeBufferPointer(body)
  }

  /// A tensor value from row-major scalars (copied once into the tensor's storage).
  ///
  /// - Throws: a diagnostic when `shape` has a negative axis, does not hold `scalars.count`
  ///   elements, or is larger than a tensor may be.
  public static func tensor(shape: [Int], scalars: [Float]) throws(Diagnostic) -> Value {
    let count = try checkedCount(shape)
    guard count == scalars.count else {
      throw Diagnostic(code: .shapeMismatch,
                       message: "shape \(shapeText(shape)) holds \(count) elements, but "
                         + "\(scalars.count) scalars were given")
    }
    return .tensor(Tensor(shape: shape, scalars: scalars))
  }

  /// A tensor value whose elements `fill` writes straight into the tensor's storage (zeroed
  /// first), row-major: the way to hand nn a large tensor without an intermediate array.
  public static func tensor(
    shape: [Int], initializingWith fill: (UnsafeMutableBufferPointer<Float>) throws -> Void
  ) throws -> Value {
    _ = try checkedCount(shape)
    return .tensor(try Tensor(shape: shape, initializingWith: fill))
  }

  private static func checkedCount(_ shape: [Int]) throws(Diagnostic) -> Int {
    do {
      return try Tensor.checkedCount(shape)
    } catch {
      throw Diagnostic(code: .invalidArgument, message: error.message)
    }
  }

  /// A dataset value (what `dataset(x, y, classes:)` makes in a script), for host functions
  /// that supply data.
  ///
  /// - Throws: a diagnostic saying why: `x` or `y` is not a tensor, their rows disagree, a
  ///   class index is out of range, ….
  public static func dataset(x: Value, y: Value, classes: Int? = nil) throws(Diagnostic)
    -> Value {
    guard case .tensor(let inputs) = x else {
      throw Diagnostic(code: .typeMismatch,
                       message: "a dataset's inputs are a tensor, not a \(x.typeName)")
    }
    guard case .tensor(let targets) = y else {
      throw Diagnostic(code: .typeMismatch,
                       message: "a dataset's targets are a tensor, not a \(y.typeName)")
    }
    do {
      return .object(DatasetObject(try Dataset(x: inputs, y: targets, classes: classes)))
    } catch {
      throw Diagnostic(code: .dataError, message: error.message)
    }
  }

  /// The dataset, when the value is one.
  public var dataset: (x: Tensor, y: Tensor, classes: Int?)? {
    guard case .object(let object as DatasetObject) = self else { return nil }
    return (object.dataset.x, object.dataset.y, object.dataset.classes)
  }
}
