// The vocabulary of the network IR: a small closed set of primitive ops in two levels. `Op` lists
// the families once; each family is an enum of its ops, and names, arity, shape rules, gradient
// rules and kernels all dispatch outer case → family function → an exhaustive switch over the
// family's enum, with no `default:`. So a new op in a family cannot compile until the family's
// name, arity, shape rule, gradient rule and kernel (Kernels/) all handle it, and a new family
// cannot compile until every dispatch over `Op` does.

// `Activation` is declared in Graph/Activations.swift.

/// A node of a `Graph`: its position in the node list (inputs always precede their users).
public struct NodeID: Hashable, Sendable, Comparable {
  /// The position in `Graph.nodes`.
  public let index: Int

  /// Wraps a node position.
  public init(index: Int) { self.index = index }

  /// Orders nodes by their position in the graph.
  public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.index < rhs.index }
}

/// A primitive operation of the network IR: one case per family, each carrying that family's
/// op. Build ops with the static spellings below (`.linear`, `.activation(.relu)`, `.add`), which
/// read as one flat vocabulary.
public enum Op: Hashable, Sendable {
  /// Nodes without operands: inputs, parameters and constants.
  case source(SourceOp)
  /// Dense algebra (Kernels/LinearKernels.swift).
  case linearAlgebra(LinearOp)
  /// Activations, dropout and their gradients (Kernels/ActivationKernels.swift).
  case activations(ActivationOp)
  /// Element-wise arithmetic (Kernels/ArithmeticKernels.swift).
  case arithmetic(ArithmeticOp)
  /// Reductions, broadcasts and reshapes (Kernels/ReductionKernels.swift).
  case reductions(ReductionOp)
  /// Losses and their gradients (Kernels/LossKernels.swift).
  case losses(LossOp)
  /// Embedding and LSTM (Kernels/SequenceKernels.swift).
  case sequences(SequenceOp)
  /// 2-D convolution (Kernels/ConvolutionKernels.swift).
  case convolutions(ConvolutionOp)
  /// 2-D pooling (Kernels/PoolingKernels.swift).
  case pooling(PoolingOp)
  /// Batch and layer normalisation (Kernels/NormalizationKernels.swift).
  case normalization(NormalizationOp)
  /// Slice, concat, stack, permute and gather (Kernels/ShapingKernels.swift).
  case shaping(ShapingOp)
  /// Comparisons, where, max over an axis and masking (Kernels/SelectionKernels.swift).
  case selection(SelectionOp)

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .source(let op): op.name
    case .linearAlgebra(let op): op.name
    case .activations(let op): op.name
    case .arithmetic(let op): op.name
    case .reductions(let op): op.name
    case .losses(let op): op.name
    case .sequences(let op): op.name
    case .convolutions(let op): op.name
    case .pooling(let op): op.name
    case .normalization(let op): op.name
    case .shaping(let op): op.name
    case .selection(let op): op.name
    }
  }

  /// The number of operands the op takes.
  public var arity: Int {
    switch self {
    case .source: 0
    case .linearAlgebra(let op): op.arity
    case .activations(let op): op.arity
    case .arithmetic(let op): op.arity
    case .reductions(let op): op.arity
    case .losses(let op): op.arity
    case .sequences(let op): op.arity
    case .convolutions(let op): op.arity
    case .pooling(let op): op.arity
    case .normalization(let op): op.arity
    case .shaping(let op): op.arity
    case .selection(let op): op.arity
    }
  }
}

// MARK: - Families

/// Nodes without operands.
public enum SourceOp: Hashable, Sendable {
  /// The i-th input; its shape is given when the node is added (`Graph.input`).
  case input(Int)
  /// The i-th parameter of the ParameterStore (`Graph.parameter`).
  case parameter(Int)
  /// A fixed tensor (captured values in traced functions).
  case constant(Tensor)

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .input: "input"
    case .parameter: "parameter"
    case .constant: "constant"
    }
  }
}

