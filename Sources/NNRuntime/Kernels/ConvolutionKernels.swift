// The convolution family: conv2d and its input and weight gradients — shape rules, gradient
// rules and kernels side by side. The batch runs in chunks of samples sized to the caches: a
// convolution is im2col of the chunk (each receptive field unrolled into a column of one scratch
// matrix, Im2Col.swift) followed by one GEMM through `PlanScalar.gemm` and an output pass that
// adds the bias and applies a fused activation; its input gradient is the transposed GEMM
// followed by col2im, its weight gradient im2col followed by a GEMM accumulated over the chunks.

/// Everything about one 2-D convolution that does not depend on the batch: the per-sample input
/// `[inChannels, height, width]`, the filters, strides and zero padding, and the output size.
/// Weights are `[filters, inChannels, kernelHeight, kernelWidth]`, as PyTorch's Conv2d.
public struct ConvolutionGeometry: Hashable, Sendable {
  public var inChannels: Int
  public var height: Int
  public var width: Int
  public var filters: Int
  public var kernelHeight: Int
  public var kernelWidth: Int
  public var strideY: Int
  public var strideX: Int
  /// `padding: "same"` (output ⌈size / stride⌉, the odd padding element at the bottom/right, as
  /// PyTorch and TensorFlow) rather than `"valid"` (no padding).
  public var same: Bool
  public var padTop: Int
  public var padLeft: Int
  public var outHeight: Int
  public var outWidth: Int
  /// Whether the convolution adds a per-filter bias, its third operand (`use_bias:`).
  public var hasBias: Bool

  /// The geometry of a convolution of a `[channels, height, width]` input; the caller has
  /// checked that every size is positive and, for `valid`, that the kernel fits the input.
  public init(input: [Int], filters: Int, kernel: [Int], stride: [Int], same: Bool,
              hasBias: Bool = true) {
    self.hasBias = hasBias
    inChannels = input[0]
    height = input[1]
    width = input[2]
    self.filters = filters
    kernelHeight = kernel[0]
    kernelWidth = kernel[1]
    strideY = stride[0]
    strideX = stride[1]
    self.same = same
    func along(_ size: Int, _ k: Int, _ s: Int) -> (out: Int, pad: Int) {
      if !same { return ((size - k) / s + 1, 0) }
      let out = (size + s - 1) / s
      let total = Swift.max((out - 1) * s + k - size, 0)
      return (out, total / 2)
    }
    (outHeight, padTop) = along(height, kernelHeight, strideY)
    (outWidth, padLeft) = along(width, kernelWidth, strideX)
  }

  /// `[inChannels, height, width]`.
  public var inputShape: [Int] { [inChannels, height, width] }
  /// `[filters, outHeight, outWidth]`.
  public var outputShape: [Int] { [filters, outHeight, outWidth] }
  /// `[filters, inChannels, kernelHeight, kernelWidth]`.
  public var weightShape: [Int] { [filters, inChannels, kernelHeight, kernelWidth] }
  /// Rows of the im2col matrix: one per weight of a filter.
  var patchSize: Int { inChannels * kernelHeight * kernelWidth }
  /// Columns of the im2col matrix: one per output position.
  var positions: Int { outHeight * outWidth }
}

// MARK: - Shape rules

extension Graph {
  static func convolutionFamilyShape(
    _ op: ConvolutionOp, _ shapes: [[Int]]
  ) throws(GraphError) -> [Int] {
    switch op {
    case .conv2d(let geometry):
      let (x, w) = (shapes[0], shapes[1])
      guard x.count == 4, Array(x.dropFirst()) == geometry.inputShape else {
        throw GraphError(message: "conv2d: the input must be a batch [B, "
                         + "\(geometry.inputShape.map(String.init).joined(separator: ", "))], "
                         + "not shape \(shapeText(x))")
      }
      guard w == geometry.weightShape else {
        throw GraphError(message: "conv2d: the weight must have shape "
                         + "\(shapeText(geometry.weightShape)), not \(shapeText(w))")
      }
      if geometry.hasBias, shapes[2] != [geometry.filters] {
        throw GraphError(message: "conv2d: the bias must have shape [\(geometry.filters)], not "
                         + shapeText(shapes[2]))
      }
      return [x[0]] + geometry.outputShape
    case .conv2dInputGradient(let geometry):
      let (g, w) = (shapes[0], shapes[1])
      guard g.count == 4, Array(g.dropFirst()) == geometry.outputShape,
        w == geometry.weightShape
      else {
        throw GraphError(message: "conv2d_input_grad: gradient shape \(shapeText(g)) or weight "
                         + "shape \(shapeText(w)) does not fit the convolution")
      }
      return [g[0]] + geometry.inputShape
    case .conv2dWeightGradient(let geometry):
      let (g, x) = (shapes[0], shapes[1])
      guard g.count == 4, Array(g.dropFirst()) == geometry.outputShape, x.count == 4,
        Array(x.dropFirst()) == geometry.inputShape, x[0] == g[0]
      else {
        throw GraphError(message: "conv2d_weight_grad: gradient shape \(shapeText(g)) or input "
                         + "shape \(shapeText(x)) does not fit the convolution")
      }
      return geometry.weightShape
    }
  }
}

