import Testing
@testable import NNRuntime

// Every error path: the kind and the exact message a user will read.

private func expectError(
  _ kind: TensorError.Kind, _ message: String,
  sourceLocation: SourceLocation = #_sourceLocation,
  _ body: () throws -> Void
) {
  do {
    try body()
    Issue.record("expected \(kind): \(message)", sourceLocation: sourceLocation)
  } catch let error as TensorError {
    #expect(error == TensorError(kind, message), sourceLocation: sourceLocation)
  } catch {
    Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
  }
}

private func ones(_ shape: [Int]) -> Tensor {
  Tensor(shape: shape, scalars: [Float](repeating: 1, count: shape.reduce(1, *)))
}

@Test func broadcastingErrors() {
  expectError(.shapeMismatch, "cannot broadcast shapes [2, 3] and [4]") {
    _ = try Tensor.binary(.add, ones([2, 3]), ones([4]))
  }
  expectError(.shapeMismatch, "cannot broadcast shapes [0] and [2]") {
    _ = try Tensor.binary(.multiply, ones([0]), ones([2]))
  }
  expectError(.shapeMismatch, "cannot broadcast a tensor of shape [2, 3] to shape [3]") {
    _ = try ones([2, 3]).broadcast(to: [3])
  }
  expectError(.tooLarge, "shape [1048576, 1048576] has more than the limit of 268435456 elements") {
    _ = try Tensor.binary(.add, ones([1 << 20, 1]), ones([1, 1 << 20]))
  }
}

@Test func matmulErrors() {
  expectError(.shapeMismatch, "matmul: [2, 3] @ [4, 5]: inner dimensions 3 and 4 differ") {
    _ = try Tensor.matmul(ones([2, 3]), ones([4, 5]))
  }
  expectError(.shapeMismatch, "matmul: [3] @ [2]: inner dimensions 3 and 2 differ") {
    _ = try Tensor.matmul(ones([3]), ones([2]))
  }
  expectError(.invalidArgument, "matmul: [] @ [3]: operands must have at least one axis") {
    _ = try Tensor.matmul(Tensor(scalar: 2), ones([3]))
  }
  expectError(.shapeMismatch,
              "matmul: [2, 2, 3] @ [3, 3, 4]: cannot broadcast batch dimensions [2] and [3]") {
    _ = try Tensor.matmul(ones([2, 2, 3]), ones([3, 3, 4]))
  }
  expectError(.tooLarge, "shape [32768, 32768] has more than the limit of 268435456 elements") {
    _ = try Tensor.matmul(ones([1 << 15, 1]), ones([1, 1 << 15]))
  }
}

@Test func reductionErrors() {
  expectError(.indexOutOfRange, "axis 2 is out of range for a tensor of rank 2") {
    _ = try ones([2, 3]).reduce(.sum, axis: 2)
  }
  expectError(.indexOutOfRange, "axis -3 is out of range for a tensor of rank 2") {
    _ = try ones([2, 3]).reduce(.mean, axis: -3)
  }
  expectError(.indexOutOfRange, "axis 0 is out of range for a tensor of rank 0") {
    _ = try Tensor(scalar: 1).reduce(.sum, axis: 0)
  }
  expectError(.invalidArgument, "max of an empty tensor is undefined") {
    _ = try ones([0]).reduce(.max, axis: nil)
  }
  expectError(.invalidArgument, "argmin along axis 1 of size 0 is undefined") {
    _ = try ones([2, 0]).reduce(.argmin, axis: 1)
  }
  expectError(.invalidArgument, "min along axis -1 of size 0 is undefined") {
    _ = try ones([0, 0]).reduce(.min, axis: -1)
  }
  expectError(.indexOutOfRange, "axis 1 is out of range for a tensor of rank 1") {
    _ = try ones([3]).softmax(axis: 1)
  }
}

@Test func emptyReductionsWithIdentity() throws {
  #expect(try ones([0]).reduce(.sum, axis: nil) == Tensor(scalar: 0))
  #expect(try ones([0]).reduce(.prod, axis: nil) == Tensor(scalar: 1))
  #expect(try ones([0]).reduce(.mean, axis: nil).scalarValue?.isNaN == true)
  #expect(try ones([0]).reduce(.std, axis: nil).scalarValue?.isNaN == true)
  #expect(try ones([2, 0]).reduce(.max, axis: 0).shape == [0])
}

