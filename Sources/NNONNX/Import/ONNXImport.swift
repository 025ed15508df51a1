import NNRuntime

/// An nn model read from an ONNX graph that nn did not write (a `torch.onnx.export` of an
/// `nn.Sequential`, say): its input shape, one declared layer per run of nodes that maps onto
/// an nn layer, and the parameters those layers take from the graph's initialisers.
///
/// The graph is read as a chain: every node takes the value the one before produced (plus
/// constants), as a sequential model's graph does. A few multi-node forms are recognised as
/// the one layer they are: a bias Add after a MatMul, GELU's erf formula, SiLU's
/// `x · sigmoid(x)`, and the batch-first wrapping of an LSTM or GRU node (a Transpose in, a
/// Squeeze and Transpose out, the zero initial state built from the batch size, and a Gather
/// of the last step). Anything else is an `ONNXError` naming the node.
public struct ONNXImport: Sendable {
  /// Shape of one input sample (the graph input's shape without its batch axis).
  public private(set) var inputShape: [Int] = []
  /// The layers, named as nn names them (`dense1`, `lstm1`).
  public private(set) var layers: [DeclaredLayer] = []
  /// The layers' parameters by the network's names (`dense1.weight`).
  public private(set) var parameters: [String: Tensor] = [:]

  /// What a value of the graph is to the chain.
  private enum Symbol {
    /// The chain's current value, `[batch] + sample`.
    case main
    /// An integer vector computed from the batch size (a shape, for an initial state).
    case batchDerived
    /// A zero tensor of a batch-derived shape (an initial recurrent state).
    case zeros
    /// The current value with batch and time swapped, `[time, batch, features]`.
    case timeMajor
    /// A recurrent node's every-step output `[time, 1, batch, units]` (its layer's index).
    case steps(Int)
    /// `steps` without the direction axis: `[time, batch, units]`.
    case stepsTimeMajor(Int)
    /// `steps` as `[batch, time, 1, units]`.
    case stepsBatchFirst(Int)
    /// A recurrent node's last state `[1, batch, units]`.
    case lastState(Int)
    /// GELU in the making: x / √2, erf of it, 1 + that, x · that (of the value `base`).
    case gelu(stage: Int, base: String)
  }

  private struct Pending {
    var declaration: any LayerDeclaration
    var parameters: [String: Tensor]
  }

  private var pending: [Pending] = []
  private var symbols: [String: Symbol] = [:]
  /// The name of the chain's current value.
  private var current = ""
  /// Its sample shape (the value's shape without the batch axis).
  private var sample: [Int] = []
  /// The value before the last layer was added (SiLU's `x` in `x · sigmoid(x)`).
  private var previous = ""
  /// A global pool's output still carries ONNX's two unit axes `[c, 1, 1]`, which nn's
  /// `[c]` has not; the Flatten or Reshape that follows removes them.
  private var unitAxes = false
  private let file: ONNXFile

  /// Reads `file`'s graph as nn layers.
  public init(_ file: ONNXFile) throws(ONNXError) {
    self.file = file
    guard file.graphInputs.count == 1, let input = file.graphInputs.first else {
      throw ONNXError(.unsupported,
                      "its graph has \(file.graphInputs.count) inputs; nn models take one")
    }
    guard file.graphOutputs.count == 1, let output = file.graphOutputs.first else {
      throw ONNXError(.unsupported,
                      "its graph has \(file.graphOutputs.count) outputs; nn models give one")
    }
    inputShape = try Self.sampleShape(input)
    current = input.name
    previous = input.name
    sample = inputShape
    symbols[input.name] = .main
    for node in file.nodes { try read(node) }
    guard output.name == current, case .main? = symbols[current], !unitAxes else {
      throw ONNXError(.unsupported,
                      "its output '\(output.name)' is not the end of a chain of layers nn "
                        + "can rebuild")
    }
    guard !pending.isEmpty else {
      throw ONNXError(.unsupported, "its graph has no layers nn can rebuild")
    }
    name(foldActivations(pending))
  }

  /// The graph input's shape without its first (batch) axis, every extent a number.
  private static func sampleShape(_ input: Onnx_ValueInfoProto) throws(ONNXError) -> [Int] {
    guard case .tensorType(let tensor)? = input.type.value, tensor.hasShape,
      tensor.shape.dim.count >= 2
    else {
      throw ONNXError(.unsupported,
                      "its input '\(input.name)' has no shape [batch, ...] nn can read")
    }
    var shape: [Int] = []
    for dimension in tensor.shape.dim.dropFirst() {
      guard case .dimValue(let extent)? = dimension.value, extent > 0,
        extent <= Tensor.maxElements
      else {
        throw ONNXError(.unsupported,
                        "its input '\(input.name)' has a symbolic or empty axis after the "
                          + "batch axis; nn needs every sample's shape")
      }
      shape.append(Int(extent))
    }
    guard shape.count <= 3, LayerResolution.fitsInATensor(shape) else {
      throw ONNXError(.unsupported, "its input '\(input.name)' has too many axes for nn")
    }
    return shape
  }

  // MARK: - Naming

