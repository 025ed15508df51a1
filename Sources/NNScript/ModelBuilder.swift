import NNRuntime
import NNSyntax

/// Turns a `model` body into a network: runs its layer statements, names the layers, infers
/// every shape, creates and initialises the parameters, and checks the whole graph once so that
/// a shape mismatch is reported at the layer that causes it.
struct ModelBuilder {
  /// A layer as the body produced it, before shapes and parameters.
  struct Pending {
    enum Kind {
      case spec(LayerSpecObject.Spec)
      case residual([Pending])
    }

    var name: String?
    var kind: Kind
    var location: SourceSpan
  }

  let modelName: String
  let inputShape: [Int]
  private var counters: [String: Int] = [:]
  private var usedNames: Set<String> = []
  private var parameterShapes: [[Int]] = []
  private var parameterNames: [String] = []
  /// How each parameter gets its first values: a literal tensor or an initialiser with fans.
  private var parameterValues: [ParameterValue] = []
  private(set) var tagLocations: [SourceSpan] = []

  enum ParameterValue {
    case literal(Tensor)
    case initializer(Initializer, fanIn: Int, fanOut: Int)
  }

  init(modelName: String, inputShape: [Int]) {
    self.modelName = modelName
    self.inputShape = inputShape
  }

  /// Builds the network, drawing initial values from `random`.
  mutating func build(
    _ pending: [Pending], random: inout RandomGenerator
  ) throws(Diagnostic) -> Network {
    let layers = try resolve(pending, input: inputShape)
    let total = parameterShapes.reduce(0) { $0 + $1.reduce(1, *) }
    guard total <= Tensor.maxElements else {
      throw Diagnostic(code: .resourceLimit,
                       message: "the model \(modelName) would have \(total) parameters; the limit "
                         + "is \(Tensor.maxElements)", at: tagLocations.first)
    }
    let store = ParameterStore<Float>(shapes: parameterShapes)
    for (index, value) in parameterValues.enumerated() {
      switch value {
      case .literal(let tensor):
        store.assign(index, tensor)
      case .initializer(let initializer, let fanIn, let fanOut):
        initializer.fill(store.pointer + store.offsets[index],
                         count: parameterShapes[index].reduce(1, *), fanIn: fanIn,
                         fanOut: fanOut, using: &random)
      }
    }
    let network = Network(inputShape: inputShape, layers: layers, parameterNames: parameterNames,
                          parameters: store)
    // One lowering at batch size 1 checks what the per-layer rules above might have missed.
    var graph = Graph()
    do {
      _ = try network.lower(into: &graph, batch: 1)
    } catch {
      throw diagnostic(for: error)
    }
    return network
  }

  /// A graph error as a diagnostic at the layer it came from.
  func diagnostic(for error: GraphError) -> Diagnostic {
    let location = error.tag.flatMap { $0 < tagLocations.count ? tagLocations[$0] : nil }
    return Diagnostic(code: .shapeMismatch, message: error.message, at: location)
  }

  // MARK: - Layers

  private mutating func resolve(_ pending: [Pending], input: [Int]) throws(Diagnostic) -> [Layer] {
    var shape = input
    var layers: [Layer] = []
    for item in pending {
      let layer = try resolve(item, input: shape)
      layers.append(layer)
      shape = layer.outputShape
    }
    return layers
  }

  private mutating func resolve(_ item: Pending, input: [Int]) throws(Diagnostic) -> Layer {
    let tag = tagLocations.count
    tagLocations.append(item.location)
    switch item.kind {
    case .residual(let body):
      let name = try name(for: item, kind: "residual")
      let layers = try resolve(body, input: input)
      let output = layers.last?.outputShape ?? input
      guard output == input else {
        throw Diagnostic(
          code: .shapeMismatch,
          message: "residual \(name): the body turns shape \(Self.describe(input)) into "
            + "\(Self.describe(output)), but input + body(input) needs the shape kept",
          at: item.location)
      }
      return Layer(name: name, kind: .residual(layers), outputShape: input, tag: tag)
    case .spec(.activation(let activation)):
      let name = try name(for: item, kind: activation.name)
      return Layer(name: name, kind: .activation(activation), outputShape: input, tag: tag)
    case .spec(.dropout(let p)):
      let name = try name(for: item, kind: "dropout")
      return Layer(name: name, kind: .dropout(p), outputShape: input, tag: tag)
    case .spec(.dense(let dense)):
      let name = try name(for: item, kind: "dense")
      return try denseLayer(dense, name: name, input: input, location: item.location, tag: tag)
    }
  }