@Test func reshapeErrors() {
  expectError(.shapeMismatch, "cannot reshape a tensor of shape [2, 3] into shape [4]") {
    _ = try ones([2, 3]).reshaped([4])
  }
  expectError(.shapeMismatch, "cannot reshape a tensor of shape [2, 3] into shape [4, -1]") {
    _ = try ones([2, 3]).reshaped([4, -1])
  }
  expectError(.invalidArgument, "cannot reshape a tensor of shape [2, 3] into shape [-1, -1]: "
              + "only one extent may be -1") {
    _ = try ones([2, 3]).reshaped([-1, -1])
  }
  expectError(.invalidArgument,
              "cannot reshape a tensor of shape [2, 3] into shape [-2, -3]: negative extent -2") {
    _ = try ones([2, 3]).reshaped([-2, -3])
  }
  expectError(.shapeMismatch, "cannot reshape a tensor of shape [0, 3] into shape [0, -1]") {
    _ = try ones([0, 3]).reshaped([0, -1])
  }
  expectError(.shapeMismatch,
              "cannot reshape a tensor of shape [2] into shape [9223372036854775807, 2]") {
    _ = try ones([2]).reshaped([Int.max, 2])
  }
}

@Test func joinErrors() {
  expectError(.invalidArgument, "concat needs at least one tensor") {
    _ = try Tensor.concat([], axis: 0)
  }
  expectError(.invalidArgument, "concat cannot join 0-d tensors; use stack") {
    _ = try Tensor.concat([Tensor(scalar: 1)], axis: 0)
  }
  expectError(.shapeMismatch, "concat: cannot join shapes [2, 3] and [3] of different rank") {
    _ = try Tensor.concat([ones([2, 3]), ones([3])], axis: 0)
  }
  expectError(.shapeMismatch, "concat: shapes [2, 3] and [2, 4] differ outside axis 0") {
    _ = try Tensor.concat([ones([2, 3]), ones([2, 4])], axis: 0)
  }
  expectError(.indexOutOfRange, "axis 2 is out of range for a tensor of rank 2") {
    _ = try Tensor.concat([ones([2, 3])], axis: 2)
  }
  expectError(.invalidArgument, "stack needs at least one tensor") {
    _ = try Tensor.stack([], axis: 0)
  }
  expectError(.shapeMismatch, "stack: shapes [2] and [3] differ") {
    _ = try Tensor.stack([ones([2]), ones([3])], axis: 0)
  }
  expectError(.indexOutOfRange, "axis 3 is out of range for a tensor of rank 2") {
    _ = try Tensor.stack([ones([2])], axis: 3)
  }
}

@Test func indexingErrors() {
  expectError(.indexOutOfRange, "index 5 is out of range for axis 0 of size 3") {
    _ = try ones([3]).slice([.index(5)])
  }
  expectError(.indexOutOfRange, "index -4 is out of range for axis 1 of size 3") {
    _ = try ones([2, 3]).slice([.all, .index(-4)])
  }
  expectError(.indexOutOfRange, "index 0 is out of range for axis 0 of size 0") {
    _ = try ones([0]).slice([.index(0)])
  }
  expectError(.indexOutOfRange, "too many indices for a tensor of rank 1: 2 given") {
    _ = try ones([3]).slice([.index(0), .index(0)])
  }
  expectError(.indexOutOfRange, "too many indices for a tensor of rank 0: 1 given") {
    _ = try Tensor(scalar: 1).slice([.all])
  }
  expectError(.indexOutOfRange, "range 1...3 is out of range for axis 0 of size 3") {
    _ = try ones([3]).slice([.closedRange(start: 1, end: 3)])
  }
  expectError(.invalidArgument, "range 2...1 ends before it starts (axis 0)") {
    _ = try ones([3]).slice([.closedRange(start: 2, end: 1)])
  }
  expectError(.indexOutOfRange, "index 3 is out of range for axis 0 of size 3") {
    _ = try ones([3]).replacing([.index(3)], with: Tensor(scalar: 0))
  }
  expectError(.shapeMismatch, "cannot assign a tensor of shape [3] to a region of shape [2]") {
    _ = try ones([4]).replacing([.range(start: 0, end: 2)], with: ones([3]))
  }
  expectError(.shapeMismatch, "cannot assign a tensor of shape [2, 3] to a region of shape [3]") {
    _ = try ones([2, 3]).replacing([.index(0)], with: ones([2, 3]))
  }
}

