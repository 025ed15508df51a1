import NNRuntime
import NNSyntax

extension Builtins {
  /// `init:`, `bias_init:` and `use_bias:`, which dense and conv2d share.
  private static let affineParameters: [Parameter] = [
    Parameter("init", .initializer, default: .described("he after relu, else xavier"),
              "weight initialiser"),
    Parameter("bias_init", .initializer, default: .described("zeros"), "bias initialiser"),
    .flag("use_bias", true, "whether the layer adds a bias"),
  ]

  /// `heads`, `causal:` and `dropout:`, which attention and transformer share.
  private static let heads = Parameter.required(
    "heads", .wholeNumber, "attention heads; they split the features").within(.atLeastOne) {
      "attention needs at least 1 head, not \($0)"
    }
  private static let causal = Parameter.flag("causal", false,
                                             "attend only to the same and earlier positions")
  private static let attentionDropout = Parameter.number(
    "dropout", 0, "dropout probability while training").within(.unitInterval) {
      "dropout's probability must be in [0, 1), not \($0)"
    }

  /// `units` and `return_sequences:`, which lstm and gru share.
  private static func recurrentParameters(_ kind: String) -> [Parameter] {
    [
      .required("units", .wholeNumber, "hidden size").within(.atLeastOne) {
        "\(kind) needs at least 1 unit, not \($0)"
      },
      .flag("return_sequences", false, "output every step, not only the last"),
    ]
  }

