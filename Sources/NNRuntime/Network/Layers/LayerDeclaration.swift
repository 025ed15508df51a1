/// What one kind of layer is, declared once: the arguments it was written with, the
/// parameters it owns (names, shapes, PyTorch's first values, roles), the shape it gives
/// samples of a shape (or the error why not), the graph ops it lowers to, its FLOPs, its
/// summary line, and its entry in a saved model description.
///
/// A protocol rather than a closed enum, so that a new layer is one new file holding one
/// conforming type (plus its line in `LayerDeclarations.all`, the one list a description
/// decoder needs because Swift cannot enumerate conformances): no switch elsewhere names it.
public protocol LayerDeclaration: Sendable {
  /// The word automatic names count with (`dense` → `dense1`, `dense2`).
  var kindName: String { get }
  /// The declaration as written: `dense(8, tanh)`, `maxpool([2, 2])`.
  var declarationText: String { get }
  /// The `"kind"` values of a model description this type reads.
  static var descriptionKinds: [String] { get }
  /// Whether plans compiled for training compute something else (dropout, batch statistics).
  var differsInTraining: Bool { get }

  /// The per-sample output shape for `context.input` and the parameters the layer owns,
  /// or the error naming why samples of that shape do not fit.
  func resolve(_ context: LayerResolution) throws(LayerError) -> LayerShape
  /// Adds the layer's ops after `input`; returns the pre-activation and the output node.
  func lower(
    _ layer: Layer, from input: NodeID, into lowering: inout LayerLowering
  ) throws(GraphError) -> (z: NodeID, a: NodeID)
  /// Floating-point operations for one sample's forward pass (a multiply-add counts two).
  func flops(of layer: Layer) -> Int
  /// The summary line: `dense(8, tanh)`, `conv2d(8, 3, same, relu)`.
  func summary(of layer: Layer) -> String
  /// The layer's fields in a model description, `"kind"` included (not `"name"`).
  func describe(_ layer: Layer, into fields: inout [String: JSONValue])
  /// The declaration a model description's fields hold (`fields.kind` is one of
  /// `descriptionKinds`).
  static func decode(_ fields: LayerFields) throws(LayerDescription.Failure) -> Self
}

extension LayerDeclaration {
  public var differsInTraining: Bool { false }
  public func summary(of layer: Layer) -> String { declarationText }
}

/// The per-sample output shape of a resolved layer, its parameters and a block's body.
public struct LayerShape: Sendable {
  /// Shape of one output sample.
  public var output: [Int]
  /// The parameters to create, in order.
  public var parameters: [ParameterDeclaration]
  /// A block's resolved layers.
  public var body: [Layer]

  /// Makes a resolution result.
  public init(output: [Int], parameters: [ParameterDeclaration] = [], body: [Layer] = []) {
    self.output = output
    self.parameters = parameters
    self.body = body
  }
}

/// A parameter a layer declares: its name within the layer, shape, first values and role.
public struct ParameterDeclaration: Sendable {
  /// How the first values are made.
  public enum Initial: Sendable {
    /// These values (a literal `weight:` or `bias:`).
    case values(Tensor)
    /// Drawn by an initialiser with these fans.
    case drawn(Initializer, fanIn: Int, fanOut: Int)
  }

  /// The name within the layer: `weight`, `bias`, `weight_ih`, `running_mean`.
  public var name: String
  /// The parameter's shape.
  public var shape: [Int]
  /// Its first values.
  public var initial: Initial
  /// Whether it is a weight (l2), trained otherwise, or a buffer.
  public var role: ParameterRole

  /// Makes a parameter declaration.
  public init(_ name: String, shape: [Int], initial: Initial, role: ParameterRole) {
    self.name = name
    self.shape = shape
    self.initial = initial
    self.role = role
  }

