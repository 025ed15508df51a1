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
    case .spec(.normalization(let kind)):
      let name = try name(for: item, kind: kind.name)
      return try normalizationLayer(kind, name: name, input: input, location: item.location,
                                    tag: tag)
    case .spec(.conv2d(let conv)):
      let name = try name(for: item, kind: "conv2d")
      return try convolutionLayer(conv, name: name, input: input, location: item.location,
                                  tag: tag)
    case .spec(.pool(let kind, let size, let stride)):
      let name = try name(for: item, kind: kind.name)
      try imageInput(input, name: name, kind: kind.name, location: item.location)
      guard size[0] <= input[1], size[1] <= input[2] else {
        throw Diagnostic(
          code: .shapeMismatch,
          message: "\(name): the \(size[0])×\(size[1]) window is larger than the "
            + "\(input[1])×\(input[2]) input (shape \(Self.describe(input)))", at: item.location)
      }
      let geometry = PoolingGeometry(kind: kind, input: input, size: size, stride: stride)
      return Layer(name: name, kind: .pool2d(geometry), outputShape: geometry.outputShape,
                   tag: tag)
    case .spec(.embedding(let vocab, let dim)):
      let name = try name(for: item, kind: "embedding")
      return try embeddingLayer(vocab: vocab, dim: dim, name: name, input: input,
                                location: item.location, tag: tag)
    case .spec(.lstm(let units, let sequences)):
      let name = try name(for: item, kind: "lstm")
      return try lstmLayer(units: units, returnSequences: sequences, name: name, input: input,
                           location: item.location, tag: tag)
    case .spec(.flatten):
      let name = try name(for: item, kind: "flatten")
      return Layer(name: name, kind: .flatten, outputShape: [input.reduce(1, *)], tag: tag)
    case .spec(.reshape(let requested)):
      let name = try name(for: item, kind: "reshape")
      let count = input.reduce(1, *)
      var shape = requested
      let known = requested.filter { $0 != -1 }.reduce(1, *)
      if let unknown = requested.firstIndex(of: -1), known > 0, count % known == 0 {
        shape[unknown] = count / known
      }
      guard shape.allSatisfy({ $0 > 0 }), shape.reduce(1, *) == count,
        requested.filter({ $0 == -1 }).count <= 1, shape.count <= Tensor.maxRank
      else {
        throw Diagnostic(
          code: .shapeMismatch,
          message: "\(name): cannot reshape samples of shape \(Self.describe(input)) (\(count) "
            + "elements) to \(Self.describe(requested))", at: item.location)
      }
      return Layer(name: name, kind: .reshape, outputShape: shape, tag: tag)
    }
  }

  /// Checks that a layer's input samples are images `[channels, height, width]`.
  private func imageInput(
    _ input: [Int], name: String, kind: String, location: SourceSpan
  ) throws(Diagnostic) {
    guard input.count == 3 else {
      throw Diagnostic(
        code: .shapeMismatch,
        message: "\(name): a \(kind) needs samples of shape [channels, height, width], but its "
          + "input has shape \(Self.describe(input))", at: location,
        hint: input.count == 1
          ? "a flatten or dense layer before it makes vectors; give images to the model, or "
            + "reshape([channels, height, width]) first" : nil)
    }
  }

  private mutating func convolutionLayer(
    _ conv: ConvolutionSpec, name: String, input: [Int], location: SourceSpan, tag: Int
  ) throws(Diagnostic) -> Layer {
    try imageInput(input, name: name, kind: "conv2d", location: location)
    let (kh, kw) = (conv.kernel[0], conv.kernel[1])
    if !conv.same, kh > input[1] || kw > input[2] {
      throw Diagnostic(
        code: .shapeMismatch,
        message: "\(name): the \(kh)×\(kw) kernel is larger than the \(input[1])×\(input[2]) "
          + "input (shape \(Self.describe(input))) with padding \"valid\"", at: location,
        hint: "use a smaller kernel, or padding: \"same\"")
    }
    let geometry = ConvolutionGeometry(input: input, filters: conv.filters, kernel: conv.kernel,
                                       stride: conv.stride, same: conv.same)
    let weightShape = geometry.weightShape
    // The im2col scratch matrix is [in_channels · kh · kw, out_height · out_width].
    guard Self.fitsInATensor(weightShape), Self.fitsInATensor(geometry.outputShape),
      Self.fitsInATensor([input[0], kh, kw, geometry.outHeight, geometry.outWidth])
    else {
      throw Diagnostic(code: .resourceLimit,
                       message: "\(name) would need more than the \(Tensor.maxElements) "
                         + "elements a tensor may hold", at: location)
    }
    let fanIn = input[0] * kh * kw
    let fanOut = conv.filters * kh * kw
    let initializer = conv.initializer ?? (conv.activation.isReLUFamily ? .he : .xavier)
    let weight = addParameter("\(name).weight", shape: weightShape,
                              value: .initializer(initializer, fanIn: fanIn, fanOut: fanOut))
    let bias = addParameter("\(name).bias", shape: [conv.filters],
                            value: .initializer(.zeros, fanIn: fanIn, fanOut: fanOut))
    return Layer(name: name, kind: .conv2d(geometry, activation: conv.activation, weight: weight,
                                           bias: bias),
                 outputShape: geometry.outputShape, tag: tag)
  }

  private mutating func embeddingLayer(
    vocab: Int, dim: Int, name: String, input: [Int], location: SourceSpan, tag: Int
  ) throws(Diagnostic) -> Layer {
    // Token ids are the model's input: an embedding after another layer would read floats.
    guard tag == 0 else {
      throw Diagnostic(
        code: .shapeMismatch,
        message: "\(name): an embedding reads token ids, so it must be the model's first layer",
        at: location)
    }
    guard input.count == 1 else {
      throw Diagnostic(
        code: .shapeMismatch,
        message: "\(name): an embedding needs samples of token ids of shape [time], but the "
          + "input has shape \(Self.describe(input))", at: location,
        hint: "declare the model with its sequence length: model m(time) { embedding(…) … }")
    }
    let (product, overflow) = vocab.multipliedReportingOverflow(by: dim)
    guard !overflow, product <= Tensor.maxElements,
      !input[0].multipliedReportingOverflow(by: dim).overflow,
      input[0] * dim <= Tensor.maxElements
    else {
      throw Diagnostic(code: .resourceLimit,
                       message: "\(name) would need more than the \(Tensor.maxElements) "
                         + "elements a tensor may hold", at: location)
    }
    // As PyTorch's nn.Embedding: N(0, 1).
    let table = addParameter("\(name).weight", shape: [vocab, dim],
                             value: .initializer(.normal(std: 1), fanIn: vocab, fanOut: dim))
    return Layer(name: name, kind: .embedding(vocab: vocab, dim: dim, table: table),
                 outputShape: [input[0], dim], tag: tag)
  }

  private mutating func lstmLayer(
    units: Int, returnSequences: Bool, name: String, input: [Int], location: SourceSpan,
    tag: Int
  ) throws(Diagnostic) -> Layer {
    guard input.count == 2 else {
      throw Diagnostic(
        code: .shapeMismatch,
        message: "\(name): an lstm needs sequences of shape [time, features] per sample, but "
          + "its input has shape \(Self.describe(input))", at: location,
        hint: input.count == 1
          ? "declare the model as model m([time, features]), or put an embedding first"
          : nil)
    }
    let geometry = LSTMGeometry(time: input[0], features: input[1], units: units,
                                returnSequences: returnSequences)
    guard Self.fitsInATensor([4, units, input[1]]), Self.fitsInATensor([4, units, units]),
      Self.fitsInATensor([input[0], 5, units]),
      Self.fitsInATensor([input[0], input[1] + 5 * units])
    else {
      throw Diagnostic(code: .resourceLimit,
                       message: "\(name) would need more than the \(Tensor.maxElements) "
                         + "elements a tensor may hold", at: location)
    }
    // As PyTorch's nn.LSTM: every weight and bias from U(−1/√units, 1/√units).
    let k = 1 / Double(units).squareRoot()
    let initializer = Initializer.uniform(low: -k, high: k)
    let weightIH = addParameter("\(name).weight_ih", shape: geometry.inputWeightShape,
                                value: .initializer(initializer, fanIn: input[1],
                                                    fanOut: 4 * units))
    let weightHH = addParameter("\(name).weight_hh", shape: geometry.hiddenWeightShape,
                                value: .initializer(initializer, fanIn: units, fanOut: 4 * units))
    let bias = addParameter("\(name).bias", shape: [4 * units],
                            value: .initializer(initializer, fanIn: units, fanOut: 4 * units))
    return Layer(name: name, kind: .lstm(geometry, weightIH: weightIH, weightHH: weightHH,
                                         bias: bias),
                 outputShape: geometry.outputShape, tag: tag)
  }

  private mutating func denseLayer(
    _ dense: DenseSpec, name: String, input: [Int], location: SourceSpan, tag: Int
  ) throws(Diagnostic) -> Layer {
    guard let features = input.last, input.count >= 1 else {
      throw Diagnostic(code: .shapeMismatch,
                       message: "\(name) needs inputs with at least one axis", at: location)
    }
    guard input.count == 1 else {
      throw Diagnostic(code: .shapeMismatch,
                       message: "\(name): a dense layer needs samples of shape [features], but "
                         + "its input has shape \(Self.describe(input))", at: location,
                       hint: "add flatten() before it")
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

  /// `batchnorm()` over `[features]` or `[channels, height, width]` samples (per feature or
  /// channel), or `layernorm()` over any sample shape: weight (γ, ones) and bias (β, zeros),
  /// and for batchnorm the running mean (zeros) and variance (ones), which are not trained.
  private mutating func normalizationLayer(
    _ kind: NormalizationGeometry.Kind, name: String, input: [Int], location: SourceSpan,
    tag: Int
  ) throws(Diagnostic) -> Layer {
    if kind == .batch, input.count != 1, input.count != 3 {
      throw Diagnostic(
        code: .shapeMismatch,
        message: "\(name): a batchnorm needs samples of shape [features] or [channels, height, "
          + "width], but its input has shape \(Self.describe(input))", at: location,
        hint: "layernorm() normalises samples of any shape")
    }
    let geometry = NormalizationGeometry(kind: kind, shape: input)
    let shape = geometry.parameterShape
    let count = shape.reduce(1, *)
    let gamma = addParameter("\(name).weight", shape: shape,
                             value: .initializer(.constant(1), fanIn: count, fanOut: count))
    let beta = addParameter("\(name).bias", shape: shape,
                            value: .initializer(.zeros, fanIn: count, fanOut: count))
    var mean: Int?
    var variance: Int?
    if kind == .batch {
      mean = addParameter("\(name).running_mean", shape: shape,
                          value: .initializer(.zeros, fanIn: count, fanOut: count))
      variance = addParameter("\(name).running_var", shape: shape,
                              value: .initializer(.constant(1), fanIn: count, fanOut: count))
    }
    return Layer(name: name, kind: .normalization(geometry, gamma: gamma, beta: beta,
                                                  runningMean: mean, runningVariance: variance),
                 outputShape: input, tag: tag)
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

  /// Whether a buffer of `shape` stays within one tensor's element limit (without overflowing
  /// on the way), for the shapes a layer will allocate: weights, outputs, kernel scratch.
  static func fitsInATensor(_ shape: [Int]) -> Bool {
    var total = 1
    for extent in shape {
      let (product, overflow) = total.multipliedReportingOverflow(by: extent)
      guard !overflow, product <= Tensor.maxElements else { return false }
      total = product
    }
    return true
  }

  static func describe(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
  }
}