  /// Dense and convolution layers take the activation that follows them, as a script would
  /// write them (`dense(8, relu)`).
  private func foldActivations(_ layers: [Pending]) -> [Pending] {
    var folded: [Pending] = []
    for layer in layers {
      if let activation = (layer.declaration as? ActivationLayer)?.activation,
        var last = folded.last {
        if var dense = last.declaration as? Dense, dense.activation == .identity {
          dense.activation = activation
          last.declaration = dense
        } else if var conv = last.declaration as? Conv2D, conv.activation == .identity {
          conv.activation = activation
          last.declaration = conv
        } else if var conv = last.declaration as? Conv1D, conv.activation == .identity {
          conv.activation = activation
          last.declaration = conv
        } else {
          folded.append(layer)
          continue
        }
        folded[folded.count - 1] = last
        continue
      }
      folded.append(layer)
    }
    return folded
  }

  /// Names the layers as nn's automatic names (`dense1`, `dense2`, `relu1`) and files their
  /// parameters under them.
  private mutating func name(_ layers: [Pending]) {
    var counts: [String: Int] = [:]
    for layer in layers {
      let kind = layer.declaration.kindName
      counts[kind, default: 0] += 1
      let name = "\(kind)\(counts[kind]!)"
      self.layers.append(DeclaredLayer(layer.declaration, name: name))
      for (parameter, tensor) in layer.parameters { parameters["\(name).\(parameter)"] = tensor }
    }
  }

  // MARK: - Nodes

  private mutating func read(_ node: Onnx_NodeProto) throws(ONNXError) {
    guard node.domain.isEmpty || node.domain == "ai.onnx" else {
      throw unsupported(node, "is in domain '\(node.domain)'")
    }
    switch node.opType {
    case "Identity":
      try advance(node, input: try chainInput(node))
    case "Dropout":
      _ = try chainInput(node)
      let ratio = node.input.count > 1 ? file.tensors[node.input[1]]?.scalars.first : nil
      let p = Double(ratio ?? 0.5)
      guard p >= 0, p < 1 else { throw unsupported(node, "drops a ratio \(p) outside [0, 1)") }
      try add(node, Dropout(p), keeping: true)
    case "Relu": try activation(node, .relu)
    case "Sigmoid": try activation(node, .sigmoid)
    case "Tanh": try activation(node, .tanh)
    case "LeakyRelu":
      try activation(node, .leakyRelu(alpha: Double(floatAttribute(node, "alpha") ?? 0.01)))
    case "Elu":
      try activation(node, .elu(alpha: Double(floatAttribute(node, "alpha") ?? 1)))
    case "Softmax":
      let axis = intAttribute(node, "axis") ?? -1
      guard axis == -1 || axis == sample.count else {
        throw unsupported(node, "takes a softmax along axis \(axis); nn's softmax is along "
                            + "the last axis")
      }
      try activation(node, .softmax)
    case "Gemm": try gemm(node)
    case "MatMul": try matmul(node)
    case "Add": try addNode(node)
    case "Mul", "Div", "Erf": try geluOrSilu(node)
    case "Conv": try convolution(node)
    case "MaxPool", "AveragePool": try pooling(node)
    case "GlobalAveragePool", "GlobalMaxPool":
      _ = try chainInput(node)
      guard sample.count == 3 else { throw unsupported(node, "needs an image input") }
      try add(node, GlobalPool(node.opType == "GlobalMaxPool" ? .max : .average),
              output: [sample[0]])
      unitAxes = true
    case "ReduceMean", "ReduceMax": try reduction(node)
    case "Flatten": try flatten(node)
    case "Reshape": try reshape(node)
    case "BatchNormalization": try batchNorm(node)
    case "LayerNormalization": try layerNorm(node)
    case "Shape", "Unsqueeze", "Concat", "Cast", "Squeeze", "Transpose", "Gather",
      "ConstantOfShape":
      try shaping(node)
    case "LSTM", "GRU": try recurrent(node)
    default:
      throw unsupported(node, "has no nn layer",
                        hint: "nn imports Gemm, MatMul(+Add), Conv, MaxPool, AveragePool, "
                          + "GlobalAveragePool, Flatten, Reshape, BatchNormalization, "
                          + "LayerNormalization, Dropout, Gather (embedding), LSTM, GRU and "
                          + "the activations Relu, Sigmoid, Tanh, LeakyRelu, Elu, Softmax, "
                          + "GELU and SiLU")
    }
  }

  private func unsupported(
    _ node: Onnx_NodeProto, _ clause: String, hint: String? = nil
  ) -> ONNXError {
    let label = node.name.isEmpty ? node.opType : "\(node.opType) '\(node.name)'"
    return ONNXError(.unsupported, "node \(label) \(clause)", hint: hint)
  }

