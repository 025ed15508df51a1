import Foundation
import Testing
@testable import NNRuntime

// The primitive ops layers compose (slice, concat, stack, permute, gather, batched matmul,
// comparisons, where, max over an axis, masked fill) against PyTorch: Fixtures/primitives/
// primitives.json, written by scripts/make_primitive_fixtures.py (the README beside it describes
// the format). Each case runs in a Double plan (float64 tolerance) and a Float plan (float32
// tolerance): the forward output and the gradients of L = sum(output · G) with respect to each
// differentiable input. Then every shape rule's refusal, one test each.

struct PrimitiveFixtureCase: Decodable, Sendable, CustomStringConvertible {
  var name: String
  var op: String
  var axis: Int?
  var axes: [Int]?
  var start: Int?
  var end: Int?
  var step: Int?
  var comparison: String?
  var value: FixtureNumber?
  var inputs: [FixtureTensor]
  var output: FixtureTensor
  var gradOutput: FixtureTensor
  var grads: [FixtureTensor?]
  var description: String { name }

  enum CodingKeys: String, CodingKey {
    case name, op, axis, axes, start, end, step, comparison, value, inputs, output, grads
    case gradOutput = "grad_output"
  }
}

struct PrimitiveFixtureFile: Decodable, Sendable {
  var tolerance: [String: LayerFixtureTolerance]
  var cases: [PrimitiveFixtureCase]
}

private let primitiveFixtures: PrimitiveFixtureFile = {
  let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/primitives/primitives.json")
  do {
    return try JSONDecoder().decode(PrimitiveFixtureFile.self, from: Data(contentsOf: url))
  } catch {
    fatalError("cannot read \(url.path): \(error)")
  }
}()

/// Adds the case's op over `inputs` (the fixture's masked softmax is two nodes).
private func addPrimitive(
  _ c: PrimitiveFixtureCase, _ inputs: [NodeID], to graph: inout Graph
) throws -> NodeID {
  switch c.op {
  case "slice":
    let range = SliceRange(axis: c.axis!, start: c.start!, end: c.end!, step: c.step!)
    return try graph.add(.slice(range), inputs)
  case "concat": return try graph.add(.concat(axis: c.axis!, count: inputs.count), inputs)
  case "stack": return try graph.add(.stack(axis: c.axis!, count: inputs.count), inputs)
  case "permute": return try graph.add(.permute(c.axes!), inputs)
  case "gather": return try graph.add(.gather(axis: c.axis!), inputs)
  case "matmul": return try graph.add(.matmul, inputs)
  case "compare":
    let comparison = Comparison.allCases.first { $0.name == c.comparison }!
    return try graph.add(.compare(comparison), inputs)
  case "where": return try graph.add(.select, inputs)
  case "max": return try graph.add(.maximum(axis: c.axis!), inputs)
  case "masked_fill": return try graph.add(.maskedFill(c.value!.value), inputs)
  case "masked_softmax":
    let masked = try graph.add(.maskedFill(c.value!.value), inputs)
    return try graph.add(.activation(.softmax), [masked])
  default:
    throw GraphError(message: "no op \(c.op) in the fixture's vocabulary")
  }
}

/// Runs one case in precision T: the output and the gradient of each input (nil where the
/// fixture has none).
private func runPrimitiveCase<T: PlanScalar>(
  _ c: PrimitiveFixtureCase, as _: T.Type
) throws -> (output: [Double], grads: [[Double]?]) {
  var graph = Graph()
  // Every input and G are parameters, so a Double plan reads exact values.
  let shapes = c.inputs.map(\.shape) + [c.gradOutput.shape]
  let values = c.inputs.map { $0.data.map(\.value) } + [c.gradOutput.data.map(\.value)]
  let nodes = shapes.enumerated().map { graph.parameter($0.offset, shape: $0.element) }
  let y = try addPrimitive(c, Array(nodes.dropLast()), to: &graph)
  let loss = try graph.add(.sum(axis: nil), [try graph.add(.multiply, [y, nodes.last!])])
  let wanted = c.grads.indices.filter { c.grads[$0] != nil }
  let gradients = try graph.differentiate(loss, withRespectTo: wanted.map { nodes[$0] })
  var perParameter = [NodeID?](repeating: nil, count: shapes.count)
  for (i, gradient) in zip(wanted, gradients) { perParameter[i] = gradient }
  let store = ParameterStore<T>(shapes: shapes)
  for (i, v) in values.enumerated() { store.assign(i, v) }
  let plan = try Plan(graph: graph, outputs: [y, loss], gradients: perParameter,
                      parameters: store, training: true)
  var random = RandomGenerator(seed: 1)
  plan.run(random: &random)
  let buffer = plan.gradientBuffer
  let grads: [[Double]?] = c.inputs.indices.map { i in
    c.grads[i] == nil ? nil
      : (0..<shapes[i].reduce(1, *)).map { Double(buffer[store.offsets[i] + $0]) }
  }
  return (plan.values(y).map { Double($0) }, grads)
}

