// The flat spellings of every op (`.linear`, `.activation(.relu)`, `.loss(.mse)`), so code that
// builds graphs names an op without naming its family. Each one is a single family case; the
// families themselves are listed once, in `Op`.

extension Op {
  /// The i-th input.
  public static func input(_ index: Int) -> Op { .source(.input(index)) }
  /// The i-th parameter.
  public static func parameter(_ index: Int) -> Op { .source(.parameter(index)) }
  /// A fixed tensor.
  public static func constant(_ tensor: Tensor) -> Op { .source(.constant(tensor)) }

  /// x · wᵀ.
  public static var linear: Op { .linearAlgebra(.linear) }
  /// x + b on every row.
  public static var addBias: Op { .linearAlgebra(.addBias) }
  /// np.matmul for rank 1–2 operands.
  public static var matmul: Op { .linearAlgebra(.matmul) }
  /// Swaps the last two axes.
  public static var transpose: Op { .linearAlgebra(.transpose) }
  /// gᵀ · x.
  public static var linearWeightGradient: Op { .linearAlgebra(.linearWeightGradient) }

  /// An activation.
  public static func activation(_ activation: Activation) -> Op {
    .activations(.activation(activation))
  }
  /// Inverted dropout.
  public static func dropout(_ p: Double) -> Op { .activations(.dropout(p)) }
  /// dL/dx of an activation.
  public static func activationGradient(_ activation: Activation) -> Op {
    .activations(.activationGradient(activation))
  }
  /// dL/dx of dropout.
  public static func dropoutGradient(_ p: Double) -> Op { .activations(.dropoutGradient(p)) }

  /// Element-wise with broadcasting.
  public static var add: Op { .arithmetic(.add) }
  /// Element-wise with broadcasting.
  public static var subtract: Op { .arithmetic(.subtract) }
  /// Element-wise with broadcasting.
  public static var multiply: Op { .arithmetic(.multiply) }
  /// Element-wise with broadcasting.
  public static var divide: Op { .arithmetic(.divide) }
  /// Element-wise with broadcasting.
  public static var power: Op { .arithmetic(.power) }
  /// Element-wise.
  public static var negate: Op { .arithmetic(.negate) }
  /// Element-wise x · c, c in the plan's precision.
  public static func scale(_ c: Double) -> Op { .arithmetic(.scale(c)) }
  /// Element-wise.
  public static var exp: Op { .arithmetic(.exp) }
  /// Element-wise.
  public static var log: Op { .arithmetic(.log) }
  /// Element-wise.
  public static var sqrt: Op { .arithmetic(.sqrt) }
  /// Element-wise.
  public static var abs: Op { .arithmetic(.abs) }
  /// Element-wise sign.
  public static var sign: Op { .arithmetic(.sign) }

  /// A sum over one axis or all.
  public static func sum(axis: Int?) -> Op { .reductions(.sum(axis: axis)) }
  /// A mean over one axis or all.
  public static func mean(axis: Int?) -> Op { .reductions(.mean(axis: axis)) }
  /// Reverse broadcasting.
  public static func sumToShape(_ shape: [Int]) -> Op { .reductions(.sumToShape(shape)) }
  /// Broadcast times a scale.
  public static func broadcast(_ shape: [Int], scale: Double) -> Op {
    .reductions(.broadcast(shape, scale: scale))
  }
  /// Another shape of the same count.
  public static func reshape(_ shape: [Int]) -> Op { .reductions(.reshape(shape)) }

  /// A loss.
  public static func loss(_ kind: LossKind) -> Op { .losses(.loss(kind)) }
  /// dL/dprediction of a loss.
  public static func lossGradient(_ kind: LossKind, fromLogits: Bool) -> Op {
    .losses(.lossGradient(kind, fromLogits: fromLogits))
  }