  /// The node's first input, which must be the chain's current value.
  private func chainInput(_ node: Onnx_NodeProto) throws(ONNXError) -> String {
    guard let input = node.input.first, !input.isEmpty else {
      throw unsupported(node, "has no input")
    }
    guard input == current, case .main? = symbols[input] else {
      throw unsupported(node, "reads '\(input)', which is not the value the node before "
                          + "produced; nn rebuilds chains of layers (as nn.Sequential), not "
                          + "graphs that branch")
    }
    if unitAxes, node.opType != "Flatten", node.opType != "Reshape" {
      throw unsupported(node, "follows a global pool without a Flatten")
    }
    return input
  }

  /// The node's output becomes the chain's current value, of sample shape `output`.
  private mutating func advance(
    _ node: Onnx_NodeProto, input: String, output shape: [Int]? = nil
  ) throws(ONNXError) {
    guard node.output.count >= 1, !node.output[0].isEmpty else {
      throw unsupported(node, "has no output")
    }
    previous = input
    current = node.output[0]
    symbols[current] = .main
    if let shape { sample = shape }
  }

  /// Adds a layer reading the current value and makes the node's output the current value.
  private mutating func add(
    _ node: Onnx_NodeProto, _ declaration: any LayerDeclaration,
    parameters: [String: Tensor] = [:], output: [Int]? = nil, keeping: Bool = false
  ) throws(ONNXError) {
    let input = current
    pending.append(Pending(declaration: declaration, parameters: parameters))
    try advance(node, input: input, output: keeping ? sample : output)
  }

  private mutating func activation(
    _ node: Onnx_NodeProto, _ activation: Activation
  ) throws(ONNXError) {
    _ = try chainInput(node)
    try add(node, ActivationLayer(activation), keeping: true)
  }

  // MARK: - Attributes and constants

  private func attribute(_ node: Onnx_NodeProto, _ name: String) -> Onnx_AttributeProto? {
    node.attribute.first { $0.name == name }
  }

  private func intAttribute(_ node: Onnx_NodeProto, _ name: String) -> Int? {
    attribute(node, name).map { Int(clamping: $0.i) }
  }

  private func intsAttribute(_ node: Onnx_NodeProto, _ name: String) -> [Int]? {
    attribute(node, name).map { $0.ints.map { Int(clamping: $0) } }
  }

  private func floatAttribute(_ node: Onnx_NodeProto, _ name: String) -> Float? {
    attribute(node, name).map(\.f)
  }

  /// The float initialiser or constant at input `index` of `node`, not empty.
  private func constant(_ node: Onnx_NodeProto, _ index: Int) throws(ONNXError) -> Tensor {
    guard index < node.input.count, let tensor = file.tensors[node.input[index]] else {
      throw unsupported(node, "takes a computed value as input \(index + 1); nn needs a "
                          + "weight stored in the file there")
    }
    guard tensor.count > 0 else {
      throw unsupported(node, "takes an empty tensor as input \(index + 1)")
    }
    return tensor
  }

  /// The optional float constant at input `index` (nil when the input is omitted).
  private func optionalConstant(
    _ node: Onnx_NodeProto, _ index: Int
  ) throws(ONNXError) -> Tensor? {
    guard index < node.input.count, !node.input[index].isEmpty else { return nil }
    return try constant(node, index)
  }

  /// The integer constant at input `index`.
  private func integers(_ node: Onnx_NodeProto, _ index: Int) throws(ONNXError) -> [Int] {
    guard index < node.input.count, let values = file.integers[node.input[index]] else {
      throw unsupported(node, "takes a computed shape or axes as input \(index + 1)")
    }
    return values
  }

  private func check(
    _ node: Onnx_NodeProto, _ tensor: Tensor, is shape: [Int], _ what: String
  ) throws(ONNXError) {
    guard tensor.shape == shape else {
      throw unsupported(node, "has a \(what) of shape \(shapeText(tensor.shape)) where "
                          + "\(shapeText(shape)) fits its input \(shapeText(sample))")
    }
  }

  /// `tensor` `[rows, columns]` transposed.
  private static func transposed(_ tensor: Tensor) -> Tensor {
    let (rows, columns) = (tensor.shape[0], tensor.shape[1])
    let scalars = tensor.scalars
    var result = [Float](repeating: 0, count: scalars.count)
    for row in 0..<rows {
      for column in 0..<columns { result[column * rows + row] = scalars[row * columns + column] }
    }
    return Tensor(shape: [columns, rows], scalars: result)
  }

  // MARK: - Dense

  private mutating func gemm(_ node: Onnx_NodeProto) throws(ONNXError) {
    _ = try chainInput(node)
    guard sample.count == 1 else {
      throw unsupported(node, "multiplies samples of shape \(shapeText(sample)); Gemm is "
                          + "for vectors")
    }
    guard (intAttribute(node, "transA") ?? 0) == 0, (floatAttribute(node, "alpha") ?? 1) == 1,
      (floatAttribute(node, "beta") ?? 1) == 1
    else {
      throw unsupported(node, "has transA, alpha or beta set; nn's dense computes x·Wᵀ + b")
    }
    var weight = try constant(node, 1)
    guard weight.shape.count == 2 else {
      throw unsupported(node, "has a weight that is not a matrix")
    }
    if (intAttribute(node, "transB") ?? 0) == 0 { weight = Self.transposed(weight) }
    let units = weight.shape[0]
    try check(node, weight, is: [units, sample[0]], "weight")
    var parameters = ["weight": weight]
    if var bias = try optionalConstant(node, 2) {
      if bias.shape == [1, units] { bias = Tensor(shape: [units], scalars: bias.scalars) }
      try check(node, bias, is: [units], "bias")
      parameters["bias"] = bias
    }
    try add(node, Dense(units: units, initializer: .zeros, useBias: parameters["bias"] != nil),
            parameters: parameters, output: [units])
  }

