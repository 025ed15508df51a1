import Foundation
import Testing
@testable import NNRuntime

// batchnorm and layernorm against PyTorch: Fixtures/layers/{batchnorm,layernorm}.json (written
// by scripts/make_layer_fixtures.py). Each case runs in a Double plan (float64 tolerance) and a
// Float plan (float32 tolerance): the output and the gradients of L = sum(output · G); for
// batchnorm in a training plan (batch statistics, then the running statistics after the step)
// and in an inference plan (the running statistics before the step).

private struct NormalizationCase: Decodable, Sendable {
  var name: String
  var eps: Double
  var momentum: Double?
  var normalizedShape: [Int]?
  var input: FixtureTensor
  var params: [String: FixtureTensor]
  var output: FixtureTensor
  var gradOutput: FixtureTensor
  var grads: [String: FixtureTensor]
  var runningMean: FixtureTensor?
  var runningVar: FixtureTensor?
  var runningMeanAfter: FixtureTensor?
  var runningVarAfter: FixtureTensor?
  var evalOutput: FixtureTensor?
  var evalGrads: [String: FixtureTensor]?

  enum CodingKeys: String, CodingKey {
    case name, eps, momentum, input, params, output, grads
    case normalizedShape = "normalized_shape"
    case gradOutput = "grad_output"
    case runningMean = "running_mean", runningVar = "running_var"
    case runningMeanAfter = "running_mean_after", runningVarAfter = "running_var_after"
    case evalOutput = "eval_output", evalGrads = "eval_grads"
  }
}

private struct NormalizationFile: Decodable, Sendable {
  var tolerance: [String: LayerFixtureTolerance]
  var cases: [NormalizationCase]

  static func load(_ op: String) -> NormalizationFile {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/layers/\(op).json")
    do {
      return try JSONDecoder().decode(NormalizationFile.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot read \(url.path): \(error)")
    }
  }
}

private let normalizationFiles = ["batchnorm": NormalizationFile.load("batchnorm"),
                                  "layernorm": NormalizationFile.load("layernorm")]
private let normalizationCases: [String] = ["batchnorm", "layernorm"].flatMap { op in
  normalizationFiles[op]!.cases.map { "\(op)/\($0.name)" }
}

private struct NormalizationResult {
  var output: [Double]
  var grads: [String: [Double]]
  var runningMean: [Double] = []
  var runningVar: [Double] = []
}

/// Runs one case in precision T, in a training or an inference plan.
private func runNormalization<T: PlanScalar>(
  _ op: String, _ c: NormalizationCase, training: Bool, as _: T.Type
) throws -> NormalizationResult {
  let batchNorm = op == "batchnorm"
  // layernorm over the last axes only: the leading axes join the batch (the same numbers).
  var inputShape = c.input.shape
  if let normalized = c.normalizedShape {
    inputShape = [c.input.shape.reduce(1, *) / normalized.reduce(1, *)] + normalized
  }
  let geometry = NormalizationGeometry(kind: batchNorm ? .batch : .layer,
                                       shape: Array(inputShape.dropFirst()), epsilon: c.eps,
                                       momentum: c.momentum ?? 0.1)
  var shapes = [inputShape, c.params["weight"]!.shape, c.params["bias"]!.shape]
  var values = [c.input.data.map(\.value), c.params["weight"]!.data.map(\.value),
                c.params["bias"]!.data.map(\.value)]
  if batchNorm {
    shapes += [c.runningMean!.shape, c.runningVar!.shape]
    values += [c.runningMean!.data.map(\.value), c.runningVar!.data.map(\.value)]
  }
  shapes.append(inputShape)
  values.append(c.gradOutput.data.map(\.value))
  var graph = Graph()
  let nodes = shapes.enumerated().map { graph.parameter($0.offset, shape: $0.element) }
  let y = try graph.add(.normalize(geometry), Array(nodes.dropLast()))
  let loss = try graph.add(.sum(axis: nil), [try graph.add(.multiply, [y, nodes.last!])])
  let targets = Array(nodes.prefix(3))
  let gradients = try graph.differentiate(loss, withRespectTo: targets)
  let store = ParameterStore<T>(shapes: shapes)
  for (i, v) in values.enumerated() { store.assign(i, v) }
  let plan = try Plan(
    graph: graph, outputs: [y, loss],
    gradients: gradients.map { Optional($0) } + Array(repeating: nil, count: shapes.count - 3),
    parameters: store, training: training)
  var random = RandomGenerator(seed: 1)
  plan.run(random: &random)
  let buffer = plan.gradientBuffer
  func gradient(_ i: Int) -> [Double] {
    (0..<shapes[i].reduce(1, *)).map { Double(buffer[store.offsets[i] + $0]) }
  }
  var result = NormalizationResult(
    output: plan.values(y).map { Double($0) },
    grads: ["input": gradient(0), "weight": gradient(1), "bias": gradient(2)])
  if batchNorm {
    result.runningMean = store.buffer(3).map { Double($0) }
    result.runningVar = store.buffer(4).map { Double($0) }
    // No gradient reaches the running statistics.
    #expect(gradient(3).allSatisfy { $0 == 0 } && gradient(4).allSatisfy { $0 == 0 })
  }
  return result
}

private func close(_ actual: [Double], _ expected: FixtureTensor,
                   _ tolerance: LayerFixtureTolerance) -> Bool {
  let expected = expected.data.map(\.value)
  return actual.count == expected.count && zip(actual, expected).allSatisfy { a, e in
    Swift.abs(a - e) <= tolerance.atol + tolerance.rtol * Swift.abs(e)
  }
}

@Test(arguments: normalizationCases)
func normalizationLayerMatchesPyTorch(_ name: String) throws {
  let parts = name.split(separator: "/").map(String.init)
  let file = normalizationFiles[parts[0]]!
  let c = file.cases.first { $0.name == parts[1] }!
  for precision in ["float64", "float32"] {
    let tolerance = file.tolerance[precision]!
    let train = precision == "float64"
      ? try runNormalization(parts[0], c, training: true, as: Double.self)
      : try runNormalization(parts[0], c, training: true, as: Float.self)
    #expect(close(train.output, c.output, tolerance), "\(name) \(precision): output")
    for (key, expected) in c.grads {
      #expect(close(train.grads[key] ?? [], expected, tolerance),
              "\(name) \(precision): gradient of \(key)")
    }
    guard parts[0] == "batchnorm" else { continue }
    #expect(close(train.runningMean, c.runningMeanAfter!, tolerance),
            "\(name) \(precision): running mean after the step")
    #expect(close(train.runningVar, c.runningVarAfter!, tolerance),
            "\(name) \(precision): running variance after the step")
    let eval = precision == "float64"
      ? try runNormalization(parts[0], c, training: false, as: Double.self)
      : try runNormalization(parts[0], c, training: false, as: Float.self)
    #expect(close(eval.output, c.evalOutput!, tolerance), "\(name) \(precision): eval output")
    for (key, expected) in c.evalGrads! {
      #expect(close(eval.grads[key] ?? [], expected, tolerance),
              "\(name) \(precision): eval gradient of \(key)")
    }
    // An inference plan leaves the running statistics as they were.
    #expect(close(eval.runningMean, c.runningMean!, tolerance))
    #expect(close(eval.runningVar, c.runningVar!, tolerance))
  }
}