private func matches(
  _ actual: [Double], _ expected: [Double], _ tolerance: LayerFixtureTolerance
) -> Bool {
  actual.count == expected.count && zip(actual, expected).allSatisfy { a, e in
    a == e || Swift.abs(a - e) <= tolerance.atol + tolerance.rtol * Swift.abs(e)
  }
}

@Test(arguments: primitiveFixtures.cases.map(\.name))
func primitiveOpMatchesPyTorch(_ name: String) throws {
  let c = try #require(primitiveFixtures.cases.first { $0.name == name })
  for precision in ["float64", "float32"] {
    let tolerance = primitiveFixtures.tolerance[precision]!
    let result = precision == "float64"
      ? try runPrimitiveCase(c, as: Double.self)
      : try runPrimitiveCase(c, as: Float.self)
    #expect(matches(result.output, c.output.data.map(\.value), tolerance),
            "\(name) \(precision): output \(result.output)")
    for (i, expected) in c.grads.enumerated() {
      guard let expected else { continue }
      let actual = try #require(result.grads[i], "\(name): no gradient for input \(i + 1)")
      #expect(matches(actual, expected.data.map(\.value), tolerance),
              "\(name) \(precision): gradient of input \(i + 1)")
    }
  }
}

/// The eager path (`Tensor.apply`, what the language's built-ins run) gives the Float plan's
/// numbers.
@Test(arguments: primitiveFixtures.cases.filter { $0.op != "masked_softmax" }.map(\.name))
func primitiveOpRunsEagerly(_ name: String) throws {
  let c = try #require(primitiveFixtures.cases.first { $0.name == name })
  var graph = Graph()
  let nodes = c.inputs.enumerated().map { graph.parameter($0.offset, shape: $0.element.shape) }
  let y = try addPrimitive(c, nodes, to: &graph)
  let result = try Tensor.apply(graph[y].op, c.inputs.map(\.tensor))
  #expect(result.shape == c.output.shape)
  #expect(matches(result.scalars.map { Double($0) }, c.output.data.map(\.value),
                  primitiveFixtures.tolerance["float32"]!))
}

@Test func primitiveFixturesCoverEveryOp() {
  let ops = Set(primitiveFixtures.cases.map(\.op))
  #expect(ops == ["slice", "concat", "stack", "permute", "gather", "matmul", "compare", "where",
                  "max", "masked_fill", "masked_softmax"])
  let comparisons = Set(primitiveFixtures.cases.compactMap(\.comparison))
  #expect(comparisons == Set(Comparison.allCases.map(\.name)))
}

// MARK: - Shape rules' refusals

/// The message of the shape error `op` over operands of `shapes` raises, or nil.
private func shapeError(_ op: Op, _ shapes: [[Int]]) -> String? {
  do {
    _ = try Graph.inferShape(op, shapes)
    return nil
  } catch {
    return error.message
  }
}

@Test func sliceRefusesRangesOutsideTheAxis() {
  let past = SliceRange(axis: 1, start: 0, end: 5)
  #expect(shapeError(.slice(past), [[2, 4]])
          == "slice: 0..<5 by 1 is not a slice of axis 1 (extent 4) of shape [2, 4]")
  #expect(shapeError(.slice(SliceRange(axis: 2, start: 0, end: 1)), [[2, 4]])
          == "slice: axis 2 is out of range for shape [2, 4]")
  #expect(shapeError(.slice(SliceRange(axis: 0, start: 0, end: 2, step: 0)), [[2, 4]]) != nil)
  #expect(shapeError(.slice(SliceRange(axis: 0, start: 2, end: 1)), [[2, 4]]) != nil)
  #expect(shapeError(.slice(SliceRange(axis: 0, start: -1, end: 1)), [[2, 4]]) != nil)
  #expect(shapeError(.slice(SliceRange(axis: 0, start: 1, end: 2, step: 3)), [[2, 4]]) == nil)
}

@Test func sliceGradientRefusesAGradientOfTheWrongShape() {
  let range = SliceRange(axis: 0, start: 0, end: 4, step: 2)
  #expect(shapeError(.sliceGradient(range, shape: [4, 3]), [[3, 3]])
          == "slice_grad: a gradient of shape [3, 3] does not fit a slice of shape [2, 3]")
  #expect(shapeError(.sliceGradient(range, shape: [4, 3]), [[2, 3]]) == nil)
}

@Test func concatRefusesMismatchedShapes() {
  #expect(shapeError(.concat(axis: 1, count: 2), [[2, 3], [3, 3]])
          == "concat: tensor 2 has shape [3, 3] but tensor 1 has [2, 3]; only axis 1 may differ")
  #expect(shapeError(.concat(axis: 0, count: 2), [[2, 3], [2]]) != nil)
  #expect(shapeError(.concat(axis: 2, count: 2), [[2, 3], [2, 3]])
          == "concat: axis 2 is out of range for shape [2, 3]")
  #expect(shapeError(.concat(axis: 0, count: 0), []) == "concat: needs at least one tensor")
}