  private mutating func matmul(_ node: Onnx_NodeProto) throws(ONNXError) {
    _ = try chainInput(node)
    let matrix = try constant(node, 1)
    guard matrix.shape.count == 2, sample.count == 1 || sample.count == 2,
      matrix.shape[0] == sample.last
    else {
      throw unsupported(node, "multiplies \(shapeText(sample)) samples by a "
                          + "\(shapeText(matrix.shape)) constant; nn's dense needs "
                          + "[features, units] after [features] or [time, features]")
    }
    let units = matrix.shape[1]
    try add(node, Dense(units: units, initializer: .zeros, useBias: false),
            parameters: ["weight": Self.transposed(matrix)],
            output: Array(sample.dropLast()) + [units])
  }

  /// An Add of a constant to the output of a dense layer without a bias: its bias.
  private mutating func addNode(_ node: Onnx_NodeProto) throws(ONNXError) {
    if try geluStage(node) { return }
    guard node.input.count == 2 else { throw unsupported(node, "does not add two values") }
    let chain = node.input[0] == current ? 0 : 1
    let other = 1 - chain
    guard node.input[chain] == current, case .main? = symbols[current],
      let bias = file.tensors[node.input[other]], var dense = pending.last?.declaration as? Dense,
      !dense.useBias, previous != current
    else {
      throw unsupported(node, "adds values nn has no layer for; nn reads an Add only as the "
                          + "bias after a MatMul")
    }
    let units = dense.units
    let vector = Tensor(shape: [bias.count], scalars: bias.scalars)
    guard bias.count == units, bias.shape.allSatisfy({ $0 == 1 || $0 == units }) else {
      throw unsupported(node, "adds a \(shapeText(bias.shape)) constant to \(units) units")
    }
    dense.useBias = true
    pending[pending.count - 1].declaration = dense
    pending[pending.count - 1].parameters["bias"] = vector
    try advance(node, input: previous)
  }

  // MARK: - GELU and SiLU

  /// `Mul`, `Div` and `Erf` nodes: the steps of GELU's erf formula, SiLU's product, or (for
  /// anything else) an error.
  private mutating func geluOrSilu(_ node: Onnx_NodeProto) throws(ONNXError) {
    if try geluStage(node) { return }
    // SiLU: x · sigmoid(x) right after the Sigmoid of x.
    if node.opType == "Mul", node.input.count == 2, Set(node.input) == [previous, current],
      previous != current,
      (pending.last?.declaration as? ActivationLayer)?.activation == .sigmoid {
      pending[pending.count - 1].declaration = ActivationLayer(.silu)
      try advance(node, input: previous)
      return
    }
    throw unsupported(node, "computes arithmetic nn has no layer for",
                      hint: "nn recognises GELU's erf formula and SiLU's x·sigmoid(x)")
  }

  /// Advances GELU's formula by `node` when it is its next step: returns whether it was.
  private mutating func geluStage(_ node: Onnx_NodeProto) throws(ONNXError) -> Bool {
    guard node.output.count == 1, !node.output[0].isEmpty else { return false }
    func scalar(_ index: Int) -> Float? {
      guard index < node.input.count, let tensor = file.tensors[node.input[index]],
        tensor.count == 1
      else { return nil }
      return tensor.scalars[0]
    }
    func near(_ value: Float?, _ target: Float) -> Bool {
      value.map { abs($0 - target) <= 1e-6 * max(1, abs(target)) } ?? false
    }
    func stage(_ index: Int) -> (Int, String)? {
      guard index < node.input.count, case .gelu(let stage, let base)? = symbols[node.input[index]]
      else { return nil }
      return (stage, base)
    }
    let output = node.output[0]
    let found = stage(0) ?? stage(1)
    switch node.opType {
    case "Div" where node.input.first == current && near(scalar(1), Float(2.0.squareRoot())),
      "Mul" where node.input.first == current && near(scalar(1), Float(0.5.squareRoot())):
      guard case .main? = symbols[current], !unitAxes else { return false }
      symbols[output] = .gelu(stage: 1, base: current)
    case "Erf":
      guard let found, found.0 == 1 else { return false }
      symbols[output] = .gelu(stage: 2, base: found.1)
    case "Add":
      guard let found, found.0 == 2, near(scalar(0), 1) || near(scalar(1), 1) else {
        return false
      }
      symbols[output] = .gelu(stage: 3, base: found.1)
    case "Mul":
      guard let found, found.1 == current else { return false }
      if found.0 == 3, node.input.contains(current) {
        symbols[output] = .gelu(stage: 4, base: current)
      } else if found.0 == 4, near(scalar(0), 0.5) || near(scalar(1), 0.5) {
        pending.append(Pending(declaration: ActivationLayer(.gelu), parameters: [:]))
        try advance(node, input: current)
      } else {
        return false
      }
    default:
      return false
    }
    return true
  }