@Test func pythonSliceClampingNeverFails() throws {
  let t = Tensor([0, 1, 2, 3, 4])
  #expect(try t.slice([.range(start: -100, end: 100)]) == t)
  #expect(try t.slice([.range(start: 4, end: 2)]).shape == [0])
  #expect(try t.slice([.range(start: Int.min, end: Int.max)]) == t)
  #expect(try t.slice([.range(start: Int.max, end: nil)]).shape == [0])
  #expect(try t.slice([.index(-1)]) == Tensor(scalar: 4))
}

@Test func creationErrors() {
  expectError(.invalidArgument, "negative dimension -1 in shape [2, -1]") {
    _ = try Tensor.filled([2, -1], 0)
  }
  expectError(.tooLarge, "shape [1000000000000, 1000000000000] has more than the limit of "
              + "268435456 elements") {
    _ = try Tensor.filled([1_000_000_000_000, 1_000_000_000_000], 0)
  }
  expectError(.tooLarge, "a tensor may have at most 32 axes, not 33") {
    _ = try Tensor.filled([Int](repeating: 1, count: 33), 0)
  }
  expectError(.invalidArgument, "eye: size -2 is negative") { _ = try Tensor.eye(-2) }
  expectError(.tooLarge, "shape [1048576, 1048576] has more than the limit of 268435456 elements") {
    _ = try Tensor.eye(1 << 20)
  }
  expectError(.invalidArgument, "arange: step must not be 0") {
    _ = try Tensor.arange(0, 1, 0)
  }
  expectError(.invalidArgument, "arange: start, stop and step must be finite") {
    _ = try Tensor.arange(0, .infinity, 1)
  }
  expectError(.invalidArgument, "arange: start, stop and step must be finite") {
    _ = try Tensor.arange(.nan, 1, 1)
  }
  expectError(.tooLarge,
              "arange: the range would have more than the limit of 268435456 elements") {
    _ = try Tensor.arange(0, 1e12, 1)
  }
  expectError(.invalidArgument, "linspace: count -1 is negative") {
    _ = try Tensor.linspace(0, 1, -1)
  }
  expectError(.tooLarge, "shape [1000000000] has more than the limit of 268435456 elements") {
    _ = try Tensor.linspace(0, 1, 1_000_000_000)
  }
  var generator = RandomGenerator(seed: 1)
  expectError(.tooLarge, "shape [100000, 100000] has more than the limit of 268435456 elements") {
    _ = try Tensor.normal([100_000, 100_000], using: &generator)
  }
  expectError(.invalidArgument, "negative dimension -3 in shape [-3]") {
    _ = try Tensor.uniform([-3], using: &generator)
  }
}

@Test(arguments: [
  [Int.max, 2], [2, Int.max], [1 << 32, 1 << 32], [0, 1 << 40], [1 << 40, 0],
  [Tensor.maxElements + 1],
])
func oversizedShapesAreTooLarge(_ shape: [Int]) {
  #expect(throws: TensorError.self) { try Tensor.checkedCount(shape) }
  do {
    _ = try Tensor.checkedCount(shape)
  } catch {
    #expect(error.kind == .tooLarge)
  }
}

@Test func checkedCountAcceptsValidShapes() throws {
  #expect(try Tensor.checkedCount([]) == 1)
  #expect(try Tensor.checkedCount([0]) == 0)
  #expect(try Tensor.checkedCount([3, 0, 5]) == 0)
  #expect(try Tensor.checkedCount([2, 3, 4]) == 24)
  #expect(try Tensor.checkedCount([Tensor.maxElements]) == Tensor.maxElements)
}