  /// Layers a model body is built from, initialisers and the activations (`activations`).
  static let layers: [Builtin] = [
    Builtin("dense", [
      .required("units", .wholeNumber, "outputs").within(.atLeastOne) {
        "dense needs at least 1 unit, not \($0)"
      },
      .optional("act", .activation, "activation"),
      .optional("weight", .tensor, "fixed [units, in] weights"),
      .optional("bias", .tensor, "fixed [units] bias"),
    ] + affineParameters, doc: BuiltinDoc(
      "layers",
      "A fully connected layer of units outputs with an optional activation, per position of "
        + "sequences.",
      "let m = model(3) { dense(4, relu, init: he); dense(1) }\n"
      + "print(m(ones(3)))"), produces: .layer) {
      (context) throws(Diagnostic) in
      var dense = Dense(units: try context.integer("units"))
      if context.has("act"), !(context.value("act")?.isNil ?? true) {
        dense.activation = try context.activation("act")
      }
      if context.has("weight") {
        dense.weight = try context.tensorLike("weight")
      }
      if context.has("bias") {
        dense.bias = try context.tensorLike("bias")
      }
      dense.affine = try context.affineParameters()
      if !dense.useBias, dense.bias != nil {
        throw context.error(.invalidArgument, "a bias was given but use_bias is false",
                            at: "bias")
      }
      return context.layer(dense, pointing: ["weight", "bias"])
    },
    Builtin("dropout", [
      .required("p", .number, "the probability of zeroing an input").within(.unitInterval) {
        "dropout's probability must be in [0, 1), not \($0)"
      },
    ], doc: BuiltinDoc(
      "layers",
      "A layer that zeroes each input with probability p while training.",
      "let m = model(4) { dense(8, relu); dropout(0.5); dense(1) }\n"
      + "summary(m)"),
            produces: .layer) { (context) throws(Diagnostic) in
      context.layer(Dropout(try context.number("p")))
    },
    Builtin("conv2d", convolutionParameters("conv2d", axes: 2), doc: BuiltinDoc(
      "layers",
      "A 2-D convolution of filters kernel-sized windows over [channels, h, w] samples.",
      "let m = model([1, 5, 5]) { conv2d(4, 3, padding: \"valid\", act: relu) }\n"
      + "summary(m)"), produces: .layer) {
      (context) throws(Diagnostic) in
      var conv = Conv2D(filters: try context.integer("filters"),
                        kernel: try context.sizePair("kernel"))
      if context.has("stride") { conv.stride = try context.sizePair("stride") }
      conv.same = try context.samePadding()
      if context.has("act"), !(context.value("act")?.isNil ?? true) {
        conv.activation = try context.activation("act")
      }
      conv.affine = try context.affineParameters()
      return context.layer(conv)
    },
    Builtin("conv1d", convolutionParameters("conv1d", axes: 1), doc: BuiltinDoc(
      "layers",
      "A 1-D convolution of filters kernel-long windows along [channels, length] samples.",
      "let m = model([2, 8]) { conv1d(4, 3, act: relu) }\n"
      + "summary(m)"), produces: .layer) {
      (context) throws(Diagnostic) in
      var conv = Conv1D(filters: try context.integer("filters"),
                        kernel: try context.integer("kernel"),
                        stride: try context.integer("stride"), same: try context.samePadding())
      if context.has("act"), !(context.value("act")?.isNil ?? true) {
        conv.activation = try context.activation("act")
      }
      conv.affine = try context.affineParameters()
      return context.layer(conv)
    },
    pooling("maxpool", .max,
            "A layer keeping the maximum of each size×size window (stride: size).",
            "let m = model([2, 4, 4]) { maxpool(2) }\nprint(m(ones(1, 2, 4, 4)).shape)"),
    pooling("avgpool", .average,
            "A layer keeping the mean of each size×size window (stride: size).",
            "let m = model([1, 4, 4]) { avgpool(2, stride: 1) }\nprint(m(ones(1, 1, 4, 4)).shape)"),
    pooling1D("maxpool1d", .max,
              "A layer keeping the maximum of each size-long window along [channels, length].",
              "let m = model([2, 6]) { maxpool1d(2) }\nprint(m(ones(1, 2, 6)).shape)"),
    pooling1D("avgpool1d", .average,
              "A layer keeping the mean of each size-long window along [channels, length].",
              "let m = model([1, 6]) { avgpool1d(3, stride: 1) }\nprint(m(ones(1, 1, 6)).shape)"),
    globalPooling("global_maxpool", .max,
                  "A layer keeping each feature's maximum over time, or each channel's over h, w.",
                  "let m = model([5, 3]) { global_maxpool() }\nprint(m(ones(2, 5, 3)).shape)"),
    globalPooling("global_avgpool", .average,
                  "A layer keeping each feature's mean over time, or each channel's over h, w.",
                  "let m = model([4, 3, 3]) { global_avgpool() }\n"
                  + "print(m(ones(2, 4, 3, 3)).shape)"),
    Builtin("embedding", [
      .required("vocab", .wholeNumber, "number of tokens").within(.atLeastOne) {
        "embedding needs a vocabulary of at least 1 token, not \($0)"
      },
      .required("dim", .wholeNumber, "vector size").within(.atLeastOne) {
        "embedding needs a dimension of at least 1, not \($0)"
      },
    ], doc: BuiltinDoc(
      "layers",
      "A first layer mapping each token id in [0, vocab) to a learned dim-vector.",
      "let m = model(3) { embedding(10, 4) }\n"
      + "print(m([[1, 2, 9]]).shape)"), produces: .layer) { (context) throws(Diagnostic) in
      context.layer(Embedding(vocab: try context.integer("vocab"),
                              dim: try context.integer("dim")))
    },
    Builtin("lstm", recurrentParameters("lstm"), doc: BuiltinDoc(
      "layers",
      "An LSTM over [time, features] samples: the last hidden state, or all with "
      + "return_sequences.",
      "let m = model([5, 2]) { lstm(8); dense(1) }\n"
      + "summary(m)"), produces: .layer) { (context) throws(Diagnostic) in
      let units = try context.integer("units")
      let sequences = try context.bool("return_sequences")
      return context.layer(LSTM(units: units, returnSequences: sequences))
    },
    Builtin("gru", recurrentParameters("gru"), doc: BuiltinDoc(
      "layers",
      "A GRU (nn.GRU) over [time, features] samples: the last hidden state, or all with "
      + "return_sequences.",
      "let m = model([5, 2]) { gru(8); dense(1) }\n"
      + "summary(m)"), produces: .layer) { (context) throws(Diagnostic) in
      let units = try context.integer("units")
      let sequences = try context.bool("return_sequences")
      return context.layer(GRU(units: units, returnSequences: sequences))
    },
    Builtin("flatten", [], doc: BuiltinDoc(
      "layers",
      "A layer turning each sample into one vector, as a dense layer needs.",
      "let m = model([2, 3, 3]) { flatten(); dense(1) }\n"
      + "summary(m)"), produces: .layer) { (context) throws(Diagnostic) in
      context.layer(Flatten())
    },
    Builtin("batchnorm", [], doc: BuiltinDoc(
      "layers",
      "A layer normalising each feature or channel by batch, else running, statistics.",
      "let m = model(4) { dense(8); batchnorm(); relu; dense(1) }\n"
      + "summary(m)"), produces: .layer) { (context) throws(Diagnostic) in
      context.layer(Normalization(.batch))
    },
    Builtin("layernorm", [], doc: BuiltinDoc(
      "layers",
      "A layer normalising each sample over its whole shape, then a learned per-element scale "
      + "and shift.",
      "let m = model(4) { dense(8); layernorm(); tanh; dense(1) }\n"
      + "summary(m)"), produces: .layer) { (context) throws(Diagnostic) in
      context.layer(Normalization(.layer))
    },
    Builtin("attention", [heads, causal, attentionDropout], doc: BuiltinDoc(
      "layers",
      "Multi-head self-attention over [time, features] samples, as PyTorch's "
      + "MultiheadAttention.",
      "let m = model(6) { embedding(10, 8); attention(2, causal: true) }\n"
      + "summary(m)"), produces: .layer) { (context) throws(Diagnostic) in
      context.layer(Attention(heads: try context.integer("heads"),
                              causal: try context.bool("causal"),
                              dropout: try context.number("dropout")))
    },
    Builtin("transformer", [
      heads,
      .required("hidden", .wholeNumber, "width of the feed-forward block").within(.atLeastOne) {
        "a transformer needs a hidden width of at least 1, not \($0)"
      },
      attentionDropout, causal,
      .flag("norm_first", false, "layer norm before each sub-block, not after its sum"),
      Parameter("act", .activation, default: .described("relu"), "feed-forward activation"),
    ], doc: BuiltinDoc(
      "layers",
      "One transformer encoder block, as PyTorch's TransformerEncoderLayer.",
      "let m = model(6) { embedding(10, 8); positional(6); transformer(2, 16) }\n"
      + "summary(m)"), produces: .layer) { (context) throws(Diagnostic) in
      var block = Transformer(heads: try context.integer("heads"),
                              hidden: try context.integer("hidden"),
                              dropout: try context.number("dropout"),
                              causal: try context.bool("causal"),
                              normFirst: try context.bool("norm_first"))
      if context.has("act"), !(context.value("act")?.isNil ?? true) {
        block.activation = try context.activation("act")
      }
      return context.layer(block)
    },
    Builtin("positional", [
      .required("max_length", .wholeNumber, "the longest sequence").within(.atLeastOne) {
        "positional needs a max_length of at least 1, not \($0)"
      },
    ], doc: BuiltinDoc(
      "layers",
      "A layer adding a learned vector per position to [time, features] samples.",
      "let m = model(5) { embedding(10, 4); positional(16) }\n"
      + "print(m.positional1.weight.shape)"), produces: .layer) { (context) throws(Diagnostic) in
      context.layer(Positional(maxLength: try context.integer("max_length")))
    },
    Builtin("he", [], doc: BuiltinDoc(
      "initialisers",
      "The He-normal initialiser, N(0, 2/fan_in), for init: or bias_init:.",
      "let m = model(2) { dense(4, relu, "
      + "init: he) }"), produces: .initializer) { (_) throws(Diagnostic) in
      .object(InitializerObject(.he))
    },
    Builtin("xavier", [], doc: BuiltinDoc(
      "initialisers",
      "The Xavier-uniform initialiser, U(±√(6/(fan_in + fan_out))).",
      "let m = model(2) { dense(4, tanh, "
      + "init: xavier) }"), produces: .initializer) { (_) throws(Diagnostic) in
      .object(InitializerObject(.xavier))
    },
    Builtin("normal", Initializer.normalHyperparameters.map(Parameter.init), doc: BuiltinDoc(
      "initialisers",
      "An initialiser drawing from N(0, std²), std 0.01 when bare.",
      "let m = model(2) { dense(4, init: normal(0.1)) }"),
            produces: .initializer) { (context) throws(Diagnostic) in
      .object(InitializerObject(.normal(std: try context.number("std"))))
    },
    Builtin("uniform", Initializer.uniformHyperparameters.map(Parameter.init), doc: BuiltinDoc(
      "initialisers",
      "An initialiser drawing from U(low, high), ±0.05 when bare.",
      "let m = model(2) { dense(4, "
      + "init: uniform(-0.1, 0.1)) }"), produces: .initializer) { (context) throws(Diagnostic) in
      let low = try context.number("low")
      let high = try context.number("high")
      guard low <= high else {
        throw context.error(.invalidArgument, "uniform needs low ≤ high")
      }
      return .object(InitializerObject(.uniform(low: low, high: high)))
    },
    Builtin("constant", Initializer.constantHyperparameters.map {
      .required($0.name, .number, $0.summary)
    }, doc: BuiltinDoc(
      "initialisers",
      "An initialiser that sets every value to one number.",
      "let m = model(2) { dense(4, bias_init: constant(0.1)) }\n"
      + "print(m.dense1.bias)"),
            produces: .initializer) { (context) throws(Diagnostic) in
      .object(InitializerObject(.constant(try context.number("value"))))
    },
  ] + activations