  // MARK: - Convolution and pooling

  private mutating func convolution(_ node: Onnx_NodeProto) throws(ONNXError) {
    _ = try chainInput(node)
    let weight = try constant(node, 1)
    let bias = try optionalConstant(node, 2)
    let kernel = Array(weight.shape.dropFirst(2))
    let spatial = kernel.count
    guard spatial == 1 || spatial == 2, sample.count == spatial + 1,
      weight.shape[1] == sample[0]
    else {
      throw unsupported(node, "convolves \(shapeText(sample)) samples with a "
                          + "\(shapeText(weight.shape)) kernel; nn has conv1d over [channels, "
                          + "length] and conv2d over [channels, height, width]")
    }
    guard (intAttribute(node, "group") ?? 1) == 1,
      (intsAttribute(node, "dilations") ?? []).allSatisfy({ $0 == 1 }),
      (attribute(node, "auto_pad").map { String(decoding: $0.s, as: UTF8.self) } ?? "NOTSET")
        == "NOTSET"
    else {
      throw unsupported(node, "uses groups, dilation or auto_pad, which nn's convolutions "
                          + "do not have")
    }
    let strides = intsAttribute(node, "strides") ?? Array(repeating: 1, count: spatial)
    let pads = intsAttribute(node, "pads") ?? Array(repeating: 0, count: 2 * spatial)
    guard strides.count == spatial, pads.count == 2 * spatial, strides.allSatisfy({ $0 > 0 }),
      kernel.allSatisfy({ $0 > 0 })
    else { throw unsupported(node, "has strides or pads that do not fit its kernel") }
    let filters = weight.shape[0]
    // As an image [c, 1, length] for a 1-D convolution, as nn computes it.
    let image = spatial == 1 ? [sample[0], 1, sample[1]] : sample
    let kernel2 = spatial == 1 ? [1, kernel[0]] : kernel
    let stride2 = spatial == 1 ? [1, strides[0]] : strides
    let same = ConvolutionGeometry(input: image, filters: filters, kernel: kernel2,
                                   stride: stride2, same: true)
    let samePads: [Int] = {
      let bottom = max((same.outHeight - 1) * stride2[0] + kernel2[0] - image[1], 0)
        - same.padTop
      let right = max((same.outWidth - 1) * stride2[1] + kernel2[1] - image[2], 0)
        - same.padLeft
      return spatial == 1 ? [same.padLeft, right] : [same.padTop, same.padLeft, bottom, right]
    }()
    let isSame: Bool
    if pads.allSatisfy({ $0 == 0 }) && samePads != pads {
      isSame = false
      guard zip(image.dropFirst(), kernel2).allSatisfy({ $0 >= $1 }) else {
        throw unsupported(node, "has a kernel larger than its input")
      }
    } else if pads == samePads {
      isSame = true
    } else {
      throw unsupported(node, "pads \(pads); nn's convolutions pad \"valid\" (none) or "
                          + "\"same\" (\(samePads) here)")
    }
    let geometry = ConvolutionGeometry(input: image, filters: filters, kernel: kernel2,
                                       stride: stride2, same: isSame)
    var parameters = ["weight": weight]
    if let bias {
      try check(node, bias, is: [filters], "bias")
      parameters["bias"] = bias
    }
    let declaration: any LayerDeclaration = spatial == 1
      ? Conv1D(filters: filters, kernel: kernel[0], stride: strides[0], same: isSame,
               initializer: .zeros, useBias: bias != nil)
      : Conv2D(filters: filters, kernel: kernel, stride: strides, same: isSame,
               initializer: .zeros, useBias: bias != nil)
    let output = spatial == 1 ? [filters, geometry.outWidth]
      : [filters, geometry.outHeight, geometry.outWidth]
    try add(node, declaration, parameters: parameters, output: output)
  }

  private mutating func pooling(_ node: Onnx_NodeProto) throws(ONNXError) {
    _ = try chainInput(node)
    guard let kernel = intsAttribute(node, "kernel_shape"), kernel.count == 1 || kernel.count == 2,
      sample.count == kernel.count + 1, kernel.allSatisfy({ $0 > 0 })
    else {
      throw unsupported(node, "pools \(shapeText(sample)) samples in a way nn has no layer "
                          + "for")
    }
    let strides = intsAttribute(node, "strides") ?? Array(repeating: 1, count: kernel.count)
    guard (intsAttribute(node, "pads") ?? []).allSatisfy({ $0 == 0 }),
      (intAttribute(node, "ceil_mode") ?? 0) == 0,
      (intsAttribute(node, "dilations") ?? []).allSatisfy({ $0 == 1 }),
      (attribute(node, "auto_pad").map { String(decoding: $0.s, as: UTF8.self) } ?? "NOTSET")
        == "NOTSET",
      strides.count == kernel.count, strides.allSatisfy({ $0 > 0 })
    else {
      throw unsupported(node, "pads, dilates or rounds up; nn's pools have no padding and "
                          + "round down")
    }
    let extents = Array(sample.dropFirst())
    guard zip(extents, kernel).allSatisfy({ $0 >= $1 }) else {
      throw unsupported(node, "has a window larger than its input")
    }
    let output = [sample[0]] + zip(zip(extents, kernel), strides).map { pair, stride in
      (pair.0 - pair.1) / stride + 1
    }
    let kind: PoolingGeometry.Kind = node.opType == "MaxPool" ? .max : .average
    let declaration: any LayerDeclaration = kernel.count == 1
      ? Pool1D(kind, size: kernel[0], stride: strides[0])
      : Pool2D(kind, size: kernel, stride: strides)
    try add(node, declaration, output: output)
  }

