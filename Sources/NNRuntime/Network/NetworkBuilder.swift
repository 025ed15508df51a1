/// Turns declared layers into a network: names the layers (`dense1`, …), resolves every
/// shape, creates the parameters the declarations ask for and draws their first values, and
/// lowers the whole graph once so that a mismatch is reported at the layer that causes it.
///
/// ```swift
/// var random = RandomGenerator(seed: 1)
/// let net = try NetworkBuilder.build(
///   input: [2], [Dense(units: 8, activation: .tanh), Dense(units: 1)], random: &random)
/// ```
public final class NetworkBuilder {
  /// The model's name, for messages.
  public let modelName: String
  private var counters: [String: Int] = [:]
  private var usedNames: Set<String> = []
  private var resolved = 0
  private var parameterNames: [String] = []
  private var parameterDeclarations: [ParameterDeclaration] = []

  init(modelName: String) {
    self.modelName = modelName
  }

  /// Builds a network of `layers` for samples of `input`, drawing first values from `random`
  /// (a literal value or a zeros initialiser draws nothing).
  public static func build(
    input: [Int], _ layers: [DeclaredLayer], modelName: String = "model",
    random: inout RandomGenerator
  ) throws(LayerError) -> Network {
    let builder = NetworkBuilder(modelName: modelName)
    let resolved = try builder.resolve(layers, input: input)
    return try builder.network(input: input, layers: resolved, random: &random)
  }

  /// `build` with automatic names and tags 0, 1, … in order.
  public static func build(
    input: [Int], _ layers: [any LayerDeclaration], modelName: String = "model",
    random: inout RandomGenerator
  ) throws(LayerError) -> Network {
    let declared = layers.enumerated().map { DeclaredLayer($0.element, tag: $0.offset) }
    return try build(input: input, declared, modelName: modelName, random: &random)
  }

  /// The scalars the parameters of `layers` would hold, resolved without allocating them:
  /// `Int.max` when a layer would be too large for a tensor, nil when the layers do not
  /// resolve for another reason (building them reports it).
  public static func parameterCount(
    input: [Int], _ layers: [DeclaredLayer], modelName: String = "model"
  ) -> Int? {
    let builder = NetworkBuilder(modelName: modelName)
    do {
      _ = try builder.resolve(layers, input: input)
    } catch {
      return error.code == .resourceLimit ? Int.max : nil
    }
    var total = 0
    for declaration in builder.parameterDeclarations {
      let (sum, overflow) = total.addingReportingOverflow(declaration.shape.reduce(1, *))
      total = overflow ? Int.max : sum
    }
    return total
  }

  private func network(
    input: [Int], layers: [Layer], random: inout RandomGenerator
  ) throws(LayerError) -> Network {
    let shapes = parameterDeclarations.map(\.shape)
    let total = shapes.reduce(0) { $0 + $1.reduce(1, *) }
    guard total <= Tensor.maxElements else {
      throw LayerError(.resourceLimit,
                       "the model \(modelName) would have \(total) parameters; the limit is "
                         + "\(Tensor.maxElements)", tag: layers.first?.tag)
    }
    let bytes = MemoryBudget.bytes(total, of: Float.self)
    if let refusal = MemoryBudget.refusalForCurrent("the parameters of \(modelName)",
                                                    bytes: bytes) {
      throw LayerError(.resourceLimit, refusal, tag: layers.first?.tag)
    }
    let store = ParameterStore<Float>(shapes: shapes)
    for (index, declaration) in parameterDeclarations.enumerated() {
      switch declaration.initial {
      case .values(let tensor):
        store.assign(index, tensor)
      case .drawn(let initializer, let fanIn, let fanOut):
        initializer.fill(store.pointer + store.offsets[index], count: store.count(of: index),
                         fanIn: fanIn, fanOut: fanOut, using: &random)
      }
    }
    let network = Network(inputShape: input, layers: layers, parameterNames: parameterNames,
                          parameters: store)
    // One lowering at batch size 1 checks what the per-layer rules might have missed.
    var graph = Graph()
    do {
      _ = try network.lower(into: &graph, batch: 1)
    } catch {
      throw LayerError(.shapeMismatch, error.message, tag: error.tag)
    }
    return network
  }

  /// Resolves `layers` in order against samples of `input`.
  func resolve(_ layers: [DeclaredLayer], input: [Int]) throws(LayerError) -> [Layer] {
    var shape = input
    var result: [Layer] = []
    for item in layers {
      let layer = try resolve(item, input: shape)
      result.append(layer)
      shape = layer.outputShape
    }
    return result
  }

  private func resolve(_ item: DeclaredLayer, input: [Int]) throws(LayerError) -> Layer {
    let isFirst = resolved == 0
    resolved += 1
    do {
      let name = try name(for: item)
      let context = LayerResolution(input: input, name: name, isFirst: isFirst, builder: self)
      let shape = try item.declaration.resolve(context)
      var parameters: [LayerParameter] = []
      for declaration in shape.parameters {
        parameters.append(LayerParameter(name: declaration.name, index: parameterNames.count,
                                         role: declaration.role))
        parameterNames.append("\(name).\(declaration.name)")
        parameterDeclarations.append(declaration)
      }
      return Layer(name: name, declaration: item.declaration, inputShape: input,
                   outputShape: shape.output, parameters: parameters, body: shape.body,
                   tag: item.tag)
    } catch {
      var error = error
      if error.tag == nil { error.tag = item.tag }
      throw error
    }
  }

  /// The given name, or the kind followed by its count (`dense1`, `dense2`, `relu1`).
  private func name(for item: DeclaredLayer) throws(LayerError) -> String {
    let name: String
    if let given = item.name {
      name = given
    } else {
      // Skip numbers a script already took by naming a layer `dense2` itself.
      let kind = item.declaration.kindName
      var candidate: String
      repeat {
        counters[kind, default: 0] += 1
        candidate = "\(kind)\(counters[kind]!)"
      } while usedNames.contains(candidate)
      name = candidate
    }
    guard usedNames.insert(name).inserted else {
      throw LayerError(.invalidOperation,
                       "the model \(modelName) already has a layer named '\(name)'")
    }
    return name
  }
}
