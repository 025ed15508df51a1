// The one small interface between the plan and its kernels: a closed enum of kernel values with
// every pointer and size resolved at compile time, executed by a switch. Another backend can
// stand beside the CPU one by compiling the same schedule to its own kernel enum.

/// One step of a compiled plan.
enum Kernel<T: PlanScalar> {
  case dense(DenseKernel<T>)
  case gemm(GemmKernel<T>)
  case addBias(BiasKernel<T>)
  case transpose(TransposeKernel<T>)
  case activation(ActivationKernel<T>)
  case activationGradient(ActivationGradientKernel<T>)
  case dropout(DropoutKernel<T>)
  case dropoutGradient(DropoutGradientKernel<T>)
  case binary(BinaryKernel<T>)
  case unary(UnaryKernel<T>)
  case reduce(ReduceKernel<T>)
  case broadcast(BroadcastKernel<T>)
  case loss(LossKernel<T>)
  case lossGradient(LossGradientKernel<T>)
  case copy(CopyKernel<T>)
  case embedding(EmbeddingKernel<T>)
  case lstm(LSTMKernel<T>)
  case gru(GRUKernel<T>)
  case convolution(ConvolutionKernel<T>)
  case pooling(PoolingKernel<T>)
  case normalization(NormalizationKernel<T>)
  case batchedGemm(BatchedGemmKernel<T>)
  case shaping(ShapingKernel<T>)
  case gather(GatherKernel<T>)
  case select(SelectKernel<T>)
  case maximum(MaximumKernel<T>)

  /// Executes the kernel; only dropout draws from `random`.
  @inline(__always)
  func run(_ random: inout RandomGenerator) {
    switch self {
    case .dense(let kernel): kernel.run()
    case .gemm(let kernel): kernel.run()
    case .addBias(let kernel): kernel.run()
    case .transpose(let kernel): kernel.run()
    case .activation(let kernel): kernel.run()
    case .activationGradient(let kernel): kernel.run()
    case .dropout(let kernel): kernel.run(&random)
    case .dropoutGradient(let kernel): kernel.run()
    case .binary(let kernel): kernel.run()
    case .unary(let kernel): kernel.run()
    case .reduce(let kernel): kernel.run()
    case .broadcast(let kernel): kernel.run()
    case .loss(let kernel): kernel.run()
    case .lossGradient(let kernel): kernel.run()
    case .copy(let kernel): kernel.run()
    case .embedding(let kernel): kernel.run()
    case .lstm(let kernel): kernel.run()
    case .gru(let kernel): kernel.run()
    case .convolution(let kernel): kernel.run()
    case .pooling(let kernel): kernel.run()
    case .normalization(let kernel): kernel.run()
    case .batchedGemm(let kernel): kernel.run()
    case .shaping(let kernel): kernel.run()
    case .gather(let kernel): kernel.run()
    case .select(let kernel): kernel.run()
    case .maximum(let kernel): kernel.run()
    }
  }
}

/// Everything a family's kernel builder needs about one node: resolved pointers and shapes.
struct KernelOperands<T: PlanScalar> {
  var inputs: [UnsafeMutablePointer<T>]
  var inputShapes: [[Int]]
  var output: UnsafeMutablePointer<T>
  var outputShape: [Int]
  /// A second output buffer (the dropout mask).
  var auxiliary: UnsafeMutablePointer<T>?
  /// A loss reading logits because the plan fused it with its softmax or sigmoid.
  var fusedLoss = false
  /// Per operand: the pointer is the untransposed source of a folded 2-D transpose.
  var transposed = [false, false]
  /// The plan is a training plan (batchnorm: batch statistics, running-statistics updates).
  var training = false
  /// The plan's row offset cell (dropout keys each row's mask by its index in the global batch).
  var rowOffset: UnsafePointer<Int>
}

/// Copies `count` elements (a gradient that must land in the gradient region, for example).
struct CopyKernel<T: PlanScalar> {
  let source: UnsafeMutablePointer<T>
  let destination: UnsafeMutablePointer<T>
  let count: Int

  func run() {
    if source != destination { destination.update(from: source, count: count) }
  }
}

// MARK: - Broadcast indexing

/// Precomputed row offsets for walking an output of some shape while reading operands that
/// broadcast to it. Axes of extent 1 are dropped and adjacent axes merged when every operand
/// is contiguous across them, so the common cases become one long row or a few long rows.
struct BroadcastIndex: Sendable {
  /// Elements per innermost row of the output.
  let rowLength: Int
  /// Number of rows (the output count is rows × rowLength).
  let rows: Int
  /// Per operand: 1 when it walks along the row, 0 when it repeats one element.
  let innerStrides: [Int]
  /// Per operand: the offset of each row's first element; empty means `row * rowLength`.
  let rowOffsets: [[Int]]

  init(operands: [[Int]], output: [Int]) {
    var strides = operands.map { Tensor.broadcastStrides($0, to: output) }
    var extents = output
    // Drop unit axes: they contribute nothing to any offset.
    for axis in stride(from: extents.count - 1, through: 0, by: -1) where extents[axis] == 1 {
      extents.remove(at: axis)
      for k in strides.indices { strides[k].remove(at: axis) }
    }
    // Merge axis i into i + 1 when every operand steps across them uniformly.
    var axis = extents.count - 2
    while axis >= 0 {
      let outer = axis
      let inner = axis + 1
      if strides.allSatisfy({ $0[outer] == $0[inner] * extents[inner] }) {
        extents[inner] *= extents[outer]
        extents.remove(at: outer)
        for k in strides.indices { strides[k].remove(at: outer) }
      }
      axis -= 1
    }
    if extents.isEmpty {
      extents = [1]
      strides = strides.map { _ in [0] }
    }
    rowLength = extents[extents.count - 1]
    innerStrides = strides.map { $0[$0.count - 1] }
    let outerExtents = Array(extents.dropLast())
    rows = outerExtents.reduce(1, *)
    var offsets: [[Int]] = []
    for k in strides.indices {
      let own = strides[k]
      let contiguous = own[own.count - 1] == 1
        && (0..<outerExtents.count).allSatisfy { axis in
          own[axis] == extents[(axis + 1)...].reduce(1, *)
        }
      if contiguous {
        offsets.append([])
        continue
      }
      var table = [Int](repeating: 0, count: rows)
      var index = [Int](repeating: 0, count: outerExtents.count)
      var offset = 0
      for row in 0..<rows {
        table[row] = offset
        var axis = outerExtents.count - 1
        while axis >= 0 {
          index[axis] += 1
          offset += own[axis]
          if index[axis] < outerExtents[axis] { break }
          offset -= own[axis] * outerExtents[axis]
          index[axis] = 0
          axis -= 1
        }
      }
      offsets.append(table)
    }
    rowOffsets = offsets
  }

  /// The offset of `row` in operand `k`.
  @inline(__always)
  func offset(_ k: Int, _ row: Int) -> Int {
    rowOffsets[k].isEmpty ? row * rowLength : rowOffsets[k][row]
  }
}