  private mutating func reduction(_ node: Onnx_NodeProto) throws(ONNXError) {
    _ = try chainInput(node)
    var axes = intsAttribute(node, "axes") ?? []
    if attribute(node, "axes") == nil, node.input.count > 1 { axes = try integers(node, 1) }
    let keep = intAttribute(node, "keepdims") ?? 1
    let rank = sample.count + 1
    let normalized = axes.map { $0 < 0 ? $0 + rank : $0 }.sorted()
    let wanted = sample.count == 2 ? [1] : sample.count == 3 ? [2, 3] : []
    guard normalized == wanted, keep == 0 else {
      throw unsupported(node, "reduces axes \(axes); nn's global pools reduce a sequence's "
                          + "time or an image's plane, without keeping them")
    }
    let last = sample.count == 2 ? sample[1] : sample[0]
    try add(node, GlobalPool(node.opType == "ReduceMax" ? .max : .average), output: [last])
  }

  // MARK: - Shapes

  private mutating func flatten(_ node: Onnx_NodeProto) throws(ONNXError) {
    _ = try chainInput(node)
    guard (intAttribute(node, "axis") ?? 1) == 1 else {
      throw unsupported(node, "flattens from an axis other than 1; nn keeps the batch axis")
    }
    if unitAxes || sample.count == 1 {
      unitAxes = false
      try advance(node, input: current)
      return
    }
    try add(node, Flatten(), output: [sample.reduce(1, *)])
  }

  private mutating func reshape(_ node: Onnx_NodeProto) throws(ONNXError) {
    _ = try chainInput(node)
    let shape = try integers(node, 1)
    let count = sample.reduce(1, *)
    guard let first = shape.first, first == 0 || first == -1 else {
      throw unsupported(node, "reshapes to \(shape) without keeping the batch axis")
    }
    var target = Array(shape.dropFirst())
    for (axis, extent) in target.enumerated() where extent == 0 {
      guard axis + 1 < sample.count + 1 else { throw unsupported(node, "copies a missing axis") }
      target[axis] = sample[axis]
    }
    let known = target.filter { $0 != -1 }.reduce(1, *)
    if target.contains(-1) {
      guard target.filter({ $0 == -1 }).count == 1, known > 0, count % known == 0,
        first != -1
      else { throw unsupported(node, "reshapes to \(shape), which nn cannot follow") }
      target = target.map { $0 == -1 ? count / known : $0 }
    }
    guard target.allSatisfy({ $0 > 0 }), target.reduce(1, *) == count, target.count <= 3 else {
      throw unsupported(node, "reshapes \(shapeText(sample)) samples to \(shape)")
    }
    if unitAxes {
      guard target == sample else { throw unsupported(node, "reshapes a global pool's output") }
      unitAxes = false
    }
    if target == sample {
      try advance(node, input: current)
    } else if target.count == 1 {
      try add(node, Flatten(), output: target)
    } else {
      try add(node, Reshape(target), output: target)
    }
  }

  // MARK: - Normalisation

  private func epsilonIsNNs(_ node: Onnx_NodeProto) -> Bool {
    let epsilon = floatAttribute(node, "epsilon") ?? 1e-5
    return abs(Double(epsilon) - 1e-5) <= 1e-9
  }

  private mutating func batchNorm(_ node: Onnx_NodeProto) throws(ONNXError) {
    _ = try chainInput(node)
    guard sample.count == 1 || sample.count == 3 else {
      throw unsupported(node, "normalises \(shapeText(sample)) samples; nn's batchnorm takes "
                          + "[features] or [channels, height, width]")
    }
    guard epsilonIsNNs(node), (intAttribute(node, "training_mode") ?? 0) == 0 else {
      throw unsupported(node, "has an epsilon other than nn's 1e-5, or training mode")
    }
    var parameters: [String: Tensor] = [:]
    for (index, name) in ["weight", "bias", "running_mean", "running_var"].enumerated() {
      let tensor = try constant(node, index + 1)
      try check(node, tensor, is: [sample[0]], name)
      parameters[name] = tensor
    }
    try add(node, Normalization(.batch), parameters: parameters, keeping: true)
  }