// MARK: - Gradient rules

extension Graph {
  mutating func convolutionFamilyGradient(
    _ op: ConvolutionOp, _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    let inputs = self[node].inputs
    var result: [Contribution] = []
    switch op {
    case .conv2d(let geometry):
      // y = W ⊛ x + b: dx = col2im(Wᵀ · g), dW = Σ_batch g · im2col(x)ᵀ, db = Σ g over all
      // but the channel axis.
      if needs[0] {
        result.append((inputs[0], try gradientNode(.conv2dInputGradient(geometry),
                                                   [g, inputs[1]], for: node)))
      }
      if needs[1] {
        result.append((inputs[1], try gradientNode(.conv2dWeightGradient(geometry),
                                                   [g, inputs[0]], for: node)))
      }
      if geometry.hasBias, needs[2] {
        let perChannel = try gradientNode(.sumToShape([geometry.filters, 1, 1]), [g], for: node)
        result.append((inputs[2], try gradientNode(.reshape([geometry.filters]), [perChannel],
                                                   for: node)))
      }
    case .conv2dInputGradient, .conv2dWeightGradient:
      throw noSecondDerivative(node)
    }
    return result
  }
}

// MARK: - Kernels

/// A scratch matrix a kernel owns, allocated when the plan is built (a run allocates nothing).
///
/// The memory budget is asked first. A refusal allocates one element instead and is counted
/// on the budget (`MemoryBudget.refusals`): the plan being built sees it and throws before any
/// kernel runs, so the short buffer is never used.
final class ScratchBuffer<T: PlanScalar> {
  let pointer: UnsafeMutablePointer<T>
  let count: Int
  private let charge: MemoryCharge

  init(count: Int) {
    let wanted = Swift.max(count, 1)
    if let charge = MemoryCharge(reserving: MemoryBudget.bytes(wanted, of: T.self)) {
      self.count = wanted
      self.charge = charge
    } else {
      MemoryBudget.current?.refuse(MemoryBudget.bytes(wanted, of: T.self))
      self.count = 1
      self.charge = MemoryCharge(bytes: MemoryBudget.bytes(1, of: T.self))
    }
    pointer = UnsafeMutablePointer<T>.allocate(capacity: self.count)
    pointer.initialize(repeating: 0, count: self.count)
  }

  deinit {
    charge.release()
    pointer.deallocate()
  }
}

/// conv2d, its input gradient or its weight gradient over a batch, a chunk of samples at a time:
/// the chunk's im2col blocks side by side make one `[patchSize, samples · positions]` matrix, so
/// each direction is one large GEMM per chunk rather than a small one per sample.
///
/// The GEMMs see the filters as rows (`[filters, samples · positions]`), while the batch is
/// `[B, filters, positions]`: the forward's output pass reads the product row by row and writes
/// each sample's rows with the bias and the fused activation added; the gradients first gather
/// the upstream gradient into that layout.
///
/// With several threads the batch is cut into one contiguous share per thread, and each thread
/// runs its share chunk by chunk with its own scratch and one-thread GEMMs: one fork-join per
/// convolution, where splitting each chunk's loops and GEMM took several per chunk and cut a
/// 5-sample chunk 3 : 2. Shares write disjoint samples; the weight gradient, a sum over the
/// batch, is summed per thread (thread 0 into the output, the others into `partials`) and the
/// partial sums added in thread order after the join, so a given thread count always gives the
/// same bits (one thread: the chunks' sum in order, as before).
struct ConvolutionKernel<T: PlanScalar> {
  enum Mode { case forward, inputGradient, weightGradient }

  /// One thread's scratch: `columns` `[patchSize, chunk · positions]` holds im2col blocks or
  /// the input gradient's product, `rows` `[filters, chunk · positions]` the forward's product
  /// or the gathered upstream gradient.
  struct Scratch {
    let columns: ScratchBuffer<T>
    let rows: ScratchBuffer<T>
  }

