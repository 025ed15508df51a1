/// A resolved layer of a network: its name (`dense1`, or one the script chose), its
/// declaration, the per-sample shapes it reads and produces, the parameters it owns, and an
/// opaque tag the host maps back to a source range.
public struct Layer: Sendable {
  /// The layer's name: `dense1`, or one the script chose.
  public var name: String
  /// What the layer computes, as declared (`Dense`, `LSTM`, …).
  public var declaration: any LayerDeclaration
  /// Shape of one input sample.
  public var inputShape: [Int]
  /// Shape of one output sample.
  public var outputShape: [Int]
  /// The parameters the layer owns, in the order its declaration lists them.
  public var parameters: [LayerParameter]
  /// A block's layers (a residual body), already resolved; empty for other layers.
  public var body: [Layer]
  /// Opaque tag the host maps back to the layer's source range.
  public var tag: Int

  /// Makes a layer from its parts (`NetworkBuilder` makes them from declarations).
  public init(
    name: String, declaration: any LayerDeclaration, inputShape: [Int], outputShape: [Int],
    parameters: [LayerParameter] = [], body: [Layer] = [], tag: Int
  ) {
    self.name = name
    self.declaration = declaration
    self.inputShape = inputShape
    self.outputShape = outputShape
    self.parameters = parameters
    self.body = body
    self.tag = tag
  }

  /// A short description of the layer for summaries: `dense(8, tanh)`, `dropout(0.5)`.
  public var summary: String { declaration.summary(of: self) }

  /// The network-wide index of the parameter the declaration calls `name` (`weight`).
  public func parameterIndex(_ name: String) -> Int? {
    parameters.first { $0.name == name }?.index
  }
}

/// One parameter a layer owns: its name within the layer (`weight_ih`), its index in the
/// network's store, and its role.
public struct LayerParameter: Sendable, Hashable {
  /// The name within the layer: `weight`, `bias`, `running_mean`, …
  public var name: String
  /// The index in the network's parameter store.
  public var index: Int
  /// Whether l2 applies, whether it is trained at all.
  public var role: ParameterRole

  /// Makes a parameter entry.
  public init(name: String, index: Int, role: ParameterRole) {
    self.name = name
    self.index = index
    self.role = role
  }
}

/// What a parameter is to training.
public enum ParameterRole: Sendable, Hashable {
  /// A weight matrix or kernel: trained, and penalised by `l2`.
  case weight
  /// Trained but not penalised by `l2`: biases, normalisation scales and shifts.
  case trained
  /// State, not trained: no gradient, no optimizer step or decay, no gradient check
  /// (batchnorm's running statistics). Saved and loaded with the others.
  case buffer
}
