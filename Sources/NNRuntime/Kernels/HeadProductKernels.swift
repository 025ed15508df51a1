// The head product: one matrix product per (sample, head) whose operands and result are read
// and written where they lie, the heads of a `[B, T, heads·width]` tensor being strided column
// blocks rather than copies. Attention's four products and the four of its gradient are head
// products, so the head split, its permutes and its transposes move no data: a transpose is a
// GEMM flag and a column block is a pointer with a leading dimension.
import CBLAS

/// How a head product's operand or result holds its matrices, one per (sample, head).
public enum HeadLayout: Hashable, Sendable {
  /// `[B, heads, rows, columns]`, each matrix contiguous.
  case stacked
  /// `[B, rows, X]`: head h's matrix is columns `offset + h·width ..< offset + (h + 1)·width`
  /// of every row (the queries, keys or values inside an attention's projection).
  case interleaved(offset: Int, width: Int)
}

/// `C = scale · op(A) · op(B)` for every sample and head; op transposes when asked.
public struct HeadProduct: Hashable, Sendable {
  /// Heads per sample.
  public var heads: Int
  /// The layouts of A, B and the result; an interleaved result starts at column 0.
  public var a: HeadLayout
  public var b: HeadLayout
  public var result: HeadLayout
  public var transposeA: Bool
  public var transposeB: Bool
  /// Held in 64 bits so that a Double plan scales by 1/√width itself.
  public var scale: Double

  /// A head product.
  public init(
    heads: Int, a: HeadLayout, transposeA: Bool = false, b: HeadLayout,
    transposeB: Bool = false, result: HeadLayout, scale: Double = 1
  ) {
    (self.heads, self.a, self.transposeA, self.b, self.transposeB) =
      (heads, a, transposeA, b, transposeB)
    (self.result, self.scale) = (result, scale)
  }

  /// The per-head matrix `[rows, columns]` of an operand of `shape` held as `layout`, or nil
  /// when the shape cannot hold it.
  func matrix(_ shape: [Int], _ layout: HeadLayout) -> (rows: Int, columns: Int)? {
    switch layout {
    case .stacked:
      guard shape.count == 4, shape[1] == heads else { return nil }
      return (shape[2], shape[3])
    case .interleaved(let offset, let width):
      guard shape.count == 3, offset >= 0, width >= 0, offset + heads * width <= shape[2]
      else { return nil }
      return (shape[1], width)
    }
  }

  /// The shape of a `[rows, columns]` matrix per head of `batch` samples held as `layout`.
  func shape(batch: Int, rows: Int, columns: Int, _ layout: HeadLayout) -> [Int] {
    switch layout {
    case .stacked: [batch, heads, rows, columns]
    case .interleaved: [batch, rows, heads * columns]
    }
  }
}

// MARK: - Shape rule

extension Graph {
  static func headProductShape(_ p: HeadProduct, _ shapes: [[Int]]) throws(GraphError) -> [Int] {
    let (a, b) = (shapes[0], shapes[1])
    guard p.heads > 0, let ma = p.matrix(a, p.a), let mb = p.matrix(b, p.b), a[0] == b[0]
    else {
      throw GraphError(message: "head_matmul: shapes \(shapeText(a)) and \(shapeText(b)) do "
                       + "not hold \(p.heads) heads as its layouts say")
    }
    let (m, k) = p.transposeA ? (ma.columns, ma.rows) : (ma.rows, ma.columns)
    let (kb, n) = p.transposeB ? (mb.columns, mb.rows) : (mb.rows, mb.columns)
    guard k == kb else {
      throw GraphError(message: "head_matmul: inner dimensions \(k) and \(kb) differ (shapes "
                       + "\(shapeText(a)) and \(shapeText(b)))")
    }
    if case .interleaved(let offset, let width) = p.result, offset != 0 || width != n {
      throw GraphError(message: "head_matmul: an interleaved result starts at column 0 and "
                       + "is \(n) wide per head")
    }
    return p.shape(batch: a[0], rows: m, columns: n, p.result)
  }
}

// MARK: - Gradient rule