@Test func normalizationFixturesCoverEveryCase() {
  #expect(normalizationCases.count == 5)
}

/// Central differences of L = sum(y · G) against the gradient nodes, in Double.
@Test(arguments: ["batch1d", "batch2d", "layer", "batch1d-eval", "batch2d-eval"])
func normalizationGradientCheck(_ name: String) throws {
  let training = !name.hasSuffix("-eval")
  let kind: NormalizationGeometry.Kind = name.hasPrefix("batch") ? .batch : .layer
  let sample = name.hasPrefix("batch2d") ? [2, 2, 3] : name.hasPrefix("layer") ? [2, 3] : [3]
  let geometry = NormalizationGeometry(kind: kind, shape: sample)
  let batch = 4
  let x = [batch] + sample
  let p = geometry.parameterShape
  var shapes = [x, p, p]
  if kind == .batch { shapes += [p, [p[0]]] }
  shapes.append(x)
  var random = RandomGenerator(seed: 7)
  let values: [[Double]] = shapes.enumerated().map { i, shape in
    (0..<shape.reduce(1, *)).map { _ in
      let u = random.uniform() * 2 - 1
      return i == 4 ? 0.5 + abs(u) : u + (i == 1 ? 1 : 0)
    }
  }
  var graph = Graph()
  let nodes = shapes.enumerated().map { graph.parameter($0.offset, shape: $0.element) }
  let y = try graph.add(.normalize(geometry), Array(nodes.dropLast()))
  let loss = try graph.add(.sum(axis: nil), [try graph.add(.multiply, [y, nodes.last!])])
  let gradients = try graph.differentiate(loss, withRespectTo: Array(nodes.prefix(3)))
  let store = ParameterStore<Double>(shapes: shapes)
  func reset() { for (i, v) in values.enumerated() { store.assign(i, v) } }
  reset()
  let plan = try Plan(
    graph: graph, outputs: [loss],
    gradients: gradients.map { Optional($0) } + Array(repeating: nil, count: shapes.count - 3),
    parameters: store, training: training)
  var generator = RandomGenerator(seed: 1)
  plan.run(random: &generator)
  let analytic = Array(plan.gradientBuffer)
  var worst = 0.0
  for i in 0..<3 {
    for j in 0..<shapes[i].reduce(1, *) {
      func lossAt(_ delta: Double) -> Double {
        reset()
        store.buffer(i)[j] += delta
        plan.run(random: &generator)
        return plan.values(loss)[0]
      }
      let h = 1e-6
      let numeric = (lossAt(h) - lossAt(-h)) / (2 * h)
      worst = max(worst, abs(numeric - analytic[store.offsets[i] + j]))
    }
  }
  #expect(worst < 1e-6, "\(name): worst gradient error \(worst)")
}

@Test func batchnormOnABatchOfOneIsAnErrorInTraining() throws {
  let geometry = NormalizationGeometry(kind: .batch, shape: [3])
  var graph = Graph()
  let nodes = [[1, 3], [3], [3], [3], [3]].enumerated().map {
    graph.parameter($0.offset, shape: $0.element)
  }
  let y = try graph.add(.normalize(geometry), nodes)
  let store = ParameterStore<Float>(shapes: [[1, 3], [3], [3], [3], [3]])
  #expect(throws: GraphError.self) {
    _ = try Plan(graph: graph, outputs: [y], gradients: [], parameters: store, training: true)
  }
  // Inference uses the running statistics: a batch of one is fine.
  _ = try Plan(graph: graph, outputs: [y], gradients: [], parameters: store, training: false)
}
