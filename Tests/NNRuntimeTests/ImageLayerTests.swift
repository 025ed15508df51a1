import Foundation
import Testing
@testable import NNRuntime

// conv2d, maxpool, avgpool, flatten and reshape against PyTorch: Fixtures/layers/*.json, written
// by scripts/make_layer_fixtures.py (the README beside them describes the format). Each case is
// run in a Double plan (float64 tolerance) and a Float plan (float32 tolerance): the forward
// output and the gradients of L = sum(output · G) with respect to the input and the parameters.

struct LayerFixtureCase: Decodable, Sendable, CustomStringConvertible {
  var name: String
  var filters: Int?
  var kernel: [Int]?
  var stride: FixturePair?
  var padding: String?
  var size: FixturePair?
  var shape: [Int]?
  var input: FixtureTensor
  var params: [String: FixtureTensor]
  var output: FixtureTensor
  var gradOutput: FixtureTensor
  var grads: [String: FixtureTensor]
  var description: String { name }

  enum CodingKeys: String, CodingKey {
    case name, filters, kernel, stride, padding, size, shape, input, params, output, grads
    case gradOutput = "grad_output"
  }
}

/// A size or stride written as one number or as [y, x].
struct FixturePair: Decodable, Sendable {
  var values: [Int]

  init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let n = try? container.decode(Int.self) {
      values = [n, n]
    } else {
      values = try container.decode([Int].self)
    }
  }
}

struct LayerFixtureTolerance: Decodable, Sendable {
  var rtol: Double
  var atol: Double
}

struct LayerFixtureFile: Decodable, Sendable {
  var op: String
  var tolerance: [String: LayerFixtureTolerance]
  var cases: [LayerFixtureCase]

  static func load(_ op: String) -> LayerFixtureFile {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/layers/\(op).json")
    do {
      return try JSONDecoder().decode(LayerFixtureFile.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot read \(url.path): \(error)")
    }
  }
}

private let imageOps = ["conv2d", "maxpool", "avgpool", "flatten", "reshape"]
private let imageFixtures: [String: LayerFixtureFile] = Dictionary(
  uniqueKeysWithValues: imageOps.map { ($0, LayerFixtureFile.load($0)) })

/// "op/case" for every case of the image-layer fixtures.
private let imageFixtureCases: [String] = imageOps.flatMap { op in
  imageFixtures[op]!.cases.map { "\(op)/\($0.name)" }
}

/// The op a fixture case describes, for a batch input of `inputShape`.
private func imageOp(_ op: String, _ c: LayerFixtureCase, inputShape: [Int]) -> Op {
  let sample = Array(inputShape.dropFirst())
  switch op {
  case "conv2d":
    return .conv2d(ConvolutionGeometry(input: sample, filters: c.filters!, kernel: c.kernel!,
                                       stride: c.stride!.values, same: c.padding == "same"))
  case "maxpool", "avgpool":
    let size = c.size!.values
    return .pool2d(PoolingGeometry(kind: op == "maxpool" ? .max : .average, input: sample,
                                   size: size, stride: c.stride?.values ?? size))
  case "flatten":
    return .reshape([inputShape[0], sample.reduce(1, *)])
  default:
    return .reshape([inputShape[0]] + c.shape!)
  }
}

/// Runs one case in precision T: the output and the gradients by name ("input", "weight", …).
private func runImageCase<T: PlanScalar>(
  _ op: String, _ c: LayerFixtureCase, as _: T.Type
) throws -> (output: [Double], grads: [String: [Double]]) {
  var graph = Graph()
  // Operand order: input, weight, bias, G (parameters, so a Double plan reads exact values).
  var shapes = [c.input.shape]
  var values = [c.input.data.map(\.value)]
  let filters = c.filters ?? 0
  if op == "conv2d" {
    shapes.append(c.params["weight"]!.shape)
    values.append(c.params["weight"]!.data.map(\.value))
    // Without a bias in the case, a zero bias (conv2d always has one).
    shapes.append([filters])
    values.append(c.params["bias"]?.data.map(\.value) ?? Array(repeating: 0, count: filters))
  }
  shapes.append(c.gradOutput.shape)
  values.append(c.gradOutput.data.map(\.value))
  let nodes = shapes.enumerated().map { graph.parameter($0.offset, shape: $0.element) }
  let y = try graph.add(imageOp(op, c, inputShape: c.input.shape), Array(nodes.dropLast()))
  let loss = try graph.add(.sum(axis: nil), [try graph.add(.multiply, [y, nodes.last!])])
  let targets = Array(nodes.dropLast())
  let gradients = try graph.differentiate(loss, withRespectTo: targets)
  let store = ParameterStore<T>(shapes: shapes)
  for (i, v) in values.enumerated() { store.assign(i, v) }
  let plan = try Plan(graph: graph, outputs: [y, loss],
                      gradients: gradients.map { Optional($0) } + [nil], parameters: store,
                      training: true)
  var random = RandomGenerator(seed: 1)
  plan.run(random: &random)
  let output = plan.values(y).map { Double($0) }
  let buffer = plan.gradientBuffer
  func gradient(_ i: Int) -> [Double] {
    (0..<shapes[i].reduce(1, *)).map { Double(buffer[store.offsets[i] + $0]) }
  }
  var grads = ["input": gradient(0)]
  if op == "conv2d" {
    grads["weight"] = gradient(1)
    if c.params["bias"] != nil { grads["bias"] = gradient(2) }
  }
  return (output, grads)
}

private func close(_ actual: [Double], _ expected: [Double], _ tolerance: LayerFixtureTolerance)
  -> Bool {
  actual.count == expected.count && zip(actual, expected).allSatisfy { a, e in
    Swift.abs(a - e) <= tolerance.atol + tolerance.rtol * Swift.abs(e)
  }
}

@Test(arguments: imageFixtureCases)
func imageLayerMatchesPyTorch(_ name: String) throws {
  let parts = name.split(separator: "/").map(String.init)
  let file = imageFixtures[parts[0]]!
  let c = file.cases.first { $0.name == parts[1] }!
  #expect(c.output.shape == (try Graph.inferShape(imageOp(parts[0], c, inputShape: c.input.shape),
                                                  [c.input.shape] + (parts[0] == "conv2d"
    ? [c.params["weight"]!.shape, [c.filters!]] : []))))
  for precision in ["float64", "float32"] {
    let tolerance = file.tolerance[precision]!
    let result = precision == "float64"
      ? try runImageCase(parts[0], c, as: Double.self)
      : try runImageCase(parts[0], c, as: Float.self)
    #expect(close(result.output, c.output.data.map(\.value), tolerance),
            "\(name) \(precision): output")
    for (key, expected) in c.grads {
      let actual = try #require(result.grads[key], "\(name): no gradient for \(key)")
      #expect(close(actual, expected.data.map(\.value), tolerance),
              "\(name) \(precision): gradient of \(key)")
    }
  }
}

@Test func imageFixturesCoverEveryCase() {
  #expect(imageFixtureCases.count >= 12)
}