/// Dense algebra.
public enum LinearOp: Hashable, Sendable {
  /// [x: [B, in], w: [out, in]] → [B, out] = x · wᵀ.
  case linear
  /// [x: [..., n], b: [n]] → x + b on every row.
  case addBias
  /// np.matmul: rank 1–2 operands, or stacks of matrices whose leading axes broadcast.
  case matmul
  /// Swaps the last two axes (identity below rank 2).
  case transpose
  /// [g: [B, out], x: [B, in]] → [out, in] = gᵀ · x, the weight gradient of `linear`.
  case linearWeightGradient
  /// [a, b] → one product per (sample, head), read and written in place: attention's products
  /// (Kernels/HeadProductKernels.swift).
  case headMatmul(HeadProduct)

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .linear: "linear"
    case .addBias: "bias"
    case .matmul: "matmul"
    case .transpose: "transpose"
    case .linearWeightGradient: "linear_weight_grad"
    case .headMatmul: "head_matmul"
    }
  }

  /// The number of operands.
  public var arity: Int {
    switch self {
    case .transpose: 1
    case .linear, .addBias, .matmul, .linearWeightGradient, .headMatmul: 2
    }
  }
}

/// Activations, dropout and their gradients.
public enum ActivationOp: Hashable, Sendable {
  /// An activation; softmax over the last axis.
  case activation(Activation)
  /// Inverted dropout with probability p; identity in a plan compiled with `training: false`.
  case dropout(Double)
  /// Softmax over the last axis of square matrices [..., T, T], row t over columns 0...t only
  /// (the rest 0): softmax after a causal −∞ mask, in one pass. Its gradient is softmax's.
  case causalSoftmax
  /// [saved, g] → dL/dx of the activation, where `saved` is its output when
  /// `gradientUsesOutput`, else its input.
  case activationGradient(Activation)
  /// [the dropout node (for its mask), g] → g · mask / (1 − p).
  case dropoutGradient(Double)

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .activation(let activation): activation.name
    case .dropout: "dropout"
    case .causalSoftmax: "causal_softmax"
    case .activationGradient(let activation): activation.name + "_grad"
    case .dropoutGradient: "dropout_grad"
    }
  }

  /// The number of operands.
  public var arity: Int {
    switch self {
    case .activation, .dropout, .causalSoftmax: 1
    case .activationGradient, .dropoutGradient: 2
    }
  }
}

/// Element-wise arithmetic: binary ops with NumPy broadcasting, and unary ops.
public enum ArithmeticOp: Hashable, Sendable {
  case add, subtract, multiply, divide, power
  case negate, exp, log, sqrt, abs
  /// Element-wise −1, 0 or 1 (0 for NaN-free zero), the derivative of abs.
  case sign
  /// x · c for a constant c held in 64 bits, so that a Double plan multiplies by c itself (a
  /// Float constant tensor would round 1/√2 first).
  case scale(Double)

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .add: "add"
    case .subtract: "subtract"
    case .multiply: "multiply"
    case .divide: "divide"
    case .power: "power"
    case .negate: "negate"
    case .exp: "exp"
    case .log: "log"
    case .sqrt: "sqrt"
    case .abs: "abs"
    case .sign: "sign"
    case .scale: "scale"
    }
  }

  /// The number of operands.
  public var arity: Int {
    switch self {
    case .add, .subtract, .multiply, .divide, .power: 2
    case .negate, .exp, .log, .sqrt, .abs, .sign, .scale: 1
    }
  }
}

/// Reductions and shape changes.
public enum ReductionOp: Hashable, Sendable {
  /// A nil axis reduces everything to 0-d; negative axes count from the end.
  case sum(axis: Int?), mean(axis: Int?)
  /// [x] → x summed down to `shape` (which broadcasts to x's shape): reverse broadcasting.
  case sumToShape([Int])
  /// [x] → x broadcast to `shape`, times `scale`.
  case broadcast([Int], scale: Double)
  /// [x] → the same elements with another shape of the same count.
  case reshape([Int])

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .sum: "sum"
    case .mean: "mean"
    case .sumToShape: "sum_to_shape"
    case .broadcast: "broadcast"
    case .reshape: "reshape"
    }
  }

  /// The number of operands.
  public var arity: Int {
    switch self {
    case .sum, .mean, .sumToShape, .broadcast, .reshape: 1
    }
  }
}

