/// The weight and bias of the affine layers, `dense` and `conv2d`: how each starts and whether
/// the bias exists (`init:`, `bias_init:`, `use_bias:`), one rule for both, as PyTorch's
/// `Linear` and `Conv2d` share `bias=` and their default bias of zeros here.
public struct AffineParameters: Sendable, Equatable {
  /// `nil`: He before a ReLU-family activation, Xavier otherwise.
  public var initializer: Initializer?
  /// How the bias starts (zeros).
  public var biasInitializer: Initializer
  /// Whether the layer has a bias.
  public var useBias: Bool

  /// The language's defaults unless given.
  public init(initializer: Initializer? = nil, biasInitializer: Initializer = .zeros,
              useBias: Bool = true) {
    self.initializer = initializer
    self.biasInitializer = biasInitializer
    self.useBias = useBias
  }

  /// The `weight` of `weightShape` and, with `useBias`, the `bias` of `biasCount` values;
  /// literal values (dense's `weight:`, `bias:`) replace the initialisers.
  func declarations(
    weightShape: [Int], biasCount: Int, fanIn: Int, fanOut: Int, activation: Activation,
    weight: Tensor? = nil, bias: Tensor? = nil
  ) -> [ParameterDeclaration] {
    let drawn = initializer ?? (activation.isReLUFamily ? .he : .xavier)
    var parameters = [ParameterDeclaration(
      "weight", shape: weightShape,
      initial: weight.map { .values($0) } ?? .drawn(drawn, fanIn: fanIn, fanOut: fanOut),
      role: .weight)]
    if useBias {
      parameters.append(ParameterDeclaration(
        "bias", shape: [biasCount],
        initial: bias.map { .values($0) }
          ?? .drawn(biasInitializer, fanIn: fanIn, fanOut: fanOut),
        role: .trained))
    }
    return parameters
  }

  /// What a summary line adds: `, use_bias: false` when there is no bias.
  var summarySuffix: String { useBias ? "" : ", use_bias: false" }
}