  /// The parameters of `conv2d` (`axes: 2`: kernel and stride a number or a pair) and `conv1d`
  /// (`axes: 1`: whole numbers), one list for both: filters, kernel, stride, padding, act and
  /// the affine parameters.
  private static func convolutionParameters(_ name: String, axes: Int) -> [Parameter] {
    let window: [Parameter] = axes == 1 ? [
      .required("kernel", .wholeNumber, "window length").within(.atLeastOne),
      .whole("stride", 1, .atLeastOne, "step between windows"),
    ] : [
      .required("kernel", .any, "window: a whole number or [height, width]"),
      Parameter("stride", .any, default: .number(1), "a whole number or [y, x]"),
    ]
    return [
      .required("filters", .wholeNumber, "output channels").within(.atLeastOne) {
        "\(name) needs at least 1 filter, not \($0)"
      },
    ] + window + [
      Parameter("padding", .string, default: .string("same"), "\"same\" or \"valid\""),
      .optional("act", .activation, "activation"),
    ] + affineParameters
  }

  /// The parameters of the pooling layers: `size` and `stride` (the size unless given), a
  /// number or a pair `[y, x]` over two axes, whole numbers over one.
  private static func poolingParameters(axes: Int) -> [Parameter] {
    axes == 1 ? [
      .required("size", .wholeNumber, "window length").within(.atLeastOne),
      Parameter("stride", .wholeNumber, default: .described("size"), range: .atLeastOne,
                "step between windows"),
    ] : [
      .required("size", .any, "window: a whole number or [height, width]"),
      Parameter("stride", .any, default: .described("size"), "a whole number or [y, x]"),
    ]
  }