@Test func stackRefusesDifferentShapes() {
  #expect(shapeError(.stack(axis: 0, count: 2), [[2, 3], [3, 2]])
          == "stack: tensor 2 has shape [3, 2] but tensor 1 has [2, 3]")
  #expect(shapeError(.stack(axis: 3, count: 2), [[2, 3], [2, 3]])
          == "stack: axis 3 is out of range for shape [2, 3]")
  #expect(shapeError(.stack(axis: 2, count: 2), [[2, 3], [2, 3]]) == nil)
}

@Test func permuteRefusesAxesThatAreNotAnOrdering() {
  #expect(shapeError(.permute([0, 0, 1]), [[2, 3, 4]])
          == "permute: axes [0, 0, 1] are not an ordering of the 3 axes of shape [2, 3, 4]")
  #expect(shapeError(.permute([1, 0]), [[2, 3, 4]]) != nil)
  #expect(shapeError(.permute([0, 1, 3]), [[2, 3, 4]]) != nil)
}

@Test func gatherRefusesAnAxisOutOfRange() {
  #expect(shapeError(.gather(axis: 2), [[2, 3], [4]])
          == "gather: axis 2 is out of range for shape [2, 3]")
  #expect(shapeError(.gatherGradient(axis: 0, shape: [5, 3]), [[4], [3, 3]])
          == "gather_grad: a gradient of shape [3, 3] and indices of shape [4] do not fit a "
          + "gather from [5, 3]")
}

@Test func gatherReadsAnIndexOutsideTheAxisAsAZeroRow() throws {
  // A plan cannot stop on data, so a bad index gives zeros (the eager built-in refuses it).
  let x = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
  let ids = Tensor(shape: [3], scalars: [1, 2, 0.5])
  let result = try Tensor.apply(.gather(axis: 0), [x, ids])
  #expect(result.scalars == [3, 4, 0, 0, 0, 0])
}

@Test func batchedMatmulRefusesIncompatibleShapes() {
  #expect(shapeError(.matmul, [[2, 3, 4], [3, 4, 5]])
          == "matmul: the leading axes of shapes [2, 3, 4] and [3, 4, 5] do not broadcast "
          + "together")
  #expect(shapeError(.matmul, [[2, 3, 4], [2, 5, 4]])
          == "matmul: inner dimensions 4 and 5 differ (shapes [2, 3, 4] and [2, 5, 4])")
  #expect(shapeError(.matmul, [[4], [2, 4, 5]])
          == "matmul: a vector times a stack of matrices needs the vector as a matrix "
          + "(shapes [4] and [2, 4, 5])")
  #expect(shapeError(.matmul, [[2, 1, 3, 4], [5, 4, 2]]) == nil)
}

@Test func whereAndComparisonsRefuseShapesThatDoNotBroadcast() {
  #expect(shapeError(.select, [[3], [2, 3], [2, 4]])
          == "where: shapes [3], [2, 3], [2, 4] do not broadcast together")
  #expect(shapeError(.compare(.less), [[2, 3], [2]])
          == "less: shapes [2, 3], [2] do not broadcast together")
  #expect(shapeError(.select, [[3, 1], [4], []]) == nil)
}

@Test func maximumRefusesABadAxisAndAnEmptyOne() {
  #expect(shapeError(.maximum(axis: 2), [[2, 3]])
          == "max: axis 2 is out of range for shape [2, 3]")
  #expect(shapeError(.maximum(axis: 1), [[2, 0]])
          == "max: axis 1 of shape [2, 0] is empty, so it has no maximum")
  #expect(shapeError(.maximumGradient(axis: 1), [[2, 3], [3]])
          == "max_grad: a gradient of shape [3] does not fit the maximum of shape [2, 3] over "
          + "axis 1")
  #expect(shapeError(.maximumGradient(axis: 2), [[2, 3], [2]]) != nil)
}

@Test func maskedFillRefusesAMaskThatDoesNotBroadcastToTheInput() {
  #expect(shapeError(.maskedFill(0), [[2, 3], [2, 3, 1]])
          == "masked_fill: a mask of shape [2, 3, 1] does not broadcast to the shape [2, 3] it "
          + "masks")
  #expect(shapeError(.maskedFill(0), [[2, 3], [4]]) != nil)
  #expect(shapeError(.maskedFill(0), [[2, 3], [3]]) == nil)
}

@Test func maximumHasNoSecondDerivative() throws {
  var graph = Graph()
  let x = graph.parameter(0, shape: [2, 3])
  let m = try graph.add(.maximum(axis: 1), [x])
  let loss = try graph.add(.sum(axis: nil), [m])
  let g = try graph.differentiate(loss, withRespectTo: [x])[0]
  let again = try graph.add(.sum(axis: nil), [g])
  #expect(throws: GraphError.self) { try graph.differentiate(again, withRespectTo: [x]) }
}