  /// An embedding lookup.
  public static func embedding(vocab: Int, dim: Int) -> Op {
    .sequences(.embedding(vocab: vocab, dim: dim))
  }
  /// The table gradient of an embedding.
  public static func embeddingGradient(vocab: Int, dim: Int) -> Op {
    .sequences(.embeddingGradient(vocab: vocab, dim: dim))
  }
  /// An LSTM.
  public static func lstm(_ geometry: LSTMGeometry) -> Op { .sequences(.lstm(geometry)) }
  /// An LSTM's backpropagation through time.
  public static func lstmBackward(_ geometry: LSTMGeometry) -> Op {
    .sequences(.lstmBackward(geometry))
  }
  /// One gradient of an LSTM from its BPTT node.
  public static func lstmGradient(_ geometry: LSTMGeometry, _ part: LSTMGradientPart) -> Op {
    .sequences(.lstmGradient(geometry, part))
  }

  /// A 2-D convolution.
  public static func conv2d(_ geometry: ConvolutionGeometry) -> Op {
    .convolutions(.conv2d(geometry))
  }
  /// dL/dx of a convolution.
  public static func conv2dInputGradient(_ geometry: ConvolutionGeometry) -> Op {
    .convolutions(.conv2dInputGradient(geometry))
  }
  /// dL/dw of a convolution.
  public static func conv2dWeightGradient(_ geometry: ConvolutionGeometry) -> Op {
    .convolutions(.conv2dWeightGradient(geometry))
  }

  /// 2-D pooling.
  public static func pool2d(_ geometry: PoolingGeometry) -> Op { .pooling(.pool2d(geometry)) }
  /// dL/dx of pooling.
  public static func pool2dGradient(_ geometry: PoolingGeometry) -> Op {
    .pooling(.pool2dGradient(geometry))
  }

  /// Batch or layer normalisation.
  public static func normalize(_ geometry: NormalizationGeometry) -> Op {
    .normalization(.normalize(geometry))
  }
  /// dL/dx of normalisation.
  public static func normalizeInputGradient(_ geometry: NormalizationGeometry) -> Op {
    .normalization(.normalizeInputGradient(geometry))
  }
  /// dL/dγ of normalisation.
  public static func normalizeScaleGradient(_ geometry: NormalizationGeometry) -> Op {
    .normalization(.normalizeScaleGradient(geometry))
  }
}

extension Op {
  /// The elements a range takes along its axis.
  public static func slice(_ range: SliceRange) -> Op { .shaping(.slice(range)) }
  /// The scatter of a slice's gradient into zeros of `shape`.
  public static func sliceGradient(_ range: SliceRange, shape: [Int]) -> Op {
    .shaping(.sliceGradient(range, shape: shape))
  }
  /// `count` tensors joined along `axis`.
  public static func concat(axis: Int, count: Int) -> Op {
    .shaping(.concat(axis: axis, count: count))
  }
  /// `count` tensors stacked along a new `axis`.
  public static func stack(axis: Int, count: Int) -> Op {
    .shaping(.stack(axis: axis, count: count))
  }
  /// The axes reordered.
  public static func permute(_ axes: [Int]) -> Op { .shaping(.permute(axes)) }
  /// np.take along `axis`.
  public static func gather(axis: Int) -> Op { .shaping(.gather(axis: axis)) }
  /// gather's scatter-add gradient into zeros of `shape`.
  public static func gatherGradient(axis: Int, shape: [Int]) -> Op {
    .shaping(.gatherGradient(axis: axis, shape: shape))
  }

  /// 1 where the comparison holds, else 0.
  public static func compare(_ comparison: Comparison) -> Op {
    .selection(.compare(comparison))
  }
  /// [condition, a, b] → a where the condition is non-zero, else b.
  public static var select: Op { .selection(.select) }
  /// The maximum over `axis`.
  public static func maximum(axis: Int) -> Op { .selection(.maximum(axis: axis)) }
  /// The maximum's gradient, to the first maximum.
  public static func maximumGradient(axis: Int) -> Op {
    .selection(.maximumGradient(axis: axis))
  }
  /// `value` where the mask is non-zero, else x.
  public static func maskedFill(_ value: Double) -> Op { .selection(.maskedFill(value)) }
}