  private mutating func layerNorm(_ node: Onnx_NodeProto) throws(ONNXError) {
    _ = try chainInput(node)
    let rank = sample.count + 1
    let axis = intAttribute(node, "axis") ?? -1
    guard (axis < 0 ? axis + rank : axis) == 1 else {
      throw unsupported(node, "normalises the last \(axis < 0 ? -axis : rank - axis) axes "
                          + "of \(shapeText(sample)) samples; nn's layernorm normalises a "
                          + "whole sample")
    }
    guard epsilonIsNNs(node) else {
      throw unsupported(node, "has an epsilon other than nn's 1e-5")
    }
    let scale = try constant(node, 1)
    try check(node, scale, is: sample, "scale")
    let shift = try optionalConstant(node, 2)
      ?? Tensor(shape: sample, scalars: [Float](repeating: 0, count: scale.count))
    try check(node, shift, is: sample, "bias")
    try add(node, Normalization(.layer), parameters: ["weight": scale, "bias": shift],
            keeping: true)
  }

  // MARK: - Embedding, recurrence and their shape plumbing

  /// Shape plumbing: the batch-size arithmetic of an initial state, an embedding's Gather,
  /// and the transposes, squeezes and step selection around a recurrent node.
  private mutating func shaping(_ node: Onnx_NodeProto) throws(ONNXError) {
    guard let output = node.output.first, !output.isEmpty else {
      throw unsupported(node, "has no output")
    }
    let inputs = node.input.map { symbols[$0] }
    switch (node.opType, inputs.first ?? nil) {
    case ("Shape", .main?) where node.input[0] == current:
      symbols[output] = .batchDerived
      return
    case ("Gather", .batchDerived?), ("Unsqueeze", .batchDerived?), ("Cast", .batchDerived?),
      ("Squeeze", .batchDerived?):
      symbols[output] = .batchDerived
      return
    case ("Concat", _) where node.input.contains(where: { symbols[$0] != nil })
      && node.input.allSatisfy({
        if case .batchDerived? = symbols[$0] { return true }
        return file.integers[$0] != nil
      }):
      symbols[output] = .batchDerived
      return
    case ("ConstantOfShape", .batchDerived?):
      let value = attribute(node, "value").map { $0.hasT ? $0.t : Onnx_TensorProto() }
      let zero = try value.map { proto throws(ONNXError) -> Bool in
        guard case .floats(let tensor) = try ONNXFile.decode(proto, name: node.name) else {
          return false
        }
        return tensor.scalars.allSatisfy { $0 == 0 }
      } ?? true
      guard zero else { throw unsupported(node, "fills a state with a value other than 0") }
      symbols[output] = .zeros
      return
    case ("Gather", nil) where node.input.count == 2 && node.input[1] == current:
      try embedding(node)
      return
    case ("Gather", .main?) where node.input[0] == current:
      try lastStep(node)
      return
    case ("Transpose", .main?) where node.input[0] == current
      && intsAttribute(node, "perm") == [1, 0, 2] && sample.count == 2:
      symbols[output] = .timeMajor
      return
    case ("Squeeze", .steps(let layer)?)
      where (try? squeezeAxes(node)) == [1]:
      symbols[output] = .stepsTimeMajor(layer)
      return
    case ("Transpose", .steps(let layer)?) where intsAttribute(node, "perm") == [2, 0, 1, 3]:
      symbols[output] = .stepsBatchFirst(layer)
      return
    case ("Transpose", .stepsTimeMajor(let layer)?) where intsAttribute(node, "perm") == [1, 0, 2]:
      try steps(node, layer: layer)
      return
    case ("Squeeze", .lastState(let layer)?) where (try? squeezeAxes(node)) == [0]:
      try lastState(node, layer: layer)
      return
    default:
      break
    }
    if node.opType == "Reshape", case .stepsBatchFirst(let layer)? = inputs.first ?? nil {
      try steps(node, layer: layer)
      return
    }
    throw unsupported(node, "reshapes values in a way nn has no layer for")
  }

  private func squeezeAxes(_ node: Onnx_NodeProto) throws(ONNXError) -> [Int] {
    if let axes = intsAttribute(node, "axes") { return axes }
    return try integers(node, 1)
  }

  private mutating func embedding(_ node: Onnx_NodeProto) throws(ONNXError) {
    let table = try constant(node, 0)
    guard pending.isEmpty, current == file.graphInputs.first?.name, sample.count == 1,
      table.shape.count == 2, (intAttribute(node, "axis") ?? 0) == 0
    else {
      throw unsupported(node, "looks up rows of a table other than as a first embedding layer "
                          + "over [time] token ids")
    }
    try add(node, Embedding(vocab: table.shape[0], dim: table.shape[1]),
            parameters: ["weight": table], output: [sample[0], table.shape[1]])
  }

  /// `out[:, -1, :]` after a recurrent layer that returns its every step: the layer returns
  /// its last step instead.
  private mutating func lastStep(_ node: Onnx_NodeProto) throws(ONNXError) {
    let index = try integers(node, 1)
    guard (intAttribute(node, "axis") ?? 0) == 1, index.count == 1,
      index[0] == -1 || index[0] == sample.first.map({ $0 - 1 }),
      file.integerShapes[node.input[1]] == [], sample.count == 2,
      let layer = pending.indices.last, setReturnsSequences(layer, false)
    else {
      throw unsupported(node, "selects along an axis; nn reads a Gather of the chain only as "
                          + "the last step of an LSTM or GRU")
    }
    try advance(node, input: current, output: [sample[1]])
  }

