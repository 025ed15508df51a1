import Testing
@testable import NNRuntime

// Properties the fixtures do not cover: value semantics, the BLAS path at real sizes, fast
// paths agreeing with the general broadcasting loop.

/// Equal shapes and elements, counting NaN as equal to NaN.
private func identical(_ a: Tensor, _ b: Tensor) -> Bool {
  a.shape == b.shape && zip(a.scalars, b.scalars).allSatisfy { $0 == $1 || $0.isNaN && $1.isNaN }
}

@Test func copiesAreIndependent() {
  let original = Tensor([1, 2, 3])
  var copy = original
  copy.withUnsafeMutableBufferPointer { $0[0] = 9 }
  #expect(original.scalars == [1, 2, 3])
  #expect(copy.scalars == [9, 2, 3])
}

@Test func reshapeSharesButWritesDoNot() throws {
  let original = Tensor([1, 2, 3, 4])
  var matrix = try original.reshaped([2, 2])
  matrix.withUnsafeMutableBufferPointer { $0[3] = 0 }
  #expect(original.scalars == [1, 2, 3, 4])
  #expect(matrix.shape == [2, 2] && matrix.scalars == [1, 2, 3, 0])
}

@Test func basicProperties() {
  let scalar = Tensor(scalar: 2.5)
  #expect(scalar.shape == [] && scalar.count == 1 && scalar.rank == 0)
  #expect(scalar[flat: 0] == 2.5 && scalar.scalarValue == 2.5)
  let empty = Tensor(shape: [2, 0, 3], scalars: [])
  #expect(empty.count == 0 && empty.rank == 3 && empty.scalars.isEmpty)
  #expect(Tensor([1, .nan]) != Tensor([1, .nan]))
  #expect(Tensor([1, 2]) != Tensor(shape: [2, 1], scalars: [1, 2]))
}

/// The textbook triple loop, in Double, as a reference for BLAS.
private func naiveProduct(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
  var c = [Float](repeating: 0, count: m * n)
  for i in 0..<m {
    for j in 0..<n {
      var total: Double = 0
      for p in 0..<k { total += Double(a[i * k + p]) * Double(b[p * n + j]) }
      c[i * n + j] = Float(total)
    }
  }
  return c
}

@Test(arguments: [(37, 53, 29), (1, 64, 1), (64, 1, 64), (5, 300, 7)])
func matmulAgreesWithNaiveLoop(_ sizes: (Int, Int, Int)) throws {
  let (m, k, n) = sizes
  var generator = RandomGenerator(seed: 11)
  let a = try Tensor.normal([m, k], using: &generator)
  let b = try Tensor.normal([k, n], using: &generator)
  let reference = naiveProduct(a.scalars, b.scalars, m: m, n: n, k: k)
  let expected = Tensor(shape: [m, n], scalars: reference)
  expectClose(try Tensor.matmul(a, b), expected, rtol: 1e-4, atol: 1e-4)
  // The same product as a batch of one and against a broadcast left stack.
  let stacked = try Tensor.matmul(try a.reshaped([1, m, k]), b)
  expectClose(try stacked.reshaped([m, n]), expected, rtol: 1e-4, atol: 1e-4)
}

@Test func multiplyMatricesHonoursTransposesAndAccumulation() throws {
  // a is stored 3×2 (so op(a) = aᵀ is 2×3), b stored 4×3 (op(b) = bᵀ is 3×4).
  let a = Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
  let b = Tensor(shape: [4, 3], scalars: (0..<12).map(Float.init))
  let expected = try Tensor.matmul(a.transposed, b.transposed)
  var c = try Tensor.filled([2, 4], 1)
  a.withUnsafeBufferPointer { pa in
    b.withUnsafeBufferPointer { pb in
      c.withUnsafeMutableBufferPointer { pc in
        Tensor.multiplyMatrices(pa.baseAddress!, transposeA: true, pb.baseAddress!,
                                transposeB: true, into: pc.baseAddress!, m: 2, n: 4, k: 3,
                                accumulate: true)
      }
    }
  }
  #expect(c == (try Tensor.binary(.add, expected, Tensor(scalar: 1))))
}