  /// How many elements a chunk's two scratch matrices may hold together: both stay in the
  /// core's L2 cache (256 KB of floats) between the im2col that writes them and the GEMM that
  /// reads them. Measured on the `cnn` workload: 2¹⁶ elements (one 32 × 32 sample of its first
  /// convolution per GEMM) beat 2¹⁷ and 2¹⁸ (5 samples) by 1.5 % and 4.5 % on one thread and
  /// 3 % and 9 % on two (docs/performance.md, "Two threads on the CNN").
  static var chunkElements: Int { 1 << 16 }

  let mode: Mode
  let geometry: ConvolutionGeometry
  let batch: Int
  /// forward: x; gradients: g.
  let first: UnsafeMutablePointer<T>
  /// forward and input gradient: the weight; weight gradient: x.
  let second: UnsafeMutablePointer<T>
  let bias: UnsafeMutablePointer<T>?
  /// Applied in the forward's output pass (a fused element-wise activation).
  let activation: Activation?
  let output: UnsafeMutablePointer<T>
  /// Samples per GEMM.
  let chunk: Int
  /// Threads the batch is shared between (1: the caller alone, its loops and GEMMs split).
  let workers: Int
  /// One per worker.
  let scratch: [Scratch]
  /// The weight gradients of workers 1 ..< workers, `[filters · patchSize]` each.
  let partials: ScratchBuffer<T>?

  init(
    mode: Mode, geometry: ConvolutionGeometry, batch: Int, first: UnsafeMutablePointer<T>,
    second: UnsafeMutablePointer<T>, bias: UnsafeMutablePointer<T>? = nil,
    activation: Activation? = nil, output: UnsafeMutablePointer<T>,
    chunkElements: Int = ConvolutionKernel.chunkElements, workers: Int = Parallel.width
  ) {
    (self.mode, self.geometry, self.batch) = (mode, geometry, batch)
    (self.first, self.second, self.bias, self.activation, self.output) =
      (first, second, bias, activation, output)
    self.workers = Swift.max(1, Swift.min(workers, batch))
    let share = (batch + self.workers - 1) / self.workers
    let perSample = (geometry.patchSize + geometry.filters) * geometry.positions
    chunk = Swift.max(1, Swift.min(share, chunkElements / Swift.max(perSample, 1)))
    let (patches, filters, positions, chunk) =
      (geometry.patchSize, geometry.filters, geometry.positions, chunk)
    scratch = (0..<self.workers).map { _ in
      Scratch(columns: ScratchBuffer(count: patches * chunk * positions),
              rows: ScratchBuffer(count: filters * chunk * positions))
    }
    partials = mode == .weightGradient && self.workers > 1
      ? ScratchBuffer(count: (self.workers - 1) * filters * patches) : nil
  }

  func run() {
    let g = geometry
    if mode == .weightGradient, batch == 0 {
      output.update(repeating: 0, count: g.filters * g.patchSize)
    }
    guard workers > 1 else {
      run(0..<batch, scratch[0], into: output)
      return
    }
    let (workers, batch, size) = (workers, batch, g.filters * g.patchSize)
    // The loops and GEMMs inside a share call Parallel.forEach too: nested, they run inline.
    Parallel.forEach(workers) { parts in
      for worker in parts {
        // Only a weight gradient writes there; the other modes write their samples' rows.
        let destination = partials.map { worker == 0 ? output : $0.pointer + (worker - 1) * size }
          ?? output
        run(WorkerPool.range(worker, of: workers, count: batch), scratch[worker],
            into: destination)
      }
    }
    if let partials {
      for worker in 1..<workers {
        let partial = partials.pointer + (worker - 1) * size
        for index in 0..<size { output[index] += partial[index] }
      }
    }
  }

  /// Samples `range`, a chunk at a time; a weight gradient is written to `destination`.
  private func run(
    _ range: Range<Int>, _ scratch: Scratch, into destination: UnsafeMutablePointer<T>
  ) {
    var start = range.lowerBound
    while start < range.upperBound {
      let samples = Swift.min(chunk, range.upperBound - start)
      switch mode {
      case .forward: forward(start, samples, scratch)
      case .inputGradient: inputGradient(start, samples, scratch)
      case .weightGradient:
        weightGradient(start, samples, scratch, into: destination,
                       accumulate: start > range.lowerBound)
      }
      start += samples
    }
  }

  private var inputSize: Int { geometry.inChannels * geometry.height * geometry.width }
  private var outputSize: Int { geometry.filters * geometry.positions }