  /// Sets a recurrent layer's `return_sequences`; false when the layer is not one.
  private mutating func setReturnsSequences(_ index: Int, _ value: Bool) -> Bool {
    switch pending[index].declaration {
    case var lstm as LSTM:
      lstm.returnSequences = value
      pending[index].declaration = lstm
    case var gru as GRU:
      gru.returnSequences = value
      pending[index].declaration = gru
    default:
      return false
    }
    return true
  }

  private func units(_ layer: Int) -> Int {
    (pending[layer].declaration as? LSTM)?.units ?? (pending[layer].declaration as? GRU)?.units
      ?? 0
  }

  /// Every step's state, batch first: the current value, `[time, units]` samples.
  private mutating func steps(_ node: Onnx_NodeProto, layer: Int) throws(ONNXError) {
    if node.opType == "Reshape" {
      guard try integers(node, 1) == [0, 0, -1] else {
        throw unsupported(node, "reshapes a recurrent output in a way nn cannot follow")
      }
    }
    guard layer == pending.count - 1 else {
      throw unsupported(node, "reads a recurrent layer's output after other layers")
    }
    let time = sample[0]
    try advance(node, input: current, output: [time, units(layer)])
  }

  private mutating func lastState(_ node: Onnx_NodeProto, layer: Int) throws(ONNXError) {
    guard layer == pending.count - 1, setReturnsSequences(layer, false) else {
      throw unsupported(node, "reads a recurrent layer's state after other layers")
    }
    try advance(node, input: current, output: [units(layer)])
  }

  private mutating func recurrent(_ node: Onnx_NodeProto) throws(ONNXError) {
    guard let x = node.input.first, case .timeMajor? = symbols[x] else {
      throw unsupported(node, "does not read a batch-first sequence moved behind time "
                          + "(Transpose perm [1, 0, 2]), as nn's sequences are")
    }
    let isLSTM = node.opType == "LSTM"
    let gates = isLSTM ? 4 : 3
    let direction = attribute(node, "direction").map { String(decoding: $0.s, as: UTF8.self) }
    guard direction == nil || direction == "forward", (intAttribute(node, "layout") ?? 0) == 0,
      attribute(node, "clip") == nil, attribute(node, "activations") == nil,
      (intAttribute(node, "input_forget") ?? 0) == 0
    else {
      throw unsupported(node, "is bidirectional, clipped, coupled or has other activations; "
                          + "nn's \(isLSTM ? "lstm" : "gru") runs forward with the standard "
                          + "gates")
    }
    if !isLSTM, intAttribute(node, "linear_before_reset") != 1 {
      throw unsupported(node, "resets before the recurrent product (linear_before_reset 0); "
                          + "nn's gru is PyTorch's (linear_before_reset 1)")
    }
    for index in 4..<min(node.input.count, isLSTM ? 8 : 6) where !node.input[index].isEmpty {
      let name = node.input[index]
      let zeroState: Bool
      if case .zeros? = symbols[name] {
        zeroState = true
      } else {
        zeroState = index > 4 && file.tensors[name]?.scalars.allSatisfy { $0 == 0 } == true
      }
      guard zeroState else {
        throw unsupported(node, "takes sequence lengths, an initial state or peepholes; nn's "
                            + "recurrent layers start from zeros and read whole sequences")
      }
    }
    let w = try constant(node, 1)
    let r = try constant(node, 2)
    let b = try optionalConstant(node, 3)
    guard let parts = ONNXFile.recurrentParts(w, r, b, gates: gates),
      w.shape[2] == sample[1], intAttribute(node, "hidden_size").map({ $0 * gates == w.shape[1] })
        ?? true
    else {
      throw unsupported(node, "has weights of shapes \(shapeText(w.shape)) and "
                          + "\(shapeText(r.shape)) that do not fit \(shapeText(sample)) "
                          + "sequences")
    }
    let units = w.shape[1] / gates
    let parameters = isLSTM
      ? RecurrentGates.lstmParameters(w: parts.w, r: parts.r, b: parts.b)
      : RecurrentGates.gruParameters(w: parts.w, r: parts.r, b: parts.b)
    let declaration: any LayerDeclaration = isLSTM
      ? LSTM(units: units, returnSequences: true) : GRU(units: units, returnSequences: true)
    pending.append(Pending(declaration: declaration, parameters: parameters))
    let layer = pending.count - 1
    if node.output.count > 0, !node.output[0].isEmpty { symbols[node.output[0]] = .steps(layer) }
    if node.output.count > 1, !node.output[1].isEmpty {
      symbols[node.output[1]] = .lastState(layer)
    }
    // The chain continues from the outputs; until one of them is read back into a
    // [batch, …] value, nothing is current.
    previous = current
    current = ""
  }
}