  /// A parameter of `shape` filled with one value (a role other than weight).
  public static func constant(
    _ name: String, shape: [Int], value: Double, role: ParameterRole
  ) -> ParameterDeclaration {
    let count = shape.reduce(1, *)
    return ParameterDeclaration(
      name, shape: shape,
      initial: .drawn(value == 0 ? .zeros : .constant(value), fanIn: count, fanOut: count),
      role: role)
  }
}

/// Why a layer cannot be resolved: a clause naming the layer, and what the host needs to
/// place it (the layer's tag, and the argument at fault when there is one).
public struct LayerError: Error, Sendable {
  /// What kind of failure.
  public enum Code: Sendable {
    /// Samples of the input's shape do not fit the layer (or a literal has the wrong shape).
    case shapeMismatch
    /// A tensor the layer needs would exceed `Tensor.maxElements`.
    case resourceLimit
    /// The declaration itself is unusable (a second layer with a name).
    case invalidOperation
  }

  /// What kind of failure.
  public var code: Code
  /// The message, naming the layer.
  public var message: String
  /// A suggestion, when there is one.
  public var hint: String?
  /// The argument at fault (`weight`), when it is one.
  public var argument: String?
  /// The tag of the layer at fault (set by the builder).
  public var tag: Int?

  /// Makes an error.
  public init(
    _ code: Code, _ message: String, hint: String? = nil, argument: String? = nil,
    tag: Int? = nil
  ) {
    self.code = code
    self.message = message
    self.hint = hint
    self.argument = argument
    self.tag = tag
  }

  /// A layer that would need a tensor past the element limit.
  public static func tooLarge(_ name: String) -> LayerError {
    LayerError(.resourceLimit,
               "\(name) would need more than the \(Tensor.maxElements) elements a tensor may "
                 + "hold")
  }
}

/// What a declaration resolves against: the input shape, the layer's name, whether it is the
/// model's first layer, and the builder (for a block's body).
public struct LayerResolution {
  /// Shape of one input sample.
  public let input: [Int]
  /// The layer's name.
  public let name: String
  /// Whether this is the first layer the model resolves (an embedding must be).
  public let isFirst: Bool
  let builder: NetworkBuilder

  /// Resolves a block's body against samples of `input`.
  public func resolve(_ body: [DeclaredLayer], input: [Int]) throws(LayerError) -> [Layer] {
    try builder.resolve(body, input: input)
  }

  /// Whether a tensor of `shape` stays within one tensor's element limit (without
  /// overflowing on the way), for what a layer will allocate: weights, outputs, scratch.
  public static func fitsInATensor(_ shape: [Int]) -> Bool {
    var total = 1
    for extent in shape {
      let (product, overflow) = total.multipliedReportingOverflow(by: extent)
      guard !overflow, product <= Tensor.maxElements else { return false }
      total = product
    }
    return true
  }

  /// Checks that samples are images `[channels, height, width]`.
  public func imageInput(kind: String) throws(LayerError) {
    guard input.count == 3 else {
      throw LayerError(
        .shapeMismatch,
        "\(name): a \(kind) needs samples of shape [channels, height, width], but its input "
          + "has shape \(shapeText(input))",
        hint: input.count == 1
          ? "a flatten or dense layer before it makes vectors; give images to the model, or "
            + "reshape([channels, height, width]) first" : nil)
    }
  }
}

/// The graph a network is lowered into, with a node per parameter.
public struct LayerLowering {
  /// The graph being built.
  public var graph: Graph
  /// One node per parameter of the network, in parameter order.
  public let parameterNodes: [NodeID]
  /// Inner values layers ask `trace` to show, in the order they were lowered.
  public var shown: [ShownNode] = []

  /// The node of `layer`'s parameter `name` (an error for a layer made without it).
  public func parameter(_ layer: Layer, _ name: String) throws(GraphError) -> NodeID {
    guard let index = layer.parameterIndex(name), index < parameterNodes.count else {
      throw GraphError(message: "\(layer.name) has no parameter '\(name)'", tag: layer.tag)
    }
    return parameterNodes[index]
  }