  /// y = act(W · im2col(x) + b) for samples `start ..< start + samples`.
  private func forward(_ start: Int, _ samples: Int, _ scratch: Scratch) {
    let g = geometry
    let (x, columns, product) =
      (first + start * inputSize, scratch.columns.pointer, scratch.rows.pointer)
    let (positions, width) = (g.positions, samples * g.positions)
    Parallel.forEach(samples) { range in
      for s in range {
        g.im2col(x + s * inputSize, into: columns + s * positions, rowStride: width)
      }
    }
    T.gemm(second, transposeA: false, columns, transposeB: false, into: product,
           m: g.filters, n: width, k: g.patchSize, accumulate: false)
    let y = output + start * outputSize
    let (bias, filters, outputSize) = (bias, g.filters, outputSize)
    (activation ?? .identity).withForward { (f: (T) -> T) in
      Parallel.forEach(samples) { range in
        for s in range {
          for filter in 0..<filters {
            let source = product + filter * width + s * positions
            let destination = y + s * outputSize + filter * positions
            let shift = bias?[filter] ?? 0
            for p in 0..<positions { destination[p] = f(source[p] + shift) }
          }
        }
      }
    }
  }

  /// dx = col2im(Wᵀ · g) for samples `start ..< start + samples`.
  private func inputGradient(_ start: Int, _ samples: Int, _ scratch: Scratch) {
    let g = geometry
    let width = samples * g.positions
    gather(start, samples, into: scratch.rows.pointer)
    T.gemm(second, transposeA: true, scratch.rows.pointer, transposeB: false,
           into: scratch.columns.pointer, m: g.patchSize, n: width, k: g.filters,
           accumulate: false)
    let (columns, dx, positions, inputSize) =
      (scratch.columns.pointer, output + start * inputSize, g.positions, inputSize)
    Parallel.forEach(samples) { range in
      for s in range {
        g.col2im(columns + s * positions, rowStride: width, into: dx + s * inputSize)
      }
    }
  }

  /// dW (+)= g · im2col(x)ᵀ over samples `start ..< start + samples`.
  private func weightGradient(
    _ start: Int, _ samples: Int, _ scratch: Scratch, into destination: UnsafeMutablePointer<T>,
    accumulate: Bool
  ) {
    let g = geometry
    let (x, columns) = (second + start * inputSize, scratch.columns.pointer)
    let (positions, width, inputSize) = (g.positions, samples * g.positions, inputSize)
    gather(start, samples, into: scratch.rows.pointer)
    Parallel.forEach(samples) { range in
      for s in range {
        g.im2col(x + s * inputSize, into: columns + s * positions, rowStride: width)
      }
    }
    T.gemm(scratch.rows.pointer, transposeA: false, columns, transposeB: true, into: destination,
           m: g.filters, n: g.patchSize, k: width, accumulate: accumulate)
  }

  /// Copies the upstream gradient of samples `start ..< start + samples` ([samples, filters,
  /// positions]) into `gathered` as `[filters, samples · positions]`.
  private func gather(_ start: Int, _ samples: Int, into gathered: UnsafeMutablePointer<T>) {
    let (filters, positions, outputSize) = (geometry.filters, geometry.positions, outputSize)
    let upstream = first + start * outputSize
    let width = samples * positions
    Parallel.forEach(samples) { range in
      for s in range {
        for filter in 0..<filters {
          (gathered + filter * width + s * positions)
            .update(from: upstream + s * outputSize + filter * positions, count: positions)
        }
      }
    }
  }
}

extension Kernel {
  /// The kernel of one node of the convolution family.
  static func convolutionFamily(_ op: ConvolutionOp, _ operands: KernelOperands<T>) -> Kernel {
    let p = operands.inputs
    switch op {
    case .conv2d(let geometry):
      return .convolution(geometry, input: p[0], weight: p[1],
                          bias: geometry.hasBias ? p[2] : nil, activation: nil,
                          output: operands.output, batch: operands.outputShape[0])
    case .conv2dInputGradient(let geometry):
      return .convolution(ConvolutionKernel(
        mode: .inputGradient, geometry: geometry, batch: operands.outputShape[0], first: p[0],
        second: p[1], output: operands.output))
    case .conv2dWeightGradient(let geometry):
      return .convolution(ConvolutionKernel(
        mode: .weightGradient, geometry: geometry, batch: operands.inputShapes[0][0],
        first: p[0], second: p[1], output: operands.output))
    }
  }

  /// A conv2d and, when the plan fused it, its element-wise activation.
  static func convolution(
    _ geometry: ConvolutionGeometry, input: UnsafeMutablePointer<T>,
    weight: UnsafeMutablePointer<T>, bias: UnsafeMutablePointer<T>?, activation: Activation?,
    output: UnsafeMutablePointer<T>, batch: Int
  ) -> Kernel {
    .convolution(ConvolutionKernel(
      mode: .forward, geometry: geometry, batch: batch, first: input, second: weight,
      bias: bias, activation: activation, output: output))
  }
}
