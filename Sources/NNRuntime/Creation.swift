// Constructors for tensors built from a shape or a numeric recipe (`zeros`, `arange`, `randn`…).

extension Tensor {
  /// A tensor of `shape` with every element `value` (`zeros`, `ones`, `full`).
  public static func filled(_ shape: [Int], _ value: Float) throws(TensorError) -> Tensor {
    _ = try checkedAllocation(shape)
    let result = Tensor(zeros: shape)
    if value != 0 || value.sign == .minus {
      result.storage.pointer.update(repeating: value, count: result.count)
    }
    return result
  }

  /// The `n × n` identity matrix.
  public static func eye(_ n: Int) throws(TensorError) -> Tensor {
    guard n >= 0 else { throw TensorError(.invalidArgument, "eye: size \(n) is negative") }
    let result = try filled([n, n], 0)
    for i in 0..<n { result.storage.pointer[i * n + i] = 1 }
    return result
  }

  /// `start, start + step, …` up to but excluding `stop`, as `np.arange` (values computed in
  /// Double, then rounded to Float).
  public static func arange(
    _ start: Double, _ stop: Double, _ step: Double
  ) throws(TensorError) -> Tensor {
    guard step != 0 else { throw TensorError(.invalidArgument, "arange: step must not be 0") }
    guard start.isFinite && stop.isFinite && step.isFinite else {
      throw TensorError(.invalidArgument, "arange: start, stop and step must be finite")
    }
    let steps = ((stop - start) / step).rounded(.up)
    guard !steps.isNaN else {
      throw TensorError(.invalidArgument, "arange: start, stop and step must be finite")
    }
    guard steps <= Double(maxElements) else {
      throw TensorError(.tooLarge, "arange: the range would have more than the limit of "
                        + "\(maxElements) elements")
    }
    let count = steps > 0 ? Int(steps) : 0
    let result = Tensor(zeros: [count])
    let pointer = result.storage.pointer
    for i in 0..<count { pointer[i] = Float(start + Double(i) * step) }
    return result
  }

  /// `count` evenly spaced values from `start` to `stop` inclusive, as `np.linspace`.
  public static func linspace(
    _ start: Double, _ stop: Double, _ count: Int
  ) throws(TensorError) -> Tensor {
    guard count >= 0 else {
      throw TensorError(.invalidArgument, "linspace: count \(count) is negative")
    }
    _ = try checkedAllocation([count])
    let result = Tensor(zeros: [count])
    let pointer = result.storage.pointer
    if count == 1 { pointer[0] = Float(start) }
    if count > 1 {
      let step = (stop - start) / Double(count - 1)
      for i in 0..<count { pointer[i] = Float(start + Double(i) * step) }
      // NumPy pins the endpoint, which `start + (count - 1) * step` can miss by an ulp.
      pointer[count - 1] = Float(stop)
    }
    return result
  }

  /// Independent samples from the uniform distribution on [0, 1).
  public static func uniform(
    _ shape: [Int], using generator: inout RandomGenerator
  ) throws(TensorError) -> Tensor {
    _ = try checkedAllocation(shape)
    let result = Tensor(zeros: shape)
    let pointer = result.storage.pointer
    for i in 0..<result.count { pointer[i] = generator.uniformFloat() }
    return result
  }

  /// Independent samples from the standard normal distribution N(0, 1).
  public static func normal(
    _ shape: [Int], using generator: inout RandomGenerator
  ) throws(TensorError) -> Tensor {
    _ = try checkedAllocation(shape)
    let result = Tensor(zeros: shape)
    let pointer = result.storage.pointer
    for i in 0..<result.count { pointer[i] = Float(generator.normal()) }
    return result
  }
}
