import Foundation
import Testing
@testable import NNRuntime

// conv1d, maxpool1d, avgpool1d, global_avgpool and global_maxpool against PyTorch:
// Fixtures/layers/{conv1d,maxpool1d,avgpool1d,global_avgpool,global_maxpool}.json, written by
// scripts/make_conv1d_fixtures.py (the README beside them describes the format). These layers
// are lowerings onto conv2d, the 2-D pooling op and mean, so each case is built through the
// layer itself (a network made by NetworkBuilder, lowered by its declaration), not the raw op,
// and run in a Double plan (float64 tolerance) and a Float plan (float32 tolerance): the output
// and the gradients of L = sum(output · G) with respect to the input and the parameters.

private struct SequenceConvolutionCase: Decodable, Sendable {
  var name: String
  var filters: Int?
  var kernel: Int?
  var stride: Int?
  var padding: String?
  var useBias: Bool?
  var size: Int?
  var input: FixtureTensor
  var params: [String: FixtureTensor]
  var output: FixtureTensor
  var gradOutput: FixtureTensor
  var grads: [String: FixtureTensor]

  enum CodingKeys: String, CodingKey {
    case name, filters, kernel, stride, padding, size, input, params, output, grads
    case useBias = "use_bias"
    case gradOutput = "grad_output"
  }
}

private struct SequenceConvolutionFile: Decodable, Sendable {
  var tolerance: [String: LayerFixtureTolerance]
  var cases: [SequenceConvolutionCase]

  static func load(_ op: String) -> SequenceConvolutionFile {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/layers/\(op).json")
    do {
      return try JSONDecoder().decode(SequenceConvolutionFile.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot read \(url.path): \(error)")
    }
  }
}

private let sequenceConvolutionOps = [
  "conv1d", "maxpool1d", "avgpool1d", "global_avgpool", "global_maxpool",
]
private let sequenceConvolutionFiles: [String: SequenceConvolutionFile] = Dictionary(
  uniqueKeysWithValues: sequenceConvolutionOps.map { ($0, SequenceConvolutionFile.load($0)) })
private let sequenceConvolutionCases: [String] = sequenceConvolutionOps.flatMap { op in
  sequenceConvolutionFiles[op]!.cases.map { "\(op)/\($0.name)" }
}

/// The layer a fixture case describes.
private func declaration(_ op: String, _ c: SequenceConvolutionCase) -> any LayerDeclaration {
  switch op {
  case "conv1d":
    return Conv1D(filters: c.filters!, kernel: c.kernel!, stride: c.stride!,
                  same: c.padding == "same", useBias: c.useBias!)
  case "maxpool1d", "avgpool1d":
    return Pool1D(op == "maxpool1d" ? .max : .average, size: c.size!, stride: c.stride!)
  default:
    return GlobalPool(op == "global_maxpool" ? .max : .average)
  }
}

/// Runs one case through its layer in precision T: the output and the gradients by name.
private func runSequenceConvolution<T: PlanScalar>(
  _ op: String, _ c: SequenceConvolutionCase, as _: T.Type
) throws -> (output: [Double], grads: [String: [Double]]) {
  var random = RandomGenerator(seed: 1)
  let network = try NetworkBuilder.build(input: Array(c.input.shape.dropFirst()),
                                         [declaration(op, c)], random: &random)
  let layer = network.layers[0]
  #expect(layer.outputShape == Array(c.output.shape.dropFirst()), "\(op)/\(c.name): shape")
  // Parameter order: input, the layer's parameters (weight, bias), G — all parameters, so a
  // Double plan reads exact values.
  let names = network.parameterNames.map { String($0.split(separator: ".").last!) }
  var shapes = [c.input.shape]
  var values = [c.input.data.map(\.value)]
  for name in names {
    let tensor = try #require(c.params[name], "\(op)/\(c.name): no \(name) in the fixture")
    shapes.append(tensor.shape)
    values.append(tensor.data.map(\.value))
  }
  #expect(Array(shapes.dropFirst()) == network.parameters.shapes)
  shapes.append(c.gradOutput.shape)
  values.append(c.gradOutput.data.map(\.value))
  var graph = Graph()
  let nodes = shapes.enumerated().map { graph.parameter($0.offset, shape: $0.element) }
  var lowering = LayerLowering(graph: graph, parameterNodes: Array(nodes.dropFirst().dropLast()))
  let (_, y) = try layer.declaration.lower(layer, from: nodes[0], into: &lowering)
  graph = lowering.graph
  let loss = try graph.add(.sum(axis: nil), [try graph.add(.multiply, [y, nodes.last!])])
  let targets = Array(nodes.dropLast())
  let gradients = try graph.differentiate(loss, withRespectTo: targets)
  let store = ParameterStore<T>(shapes: shapes)
  for (i, v) in values.enumerated() { store.assign(i, v) }
  let plan = try Plan(graph: graph, outputs: [y, loss],
                      gradients: gradients.map { Optional($0) } + [nil], parameters: store,
                      training: true)
  plan.run(random: &random)
  let buffer = plan.gradientBuffer
  func gradient(_ i: Int) -> [Double] {
    (0..<shapes[i].reduce(1, *)).map { Double(buffer[store.offsets[i] + $0]) }
  }
  var grads = ["input": gradient(0)]
  for (i, name) in names.enumerated() { grads[name] = gradient(i + 1) }
  return (plan.values(y).map { Double($0) }, grads)
}

private func within(
  _ actual: [Double], _ expected: [Double], _ tolerance: LayerFixtureTolerance
) -> Bool {
  actual.count == expected.count && zip(actual, expected).allSatisfy { a, e in
    Swift.abs(a - e) <= tolerance.atol + tolerance.rtol * Swift.abs(e)
  }
}

@Test(arguments: sequenceConvolutionCases)
func sequenceConvolutionLayerMatchesPyTorch(_ name: String) throws {
  let parts = name.split(separator: "/").map(String.init)
  let file = sequenceConvolutionFiles[parts[0]]!
  let c = file.cases.first { $0.name == parts[1] }!
  for precision in ["float64", "float32"] {
    let tolerance = file.tolerance[precision]!
    let result = precision == "float64"
      ? try runSequenceConvolution(parts[0], c, as: Double.self)
      : try runSequenceConvolution(parts[0], c, as: Float.self)
    #expect(within(result.output, c.output.data.map(\.value), tolerance),
            "\(name) \(precision): output")
    #expect(Set(result.grads.keys) == Set(c.grads.keys), "\(name): the gradients named")
    for (key, expected) in c.grads {
      let actual = try #require(result.grads[key], "\(name): no gradient for \(key)")
      #expect(within(actual, expected.data.map(\.value), tolerance),
              "\(name) \(precision): gradient of \(key)")
    }
  }
}

@Test func sequenceConvolutionFixturesCoverEveryCase() {
  #expect(sequenceConvolutionCases.count == 16)
}

/// conv1d's weight keeps PyTorch's [filters, channels, kernel] layout and fans.
@Test func conv1dDeclaresPyTorchsParameters() throws {
  var random = RandomGenerator(seed: 1)
  let net = try NetworkBuilder.build(
    input: [3, 10], [Conv1D(filters: 4, kernel: 5, stride: 2, activation: .relu)],
    random: &random)
  #expect(net.parameterNames == ["conv1d1.weight", "conv1d1.bias"])
  #expect(net.parameters.shapes == [[4, 3, 5], [4]])
  #expect(net.outputShape == [4, 5])
  #expect(net.weightMask == [true, false])
}