/// Losses and their gradients.
public enum LossOp: Hashable, Sendable {
  /// [prediction, target] → 0-d.
  case loss(LossKind)
  /// [prediction (or logits when `fromLogits`), target, upstream 0-d] → dL/dprediction.
  /// A loss that reads logits (cross-entropy) always does; another (bce) reads them only when
  /// fused with the activation its declaration names (sigmoid).
  case lossGradient(LossKind, fromLogits: Bool)

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .loss(let kind): kind.name
    case .lossGradient(let kind, let fromLogits):
      kind.name + (fromLogits && !kind.declaration.readsLogits ? "_logits_grad" : "_grad")
    }
  }

  /// The number of operands.
  public var arity: Int {
    switch self {
    case .loss: 2
    case .lossGradient: 3
    }
  }
}

/// Sequence ops.
public enum SequenceOp: Hashable, Sendable {
  /// [ids: [B, T], table: [vocab, dim]] → [B, T, dim]: row `id` of the table per position.
  case embedding(vocab: Int, dim: Int)
  /// [ids, g: [B, T, dim]] → dL/dtable [vocab, dim]: g summed into the rows of its ids.
  case embeddingGradient(vocab: Int, dim: Int)
  /// [x: [B, T, F], w_ih: [4U, F], w_hh: [4U, U], b: [4U]] → [B, U] (last h) or [B, T, U]:
  /// an LSTM in PyTorch's gate order i, f, g, o from a zero state.
  case lstm(LSTMGeometry)
  /// [x, w_ih, w_hh, b, g, lstm] → backpropagation through time: the gate gradients, previous
  /// hidden states and inputs of every step, packed [B, T·(5U + F)] (time-major inside). The
  /// last operand is the forward node, whose saved states a plan lets this node read.
  case lstmBackward(LSTMGeometry)
  /// [packed, w_ih] → dL/dx, dL/dw_ih, dL/dw_hh or dL/db from the BPTT node.
  case lstmGradient(LSTMGeometry, LSTMGradientPart)
  /// [x: [B, T, F], w_ih: [3U, F], w_hh: [3U, U], b_ih: [3U], b_hh: [3U]] → [B, U] (last h)
  /// or [B, T, U]: a GRU in PyTorch's gate order r, z, n from a zero state.
  case gru(GRUGeometry)
  /// [x, w_ih, w_hh, b_ih, b_hh, g, gru] → backpropagation through time, packed
  /// [B, T·(7U + F)] (see Kernels/GRUKernels.swift); the last operand is the forward node.
  case gruBackward(GRUGeometry)
  /// [packed, w_ih] → dL/dx, dL/dw_ih, dL/dw_hh, dL/db_ih or dL/db_hh from the BPTT node.
  case gruGradient(GRUGeometry, GRUGradientPart)

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .embedding: "embedding"
    case .embeddingGradient: "embedding_grad"
    case .lstm: "lstm"
    case .lstmBackward: "lstm_bptt"
    case .lstmGradient(_, let part): "lstm_grad_" + part.name
    case .gru: "gru"
    case .gruBackward: "gru_bptt"
    case .gruGradient(_, let part): "gru_grad_" + part.name
    }
  }

  /// The number of operands.
  public var arity: Int {
    switch self {
    case .embedding, .embeddingGradient, .lstmGradient, .gruGradient: 2
    case .lstm: 4
    case .gru: 5
    case .lstmBackward: 6
    case .gruBackward: 7
    }
  }
}