  /// `maxpool(size, stride: size)` and `avgpool(size, stride: size)`.
  private static func pooling(
    _ name: String, _ kind: PoolingGeometry.Kind, _ summary: String, _ example: String
  ) -> Builtin {
    Builtin(name, poolingParameters(axes: 2), doc: BuiltinDoc("layers", summary, example),
            produces: .layer) { (context) throws(Diagnostic) in
      let size = try context.sizePair("size")
      let stride = context.has("stride") ? try context.sizePair("stride") : size
      return context.layer(Pool2D(kind, size: size, stride: stride))
    }
  }

  /// `maxpool1d(size, stride: size)` and `avgpool1d(size, stride: size)`.
  private static func pooling1D(
    _ name: String, _ kind: PoolingGeometry.Kind, _ summary: String, _ example: String
  ) -> Builtin {
    Builtin(name, poolingParameters(axes: 1), doc: BuiltinDoc("layers", summary, example),
            produces: .layer) { (context) throws(Diagnostic) in
      let size = try context.integer("size")
      let stride = context.has("stride") ? try context.integer("stride") : size
      return context.layer(Pool1D(kind, size: size, stride: stride))
    }
  }

  /// `global_maxpool()` and `global_avgpool()`.
  private static func globalPooling(
    _ name: String, _ kind: PoolingGeometry.Kind, _ summary: String, _ example: String
  ) -> Builtin {
    Builtin(name, [], doc: BuiltinDoc("layers", summary, example), produces: .layer) {
      (context) throws(Diagnostic) in
      context.layer(GlobalPool(kind))
    }
  }