  /// Lowers a block's body after `input`; returns its output node.
  public mutating func lower(_ body: [Layer], from input: NodeID) throws(GraphError) -> NodeID {
    var record: [Network.LayerNodes] = []
    return try Network.lower(body, from: input, into: &self, record: &record)
  }

  /// `node`, then the activation unless it is the identity.
  public mutating func activate(
    _ node: NodeID, _ activation: Activation, tag: Int
  ) throws(GraphError) -> NodeID {
    activation == .identity ? node : try graph.add(.activation(activation), [node], tag: tag)
  }
}

/// An inner value of a layer that `trace` shows under the layer, with its label.
public struct ShownNode: Sendable {
  /// The row label: `weights (head 1)`.
  public var label: String
  /// The node holding the value.
  public var node: NodeID

  /// Makes a shown value.
  public init(_ label: String, _ node: NodeID) {
    self.label = label
    self.node = node
  }
}

/// A declaration as a model lists it: with the name the script gave it (nil: counted, as
/// `dense1`) and the tag the host maps to its source.
public struct DeclaredLayer: Sendable {
  /// What the layer is.
  public var declaration: any LayerDeclaration
  /// The name given, or nil for an automatic one.
  public var name: String?
  /// The host's tag for the layer (diagnostics point at it).
  public var tag: Int

  /// Makes a listed layer.
  public init(_ declaration: any LayerDeclaration, name: String? = nil, tag: Int = 0) {
    self.declaration = declaration
    self.name = name
    self.tag = tag
  }
}

/// Every layer type a model description can hold.
public enum LayerDeclarations {
  /// The registered types; `LayerDescription.decode` looks kinds up here.
  public static let all: [any LayerDeclaration.Type] = [
    Dense.self, ActivationLayer.self, Dropout.self, Conv2D.self, Pool2D.self, Flatten.self,
    Reshape.self, Normalization.self, LSTM.self, Embedding.self, Residual.self,
    Attention.self, Transformer.self, Positional.self,
    GRU.self,
    Conv1D.self, Pool1D.self, GlobalPool.self,
  ]

  /// The type that reads descriptions of `kind`.
  static let byKind: [String: any LayerDeclaration.Type] = {
    var table: [String: any LayerDeclaration.Type] = [:]
    for type in all { for kind in type.descriptionKinds { table[kind] = type } }
    return table
  }()
}

extension LayerLowering {
  /// `x · Wᵀ + b` (then the activation) over the last axis of x, of any rank, as PyTorch's
  /// `Linear`: a batch of sequences `[B, T, D]` is B·T rows of one matrix product, reshaped (an
  /// alias, no copy) to `[B·T, D]` for the one fused linear kernel and back. Returns the
  /// pre-activation and the output, shaped as x with its last axis replaced.
  public mutating func affine(
    _ x: NodeID, weight: NodeID, bias: NodeID?, activation: Activation = .identity, tag: Int
  ) throws(GraphError) -> (z: NodeID, a: NodeID) {
    let shape = graph.shape(of: x)
    let units = graph.shape(of: weight)[0]
    let leading = Array(shape.dropLast())
    let rows = leading.reduce(1, *)
    let matrix = shape.count == 2 ? x
      : try graph.add(.reshape([rows, shape.last ?? 1]), [x], tag: tag)
    var z = try graph.add(.linear, [matrix, weight], tag: tag)
    if let bias { z = try graph.add(.addBias, [z, bias], tag: tag) }
    let a = try activate(z, activation, tag: tag)
    guard shape.count != 2 else { return (z, a) }
    let unfolded = try graph.add(.reshape(leading + [units]), [z], tag: tag)
    if a == z { return (unfolded, unfolded) }
    return (unfolded, try graph.add(.reshape(leading + [units]), [a], tag: tag))
  }
}