extension Graph {
  /// For C = s · op(A) · op(B) with upstream G: dA = s · G · op(B)ᵀ (or s · op(B) · Gᵀ when A is
  /// read transposed) and dB = s · op(A)ᵀ · G (or s · Gᵀ · op(A)), each one head product
  /// written in its operand's layout; an interleaved operand's gradient covers only its column
  /// blocks, so a slice gradient places it in the whole tensor (autodiff joins the query, key
  /// and value parts of one projection with one concat).
  mutating func headProductGradient(
    _ p: HeadProduct, _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    let (a, b) = (self[node].inputs[0], self[node].inputs[1])
    var result: [Contribution] = []
    func place(_ part: NodeID, layout: HeadLayout, into operand: NodeID, _ graph: inout Graph)
      throws(GraphError) -> NodeID {
      let whole = graph.shape(of: operand)
      guard case .interleaved(let offset, let width) = layout, graph.shape(of: part) != whole
      else { return part }
      let range = SliceRange(axis: 2, start: offset, end: offset + p.heads * width)
      return try graph.gradientNode(.sliceGradient(range, shape: whole), [part], for: node)
    }
    func own(_ layout: HeadLayout) -> HeadLayout {
      if case .interleaved(_, let width) = layout { return .interleaved(offset: 0, width: width) }
      return .stacked
    }
    if needs[0] {
      let product = p.transposeA
        ? HeadProduct(heads: p.heads, a: p.b, transposeA: p.transposeB, b: p.result,
                      transposeB: true, result: own(p.a), scale: p.scale)
        : HeadProduct(heads: p.heads, a: p.result, b: p.b, transposeB: !p.transposeB,
                      result: own(p.a), scale: p.scale)
      let operands = p.transposeA ? [b, g] : [g, b]
      let part = try gradientNode(.linearAlgebra(.headMatmul(product)), operands, for: node)
      result.append((a, try place(part, layout: p.a, into: a, &self)))
    }
    if needs[1] {
      let product = p.transposeB
        ? HeadProduct(heads: p.heads, a: p.result, transposeA: true, b: p.a,
                      transposeB: p.transposeA, result: own(p.b), scale: p.scale)
        : HeadProduct(heads: p.heads, a: p.a, transposeA: !p.transposeA, b: p.result,
                      result: own(p.b), scale: p.scale)
      let operands = p.transposeB ? [g, a] : [a, g]
      let part = try gradientNode(.linearAlgebra(.headMatmul(product)), operands, for: node)
      result.append((b, try place(part, layout: p.b, into: b, &self)))
    }
    return result
  }
}

// MARK: - Kernel

/// Where one operand's matrices lie: matrix (sample, head) starts at
/// `sample · sampleStride + head · headStride` and its rows are `leading` apart.
struct HeadOperand {
  let sampleStride: Int
  let headStride: Int
  let leading: Int

  init(shape: [Int], layout: HeadLayout) {
    switch layout {
    case .stacked:
      (sampleStride, headStride, leading) = (shape[1] * shape[2] * shape[3],
                                             shape[2] * shape[3], shape[3])
    case .interleaved(_, let width):
      // The column offset is added to the base pointer once (`Kernel.headProduct`).
      (sampleStride, headStride, leading) = (shape[1] * shape[2], width, shape[2])
    }
  }
}

extension Kernel {
  /// The head product's kernel: the batched GEMM over strided operands.
  static func headProduct(_ p: HeadProduct, _ operands: KernelOperands<T>) -> Kernel {
    let shapes = operands.inputShapes
    func start(_ layout: HeadLayout) -> Int {
      if case .interleaved(let offset, _) = layout { return offset }
      return 0
    }
    let (a, b) = (HeadOperand(shape: shapes[0], layout: p.a),
                  HeadOperand(shape: shapes[1], layout: p.b))
    let c = HeadOperand(shape: operands.outputShape, layout: p.result)
    let ma = p.matrix(shapes[0], p.a)!
    let mb = p.matrix(shapes[1], p.b)!
    let (m, k) = p.transposeA ? (ma.columns, ma.rows) : (ma.rows, ma.columns)
    let n = p.transposeB ? mb.rows : mb.columns
    var aOffsets: [Int] = []
    var bOffsets: [Int] = []
    var cOffsets: [Int] = []
    for sample in 0..<shapes[0][0] {
      for head in 0..<p.heads {
        aOffsets.append(sample * a.sampleStride + head * a.headStride)
        bOffsets.append(sample * b.sampleStride + head * b.headStride)
        cOffsets.append(sample * c.sampleStride + head * c.headStride)
      }
    }
    return .batchedGemm(BatchedGemmKernel(
      a: operands.inputs[0] + start(p.a), transposeA: p.transposeA, lda: a.leading,
      b: operands.inputs[1] + start(p.b), transposeB: p.transposeB, ldb: b.leading,
      c: operands.output, ldc: c.leading, m: m, n: n, k: k, scale: T(p.scale),
      aOffsets: aOffsets, bOffsets: bOffsets, cOffsets: cOffsets))
  }
}

/// `C = α · op(A) · op(B)` on row-major matrices with explicit leading dimensions (rows of a
/// head are a column block of a wider tensor), by the BLAS of T's width.
@inline(__always)
func stridedGemm<T: PlanScalar>(
  _ a: UnsafePointer<T>, transposeA: Bool, lda: Int, _ b: UnsafePointer<T>, transposeB: Bool,
  ldb: Int, into c: UnsafeMutablePointer<T>, ldc: Int, m: Int, n: Int, k: Int, scale: T
) {
  if m == 0 || n == 0 { return }
  if k == 0 {
    for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) }
    return
  }
  let (ta, tb) = (transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans)
  if T.self == Float.self {
    cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), scale.floatValue,
                UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), Int32(lda),
                UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), Int32(ldb), 0,
                UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), Int32(ldc))
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), scale.doubleValue,
                UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), Int32(lda),
                UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), Int32(ldb), 0,
                UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), Int32(ldc))
  }
}