  /// One built-in per activation, generated from the runtime's declarations
  /// (NNRuntime/Graph/Activations.swift).
  static let activations: [Builtin] = Activation.all.map(activation)

  /// The built-in of one activation: on a number or a tensor it computes (the op's kernel), on
  /// a traced tensor it adds a node, and without a tensor (`leaky_relu(alpha: 0.2)`, or the
  /// bare name) it is a layer.
  private static func activation(_ activation: Activation) -> Builtin {
    let declared = activation.declaration
    var parameters: [Parameter] = [.optional("t", .tensor, "input; without it the call is a layer")]
    if declared.rowWise { parameters.append(.whole("axis", -1, "the axis that sums to 1")) }
    if let p = declared.parameter { parameters.append(.number(p.name, p.fallback, p.help)) }
    return Builtin(declared.name, parameters,
                   doc: BuiltinDoc("activations", declared.summary, declared.example),
                   produces: .activation) { (context) throws(Diagnostic) in
      let value = try declared.parameter.map { (p) throws(Diagnostic) in
        try context.number(p.name)
      }
      let made = declared.activation(value)
      if declared.rowWise { return try rowWise(made, context) }
      guard context.value("t") != nil else { return context.layer(ActivationLayer(made)) }
      return try context.apply(.activation(made), to: ["t"])
    }
  }

  /// A row-wise activation (softmax), which takes an axis: the last one when traced or a
  /// layer, any one eagerly.
  private static func rowWise(
    _ activation: Activation, _ context: CallContext
  ) throws(Diagnostic) -> Value {
    let axis = try context.integer("axis")
    guard let value = context.value("t") else {
      guard axis == -1 else {
        throw context.error(.invalidArgument, "a \(activation.name) layer runs over the last "
                              + "axis, so its axis is -1, not \(axis)", at: "axis")
      }
      return context.layer(ActivationLayer(activation))
    }
    if let traced = value.symbolic {
      guard axis == -1 || axis == traced.shape.count - 1 else {
        throw context.error(.invalidOperation,
                            "a traced \(activation.name) runs over the last axis only", at: "axis")
      }
      return try context.trace(.activation(activation), [traced])
    }
    let t = try context.tensorLike("t")
    return .tensor(try context.runtime { () throws(TensorError) in try t.softmax(axis: axis) })
  }
}

extension CallContext {
  /// A layer declaration made at this call; errors about the `pointing` arguments (a literal
  /// `weight:` of the wrong shape) point at them.
  func layer(_ declaration: any LayerDeclaration, pointing: [String] = []) -> Value {
    var ranges: [String: SourceRange] = [:]
    for name in pointing { ranges[name] = bound[name]?.range }
    return .object(LayerSpecObject(declaration, at: SourceSpan(source: source, range: callRange),
                                   argumentRanges: ranges))
  }

