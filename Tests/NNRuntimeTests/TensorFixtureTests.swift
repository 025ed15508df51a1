import Testing
@testable import NNRuntime

// Every op against NumPy's results (Fixtures/tensor_ops.json).

let binaryOps: [String: BinaryOp] = [
  "add": .add, "subtract": .subtract, "multiply": .multiply, "divide": .divide,
  "power": .power, "remainder": .remainder, "equal": .equal, "notEqual": .notEqual,
  "less": .less, "lessEqual": .lessEqual, "greater": .greater, "greaterEqual": .greaterEqual,
  "minimum": .minimum, "maximum": .maximum,
]

let unaryOps: [String: UnaryOp] = [
  "negate": .negate, "exp": .exp, "log": .log, "sqrt": .sqrt, "abs": .abs, "tanh": .tanh,
  "sigmoid": .sigmoid, "relu": .relu, "sign": .sign, "floor": .floor, "ceil": .ceil,
  "round": .round,
]

let reduceOps: [String: ReduceOp] = [
  "sum": .sum, "mean": .mean, "max": .max, "min": .min, "argmax": .argmax, "argmin": .argmin,
  "std": .std, "variance": .variance, "prod": .prod,
]

@Test func fixtureLoads() throws {
  let fixture = try Fixtures.load()
  #expect(fixture.binary.count == binaryOps.count * 15)
  #expect(Set(fixture.unary.map(\.op)) == Set(unaryOps.keys))
  #expect(Set(fixture.reduce.map(\.op)) == Set(reduceOps.keys))
  #expect(!fixture.matmul.isEmpty && !fixture.slice.isEmpty && !fixture.replace.isEmpty)
}

@Test(arguments: Fixtures.ops.binary)
func binaryMatchesNumPy(_ c: BinaryCase) throws {
  let op = try #require(binaryOps[c.op])
  expectClose(try Tensor.binary(op, c.a.tensor, c.b.tensor), c.expected.tensor)
}

@Test(arguments: Fixtures.ops.unary)
func unaryMatchesNumPy(_ c: UnaryCase) throws {
  let op = try #require(unaryOps[c.op])
  expectClose(c.x.tensor.unary(op), c.expected.tensor)
}

@Test func clipMatchesNumPy() {
  for c in Fixtures.ops.clip {
    expectClose(c.x.tensor.clipped(Float(c.low), Float(c.high)), c.expected.tensor)
  }
}

@Test(arguments: Fixtures.ops.matmul)
func matmulMatchesNumPy(_ c: PairCase) throws {
  expectClose(try Tensor.matmul(c.a.tensor, c.b.tensor), c.expected.tensor, rtol: 1e-5,
              atol: 1e-5)
}

@Test(arguments: Fixtures.ops.reduce)
func reductionMatchesNumPy(_ c: ReduceCase) throws {
  let op = try #require(reduceOps[c.op])
  expectClose(try c.x.tensor.reduce(op, axis: c.axis), c.expected.tensor)
}

@Test(arguments: Fixtures.ops.softmax)
func softmaxMatchesNumPy(_ c: AxisCase) throws {
  expectClose(try c.x.tensor.softmax(axis: c.axis), c.expected.tensor)
}

@Test(arguments: Fixtures.ops.transpose)
func transposeMatchesNumPy(_ c: TransposeCase) {
  #expect(c.x.tensor.transposed == c.expected.tensor)
}

@Test(arguments: Fixtures.ops.slice)
func sliceMatchesNumPy(_ c: SliceCase) throws {
  #expect(try c.x.tensor.slice(c.indices.map(\.tensorIndex)) == c.expected.tensor)
}

@Test(arguments: Fixtures.ops.replace)
func replacingMatchesNumPy(_ c: SliceCase) throws {
  let value = try #require(c.value).tensor
  let original = c.x.tensor
  let replaced = try original.replacing(c.indices.map(\.tensorIndex), with: value)
  #expect(replaced == c.expected.tensor)
  #expect(original == c.x.tensor, "the original is untouched (value semantics)")
}

@Test(arguments: Fixtures.ops.reshape)
func reshapeMatchesNumPy(_ c: ReshapeCase) throws {
  #expect(try c.x.tensor.reshaped(c.shape) == c.expected.tensor)
}

@Test(arguments: Fixtures.ops.concat)
func concatMatchesNumPy(_ c: JoinCase) throws {
  #expect(try Tensor.concat(c.tensors.map(\.tensor), axis: c.axis) == c.expected.tensor)
}

@Test(arguments: Fixtures.ops.stack)
func stackMatchesNumPy(_ c: JoinCase) throws {
  #expect(try Tensor.stack(c.tensors.map(\.tensor), axis: c.axis) == c.expected.tensor)
}

@Test(arguments: Fixtures.ops.arange)
func arangeMatchesNumPy(_ c: ArangeCase) throws {
  expectClose(try Tensor.arange(c.start, c.stop, c.step), c.expected.tensor)
}

@Test(arguments: Fixtures.ops.linspace)
func linspaceMatchesNumPy(_ c: LinspaceCase) throws {
  expectClose(try Tensor.linspace(c.start, c.stop, c.count), c.expected.tensor)
}