  private mutating func denseLayer(
    _ dense: DenseSpec, name: String, input: [Int], location: SourceSpan, tag: Int
  ) throws(Diagnostic) -> Layer {
    guard let features = input.last, input.count >= 1 else {
      throw Diagnostic(code: .shapeMismatch,
                       message: "\(name) needs inputs with at least one axis", at: location)
    }
    let weightShape = [dense.units, features]
    guard dense.units.multipliedReportingOverflow(by: features).partialValue <= Tensor.maxElements,
      !dense.units.multipliedReportingOverflow(by: features).overflow
    else {
      throw Diagnostic(code: .resourceLimit,
                       message: "\(name) would need a \(dense.units) × \(features) weight, more "
                         + "than the \(Tensor.maxElements) elements a tensor may hold",
                       at: location)
    }
    if let weight = dense.weight, weight.shape != weightShape {
      throw Diagnostic(
        code: .shapeMismatch,
        message: "\(name): the weight has shape \(Self.describe(weight.shape)) but the layer "
          + "needs [units, inputs] = \(Self.describe(weightShape))",
        at: dense.weightRange.map { SourceSpan(source: location.source, range: $0) } ?? location,
        hint: "row i of the weight holds the weights into unit i")
    }
    if let bias = dense.bias, bias.shape != [dense.units] {
      throw Diagnostic(
        code: .shapeMismatch,
        message: "\(name): the bias has shape \(Self.describe(bias.shape)) but the layer has "
          + "\(dense.units) units, so it needs [\(dense.units)]",
        at: dense.biasRange.map { SourceSpan(source: location.source, range: $0) } ?? location)
    }
    let initializer = dense.initializer ?? (dense.activation.isReLUFamily ? .he : .xavier)
    let weightIndex = addParameter(
      "\(name).weight", shape: weightShape,
      value: dense.weight.map(ParameterValue.literal)
        ?? .initializer(initializer, fanIn: features, fanOut: dense.units))
    var biasIndex: Int?
    if dense.useBias {
      biasIndex = addParameter(
        "\(name).bias", shape: [dense.units],
        value: dense.bias.map(ParameterValue.literal)
          ?? .initializer(dense.biasInitializer, fanIn: features, fanOut: dense.units))
    }
    let output = Array(input.dropLast()) + [dense.units]
    return Layer(name: name, kind: .dense(units: dense.units, activation: dense.activation,
                                          weight: weightIndex, bias: biasIndex),
                 outputShape: output, tag: tag)
  }

  private mutating func addParameter(
    _ name: String, shape: [Int], value: ParameterValue
  ) -> Int {
    parameterNames.append(name)
    parameterShapes.append(shape)
    parameterValues.append(value)
    return parameterNames.count - 1
  }

  /// The given name, or the kind followed by its count (`dense1`, `dense2`, `relu1`).
  private mutating func name(for item: Pending, kind: String) throws(Diagnostic) -> String {
    let name: String
    if let given = item.name {
      name = given
    } else {
      // Skip numbers a script already took by naming a layer `dense2` itself.
      var candidate: String
      repeat {
        counters[kind, default: 0] += 1
        candidate = "\(kind)\(counters[kind]!)"
      } while usedNames.contains(candidate)
      name = candidate
    }
    guard usedNames.insert(name).inserted else {
      throw Diagnostic(code: .invalidOperation,
                       message: "the model \(modelName) already has a layer named '\(name)'",
                       at: item.location)
    }
    return name
  }

  static func describe(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
  }
}