  /// A window size or stride: one positive whole number for both axes, or a pair [y, x].
  func sizePair(_ name: String) throws(Diagnostic) -> [Int] {
    let value = try require(name)
    var numbers: [Double] = []
    switch value {
    case .number(let x): numbers = [x, x]
    case .tensor(let t) where t.rank == 1 && t.count == 2: numbers = t.scalars.map(Value.element)
    case .list(let items) where items.count == 2:
      for item in items {
        guard case .number(let x) = item else { numbers = []; break }
        numbers.append(x)
      }
    default: break
    }
    guard numbers.count == 2 else {
      throw error(.typeMismatch, "\(name) is a whole number or a pair [height, width], not "
                    + ValueFormatter.describe(value), at: name)
    }
    var result: [Int] = []
    for x in numbers {
      guard let n = Self.exactInteger(x), n >= 1 else {
        let subject = "\(builtin.name)'s \(name)"
        let message = Self.isTooLarge(x)
          ? Self.notAnInteger(subject, x)
          : "\(subject) must be a whole number ≥ 1, not " + formatNumber(x)
        throw error(.invalidArgument, message, at: name)
      }
      result.append(n)
    }
    return result
  }

  /// `act:` — an activation built-in (`tanh`), an activation layer (`leaky_relu(alpha: 0.2)`)
  /// or its name as a string.
  func activation(_ name: String) throws(Diagnostic) -> Activation {
    let value = try require(name)
    switch value {
    case .builtin(let builtin):
      if let activation = Activation.named(builtin.name) { return activation }
    case .object(let layer as LayerSpecObject):
      if let layer = layer.declaration as? ActivationLayer { return layer.activation }
    case .string(let text):
      if let activation = Activation.named(text) { return activation }
      let hint = Suggestions.nearest(to: text, in: Activation.names)
      throw error(.undefinedName, "unknown activation \"\(text)\"", at: name,
                  hint: hint.map { "did you mean \"\($0)\"?" })
    default:
      break
    }
    let names = Activation.names.joined(separator: ", ")
    throw error(.typeMismatch,
                "the activation must be one of \(names), not \(ValueFormatter.describe(value))",
                at: name)
  }

  /// `init:` — `he`, `xavier`, `zeros`, `ones`, or an initialiser value.
  func initializer(_ name: String) throws(Diagnostic) -> Initializer {
    let value = try require(name)
    switch value {
    case .object(let object as InitializerObject): return object.initializer
    case .builtin(let builtin):
      switch builtin.name {
      case "he": return .he
      case "xavier": return .xavier
      case "zeros": return .zeros
      case "ones": return .constant(1)
      // The bare initialisers with their declared defaults (`Initializer`'s declarations).
      case "normal": return .normal(std: Initializer.normalHyperparameters[0].defaultValue)
      case "uniform":
        let bounds = Initializer.uniformHyperparameters.map(\.defaultValue)
        return .uniform(low: bounds[0], high: bounds[1])
      default: break
      }
    case .number(let x):
      return .constant(x)
    default:
      break
    }
    throw error(.typeMismatch,
                "an initialiser is he, xavier, normal(std), uniform(low, high), zeros or "
                  + "constant(v), not \(ValueFormatter.describe(value))", at: name)
  }
}

extension Value {
  /// A list, or a tensor with one axis: what `reshape(shape)` takes as a layer.
  var isShapeLike: Bool {
    switch self {
    case .list: true
    case .tensor(let t): t.rank == 1
    default: false
    }
  }
}

extension CallContext {
  /// `padding:` of conv2d and conv1d: true for "same" (the default), false for "valid".
  func samePadding() throws(Diagnostic) -> Bool {
    guard has("padding") else { return true }
    switch try string("padding") {
    case "same": return true
    case "valid": return false
    case let other:
      throw error(.invalidArgument, "padding is \"same\" or \"valid\", not \"\(other)\"",
                  at: "padding")
    }
  }

  /// The `init:`, `bias_init:` and `use_bias:` of dense and conv2d.
  func affineParameters() throws(Diagnostic) -> AffineParameters {
    var affine = AffineParameters(useBias: try bool("use_bias"))
    if has("init") { affine.initializer = try initializer("init") }
    if has("bias_init") { affine.biasInitializer = try initializer("bias_init") }
    return affine
  }
}