/// Image convolution.
public enum ConvolutionOp: Hashable, Sendable {
  /// [x: [B, C, H, W], w: [F, C, kh, kw], b: [F]] → [B, F, OH, OW]: cross-correlation (as
  /// PyTorch's Conv2d) by im2col + GEMM; without `b` when the geometry has no bias.
  case conv2d(ConvolutionGeometry)
  /// [g: [B, F, OH, OW], w] → dL/dx [B, C, H, W] (GEMM, then col2im).
  case conv2dInputGradient(ConvolutionGeometry)
  /// [g: [B, F, OH, OW], x] → dL/dw [F, C, kh, kw] (im2col, then GEMM).
  case conv2dWeightGradient(ConvolutionGeometry)

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .conv2d: "conv2d"
    case .conv2dInputGradient: "conv2d_input_grad"
    case .conv2dWeightGradient: "conv2d_weight_grad"
    }
  }

  /// The number of operands.
  public var arity: Int {
    switch self {
    case .conv2d(let geometry): geometry.hasBias ? 3 : 2
    case .conv2dInputGradient, .conv2dWeightGradient: 2
    }
  }
}

/// Image pooling.
public enum PoolingOp: Hashable, Sendable {
  /// [x: [B, C, H, W]] → [B, C, OH, OW]: the maximum or mean of each window.
  case pool2d(PoolingGeometry)
  /// [x, g: [B, C, OH, OW]] → dL/dx: to each window's (first) maximum, or spread evenly.
  case pool2dGradient(PoolingGeometry)

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .pool2d(let pooling): pooling.kind.name
    case .pool2dGradient(let pooling): pooling.kind.name + "_grad"
    }
  }

  /// The number of operands.
  public var arity: Int {
    switch self {
    case .pool2d: 1
    case .pool2dGradient: 2
    }
  }
}

/// Normalisation.
public enum NormalizationOp: Hashable, Sendable {
  /// [x, γ, β] (layernorm) or [x, γ, β, running mean, running var] (batchnorm) → y = γ·x̂ + β;
  /// batchnorm uses batch statistics and updates the running ones in training plans, and the
  /// running statistics in inference plans.
  case normalize(NormalizationGeometry)
  /// [x, γ, g, (running mean, running var)] → dL/dx.
  case normalizeInputGradient(NormalizationGeometry)
  /// [x, g, (running mean, running var)] → dL/dγ.
  case normalizeScaleGradient(NormalizationGeometry)

  /// The name shown in errors and plan listings.
  public var name: String {
    switch self {
    case .normalize(let n): n.kind.name
    case .normalizeInputGradient(let n): n.kind.name + "_input_grad"
    case .normalizeScaleGradient(let n): n.kind.name + "_scale_grad"
    }
  }

  /// The number of operands.
  public var arity: Int {
    switch self {
    case .normalize(let n), .normalizeInputGradient(let n): n.operandCount
    case .normalizeScaleGradient(let n): n.operandCount - 1
    }
  }
}

/// A shape error (or an unsupported request) found while building or compiling a graph.
public struct GraphError: Error, Sendable, Equatable {
  /// The user-facing text, naming the op and the shapes involved.
  public var message: String
  /// The node at fault, when there is one.
  public var node: NodeID?
  /// The opaque source tag of the node at fault (the caller maps it to a script range).
  public var tag: Int?
  /// Whether the plan was refused by the memory budget rather than found wrong.
  public var isResourceLimit = false

  /// Makes an error.
  public init(message: String, node: NodeID? = nil, tag: Int? = nil) {
    self.message = message
    self.node = node
    self.tag = tag
  }

  /// A refusal of the memory budget (`MemoryBudget.refusal`).
  public static func memoryRefusal(_ message: String) -> GraphError {
    var error = GraphError(message: message)
    error.isResourceLimit = true
    return error
  }
}

extension GraphError: CustomStringConvertible {
  /// The user-facing message.
  public var description: String { message }
}

// `Op.constant` carries a tensor, and the IR is Hashable; hashing shape and values agrees with
// Tensor's `==`.
extension Tensor: Hashable {
  /// Hashes the shape and every element, consistent with `==`.
  public func hash(into hasher: inout Hasher) {
    hasher.combine(shape)
    withUnsafeBufferPointer { buffer in
      for value in buffer { hasher.combine(value) }
    }
  }
}
