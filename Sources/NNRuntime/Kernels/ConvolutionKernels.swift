// The convolution family: conv2d and its input and weight gradients — shape rules, gradient
// rules and kernels side by side. A convolution is im2col (each receptive field unrolled into a
// column of a scratch matrix) followed by one GEMM per sample through `PlanScalar.gemm`; its
// input gradient is the transposed GEMM followed by col2im, its weight gradient im2col followed
// by a GEMM accumulated over the batch.

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

/// conv2d, its input gradient or its weight gradient over a batch, through one im2col scratch
/// matrix `[patchSize, positions]`.
struct ConvolutionKernel<T: PlanScalar> {
  enum Mode { case forward, inputGradient, weightGradient }

  let mode: Mode
  let geometry: ConvolutionGeometry
  let batch: Int
  /// forward: x; gradients: g.
  let first: UnsafeMutablePointer<T>
  /// forward and input gradient: the weight; weight gradient: x.
  let second: UnsafeMutablePointer<T>
  let bias: UnsafeMutablePointer<T>?
  let output: UnsafeMutablePointer<T>
  let scratch: ScratchBuffer<T>

  func run() {
    let g = geometry
    let inputSize = g.inChannels * g.height * g.width
    let outputSize = g.filters * g.positions
    let columns = scratch.pointer
    switch mode {
    case .forward:
      for item in 0..<batch {
        let y = output + item * outputSize
        im2col(first + item * inputSize, into: columns)
        T.gemm(second, transposeA: false, columns, transposeB: false, into: y,
               m: g.filters, n: g.positions, k: g.patchSize, accumulate: false)
        if let bias {
          for f in 0..<g.filters {
            let row = y + f * g.positions
            let value = bias[f]
            for p in 0..<g.positions { row[p] += value }
          }
        }
      }
    case .inputGradient:
      for item in 0..<batch {
        T.gemm(second, transposeA: true, first + item * outputSize, transposeB: false,
               into: columns, m: g.patchSize, n: g.positions, k: g.filters, accumulate: false)
        let dx = output + item * inputSize
        dx.update(repeating: 0, count: inputSize)
        col2im(columns, into: dx)
      }
    case .weightGradient:
      for item in 0..<batch {
        im2col(second + item * inputSize, into: columns)
        T.gemm(first + item * outputSize, transposeA: false, columns, transposeB: true,
               into: output, m: g.filters, n: g.patchSize, k: g.positions,
               accumulate: item > 0)
      }
      if batch == 0 { output.update(repeating: 0, count: g.filters * g.patchSize) }
    }
  }

  /// Unrolls one sample's receptive fields: row (c, ki, kj), column (oy, ox) holds
  /// x[c, oy·sy − padTop + ki, ox·sx − padLeft + kj], zero outside the input.
  private func im2col(_ x: UnsafeMutablePointer<T>, into columns: UnsafeMutablePointer<T>) {
    let g = geometry
    var row = 0
    for c in 0..<g.inChannels {
      let plane = x + c * g.height * g.width
      for ki in 0..<g.kernelHeight {
        for kj in 0..<g.kernelWidth {
          let destination = columns + row * g.positions
          row += 1
          for oy in 0..<g.outHeight {
            let line = destination + oy * g.outWidth
            let iy = oy * g.strideY - g.padTop + ki
            guard iy >= 0 && iy < g.height else {
              line.update(repeating: 0, count: g.outWidth)
              continue
            }
            let source = plane + iy * g.width
            for ox in 0..<g.outWidth {
              let ix = ox * g.strideX - g.padLeft + kj
              line[ox] = ix >= 0 && ix < g.width ? source[ix] : 0
            }
          }
        }
      }
    }
  }

  /// The adjoint of `im2col`: adds each column entry back to the input element it came from.
  private func col2im(_ columns: UnsafeMutablePointer<T>, into dx: UnsafeMutablePointer<T>) {
    let g = geometry
    var row = 0
    for c in 0..<g.inChannels {
      let plane = dx + c * g.height * g.width
      for ki in 0..<g.kernelHeight {
        for kj in 0..<g.kernelWidth {
          let source = columns + row * g.positions
          row += 1
          for oy in 0..<g.outHeight {
            let iy = oy * g.strideY - g.padTop + ki
            guard iy >= 0 && iy < g.height else { continue }
            let line = source + oy * g.outWidth
            let destination = plane + iy * g.width
            for ox in 0..<g.outWidth {
              let ix = ox * g.strideX - g.padLeft + kj
              if ix >= 0 && ix < g.width { destination[ix] += line[ox] }
            }
          }
        }
      }
    }
  }
}

extension Kernel {
  /// The kernel of one node of the convolution family.
  static func convolutionFamily(_ op: ConvolutionOp, _ operands: KernelOperands<T>) -> Kernel {
    let p = operands.inputs
    let batch = operands.outputShape.first ?? 0
    switch op {
    case .conv2d(let geometry):
      return .convolution(ConvolutionKernel(
        mode: .forward, geometry: geometry, batch: batch, first: p[0], second: p[1],
        bias: geometry.hasBias ? p[2] : nil, output: operands.output,
        scratch: ScratchBuffer(count: geometry.patchSize * geometry.positions)))
    case .conv2dInputGradient(let geometry):
      return .convolution(ConvolutionKernel(
        mode: .inputGradient, geometry: geometry, batch: batch, first: p[0], second: p[1],
        bias: nil, output: operands.output,
        scratch: ScratchBuffer(count: geometry.patchSize * geometry.positions)))
    case .conv2dWeightGradient(let geometry):
      return .convolution(ConvolutionKernel(
        mode: .weightGradient, geometry: geometry, batch: operands.inputShapes[0][0],
        first: p[0], second: p[1], bias: nil, output: operands.output,
        scratch: ScratchBuffer(count: geometry.patchSize * geometry.positions)))
    }
  }
}