@Test func broadcastFastPathsAgreeWithGeneralLoop() throws {
  var generator = RandomGenerator(seed: 2)
  let a = try Tensor.normal([3, 4], using: &generator)
  let s = Tensor(scalar: 1.5)
  let one = Tensor(shape: [1, 1], scalars: [1.5])
  for op in BinaryOp.allCases {
    // [3, 4] with a 0-d tensor takes a fast path; with [1, 1] the general strided loop.
    let fast = try Tensor.binary(op, a, s)
    let general = try Tensor.binary(op, a, try one.broadcast(to: [3, 4]))
    #expect(identical(fast, general), "\(op)")
    let fastLeft = try Tensor.binary(op, s, a)
    let generalLeft = try Tensor.binary(op, try one.broadcast(to: [3, 4]), a)
    #expect(identical(fastLeft, generalLeft), "\(op)")
  }
}

@Test func scalarOpsMatchTensorOps() throws {
  for op in BinaryOp.allCases {
    let x = try Tensor.binary(op, Tensor(scalar: -7), Tensor(scalar: 3))
    #expect(x.shape == [] && x[flat: 0] == op.apply(-7, 3))
  }
  #expect(BinaryOp.remainder.apply(-7, 3) == 2)
  #expect(BinaryOp.remainder.apply(7, -3) == -2)
  for op in UnaryOp.allCases {
    #expect(identical(Tensor(scalar: -0.4).unary(op), Tensor(scalar: op.apply(-0.4))))
  }
  #expect(UnaryOp.sigmoid.apply(-200) == 0 && UnaryOp.sigmoid.apply(200) == 1)
}

@Test func softmaxIsStableForLargeInputs() throws {
  let t = Tensor([1e30, 1e30, -1e30])
  let p = try t.softmax(axis: 0)
  #expect(p.scalars == [0.5, 0.5, 0])
}

@Test func largeSliceAndReplaceRoundTrip() throws {
  let t = try Tensor.arange(0, 4 * 5 * 6, 1).reshaped([4, 5, 6])
  let block = try t.slice([.range(start: 1, end: 3), .all, .closedRange(start: 2, end: 4)])
  #expect(block.shape == [2, 5, 3])
  #expect(block[flat: 0] == 32)
  let zeroed = try t.replacing([.range(start: 1, end: 3), .all, .closedRange(start: 2, end: 4)],
                               with: Tensor(scalar: 0))
  let total = try zeroed.reduce(.sum, axis: nil).scalarValue
  let removed = try block.reduce(.sum, axis: nil).scalarValue
  let all = try t.reduce(.sum, axis: nil).scalarValue
  #expect(total == all! - removed!)
}

@Test func creationHelpers() throws {
  #expect(try Tensor.eye(3).scalars == [1, 0, 0, 0, 1, 0, 0, 0, 1])
  #expect(try Tensor.eye(0).shape == [0, 0])
  #expect(try Tensor.filled([2, 2], -0.0).scalars.allSatisfy { $0 == 0 && $0.sign == .minus })
  #expect(try Tensor.filled([], 3) == Tensor(scalar: 3))
  #expect(try Tensor.filled([0, 5], 3).count == 0)
  #expect(try Tensor.linspace(0, 1, 3).scalars == [0, 0.5, 1])
}

@Test func emptyTensorsWorkEverywhere() throws {
  let e = Tensor(shape: [0, 3], scalars: [])
  #expect(try Tensor.binary(.add, e, Tensor([1, 2, 3])).shape == [0, 3])
  #expect(e.unary(.exp).shape == [0, 3])
  #expect(e.transposed.shape == [3, 0])
  #expect(try Tensor.matmul(e, Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])).shape == [0, 2])
  #expect(try Tensor.matmul(Tensor(shape: [2, 0], scalars: []), Tensor(shape: [0, 2], scalars: []))
    == Tensor.filled([2, 2], 0))
  #expect(try e.reduce(.sum, axis: 0).scalars == [0, 0, 0])
  #expect(try e.reduce(.sum, axis: 1).shape == [0])
  #expect(try e.softmax(axis: 1).shape == [0, 3])
  #expect(try e.slice([.all, .index(1)]).shape == [0])
  #expect(try e.replacing([.all, .index(1)], with: Tensor(scalar: 1)).shape == [0, 3])
  #expect(e.clipped(0, 1).shape == [0, 3])
  #expect(try e.reshaped([3, 0, 7]).shape == [3, 0, 7])
}
