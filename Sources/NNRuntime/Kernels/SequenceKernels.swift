// The sequence family: embedding lookups and the LSTM with backpropagation through time —
// shape rules, gradient rules and kernels side by side.
//
// The LSTM is one fused op (PyTorch's gate order i, f, g, o; weight_ih [4U, F], weight_hh
// [4U, U], one bias [4U]; zero initial state). Its gradient is a BPTT node, `lstm_bptt`, that
// recomputes the forward pass in its own scratch and writes, time-major, the gradient of every
// gate pre-activation, the previous hidden state of every step and the input; four small
// `lstm_grad` nodes turn that into dL/dx, dL/dW_ih, dL/dW_hh and dL/db with one GEMM each.

/// One LSTM layer over `[time, features]` samples.
public struct LSTMGeometry: Hashable, Sendable {
  public var time: Int
  public var features: Int
  public var units: Int
  /// Every step's hidden state `[time, units]`, or only the last `[units]`.
  public var returnSequences: Bool

  public init(time: Int, features: Int, units: Int, returnSequences: Bool) {
    self.time = time
    self.features = features
    self.units = units
    self.returnSequences = returnSequences
  }

  /// `[time, features]`.
  public var inputShape: [Int] { [time, features] }
  /// `[time, units]` or `[units]`.
  public var outputShape: [Int] { returnSequences ? [time, units] : [units] }
  /// `[4·units, features]`.
  public var inputWeightShape: [Int] { [4 * units, features] }
  /// `[4·units, units]`.
  public var hiddenWeightShape: [Int] { [4 * units, units] }
  /// Values per batch row of the BPTT node: gate gradients, previous hidden states, inputs.
  var packedPerRow: Int { time * (5 * units + features) }
}

/// Which gradient an `lstm_grad` node computes from the BPTT node.
public enum LSTMGradientPart: Hashable, Sendable {
  case input, inputWeight, hiddenWeight, bias

  var name: String {
    switch self {
    case .input: "input"
    case .inputWeight: "weight_ih"
    case .hiddenWeight: "weight_hh"
    case .bias: "bias"
    }
  }
}

// MARK: - Shape rules

extension Graph {
  static func sequenceFamilyShape(
    _ op: SequenceOp, _ shapes: [[Int]]
  ) throws(GraphError) -> [Int] {
    switch op {
    case .embedding(let vocab, let dim):
      let (ids, table) = (shapes[0], shapes[1])
      guard ids.count == 2 else {
        throw GraphError(message: "embedding: the token ids must be a batch [B, time], not "
                         + "shape \(shapeText(ids))")
      }
      guard table == [vocab, dim] else {
        throw GraphError(message: "embedding: the table must have shape [\(vocab), \(dim)], "
                         + "not \(shapeText(table))")
      }
      return ids + [dim]
    case .embeddingGradient(let vocab, let dim):
      let (ids, g) = (shapes[0], shapes[1])
      guard ids.count == 2, g == ids + [dim] else {
        throw GraphError(message: "embedding_grad: id shape \(shapeText(ids)) or gradient shape "
                         + "\(shapeText(g)) does not fit the embedding")
      }
      return [vocab, dim]
    case .lstm(let geometry):
      let (x, wih, whh, b) = (shapes[0], shapes[1], shapes[2], shapes[3])
      guard x.count == 3, Array(x.dropFirst()) == geometry.inputShape else {
        throw GraphError(message: "lstm: the input must be a batch [B, "
                         + "\(geometry.inputShape.map(String.init).joined(separator: ", "))], "
                         + "not shape \(shapeText(x))")
      }
      guard wih == geometry.inputWeightShape, whh == geometry.hiddenWeightShape,
        b == [4 * geometry.units]
      else {
        throw GraphError(message: "lstm: the weights must have shapes "
                         + "\(shapeText(geometry.inputWeightShape)), "
                         + "\(shapeText(geometry.hiddenWeightShape)) and "
                         + "[\(4 * geometry.units)], not \(shapeText(wih)), \(shapeText(whh)) "
                         + "and \(shapeText(b))")
      }
      return [x[0]] + geometry.outputShape
    case .lstmBackward(let geometry):
      let (x, g) = (shapes[0], shapes[4])
      guard x.count == 3, Array(x.dropFirst()) == geometry.inputShape,
        g == [x[0]] + geometry.outputShape
      else {
        throw GraphError(message: "lstm_bptt: input shape \(shapeText(x)) or gradient shape "
                         + "\(shapeText(g)) does not fit the lstm")
      }
      return [x[0], geometry.packedPerRow]
    case .lstmGradient(let geometry, let part):
      let packed = shapes[0]
      guard packed.count == 2, packed[1] == geometry.packedPerRow,
        shapes[1] == geometry.inputWeightShape
      else {
        throw GraphError(message: "lstm_grad: shape \(shapeText(packed)) does not fit the lstm")
      }
      switch part {
      case .input: return [packed[0]] + geometry.inputShape
      case .inputWeight: return geometry.inputWeightShape
      case .hiddenWeight: return geometry.hiddenWeightShape
      case .bias: return [4 * geometry.units]
      }
    }
  }
}

// MARK: - Gradient rules

extension Graph {
  mutating func sequenceFamilyGradient(
    _ op: SequenceOp, _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    let inputs = self[node].inputs
    var result: [Contribution] = []
    switch op {
    case .embedding(let vocab, let dim):
      // Token ids are not differentiable; dL/dtable[v] = Σ of g over the positions holding v.
      if needs[1] {
        result.append((inputs[1], try gradientNode(.embeddingGradient(vocab: vocab, dim: dim),
                                                   [inputs[0], g], for: node)))
      }
    case .lstm(let geometry):
      // Backpropagation through time: one node for the gate gradients of every step, then
      // dx = dZ · W_ih, dW_ih = Σ dZᵀ x, dW_hh = Σ dZᵀ h_{t−1}, db = Σ dZ.
      guard needs.contains(true) else { return [] }
      let packed = try gradientNode(.lstmBackward(geometry),
                                    [inputs[0], inputs[1], inputs[2], inputs[3], g], for: node)
      let parts: [LSTMGradientPart] = [.input, .inputWeight, .hiddenWeight, .bias]
      for (i, part) in parts.enumerated() where needs[i] {
        result.append((inputs[i], try gradientNode(.lstmGradient(geometry, part),
                                                   [packed, inputs[1]], for: node)))
      }
    case .embeddingGradient, .lstmBackward, .lstmGradient:
      throw noSecondDerivative(node)
    }
    return result
  }
}

// MARK: - Kernels

/// An embedding lookup or its table gradient. Ids outside [0, vocab) (which the caller
/// reports before running) read and write nothing.
struct EmbeddingKernel<T: PlanScalar> {
  let vocab: Int
  let dim: Int
  let positions: Int
  let gradient: Bool
  let ids: UnsafeMutablePointer<T>
  /// forward: the table; gradient: the upstream gradient.
  let second: UnsafeMutablePointer<T>
  let output: UnsafeMutablePointer<T>

  @inline(__always)
  private func row(_ p: Int) -> Int? {
    let value = ids[p].doubleValue
    guard value >= 0, value < Double(vocab) else { return nil }
    return Int(value)
  }

  func run() {
    if gradient {
      output.update(repeating: 0, count: vocab * dim)
      for p in 0..<positions {
        guard let v = row(p) else { continue }
        let destination = output + v * dim
        let source = second + p * dim
        for j in 0..<dim { destination[j] += source[j] }
      }
    } else {
      for p in 0..<positions {
        let destination = output + p * dim
        if let v = row(p) {
          destination.update(from: second + v * dim, count: dim)
        } else {
          destination.update(repeating: 0, count: dim)
        }
      }
    }
  }
}

/// The LSTM forward pass, its BPTT node, or one of its parameter/input gradients.
struct LSTMKernel<T: PlanScalar> {
  enum Mode { case forward, backward, gradient(LSTMGradientPart) }

  let mode: Mode
  let geometry: LSTMGeometry
  let batch: Int
  let inputs: [UnsafeMutablePointer<T>]
  let output: UnsafeMutablePointer<T>
  let scratch: ScratchBuffer<T>

  /// Scratch for forward and BPTT: time-major x [T·B·F], gates (activated) [T·B·4U], cells
  /// and hidden states [(T+1)·B·U] each, and two [B·U] rows plus [B·4U] for the recurrence.
  static func scratchCount(_ g: LSTMGeometry, batch: Int, mode: Mode) -> Int {
    let (t, b, u, f) = (g.time, batch, g.units, g.features)
    switch mode {
    case .forward, .backward:
      return t * b * f + t * b * 4 * u + 2 * (t + 1) * b * u + 2 * b * u + b * 4 * u
    case .gradient(let part):
      return part == .input ? t * b * f : 1
    }
  }

  func run() {
    switch mode {
    case .forward: forward(writeOutput: true)
    case .backward:
      forward(writeOutput: false)
      backward()
    case .gradient(let part): gradient(part)
    }
  }

  private var layout: (x: UnsafeMutablePointer<T>, gates: UnsafeMutablePointer<T>,
                       cells: UnsafeMutablePointer<T>, hidden: UnsafeMutablePointer<T>,
                       dh: UnsafeMutablePointer<T>, dc: UnsafeMutablePointer<T>) {
    let (t, b, u, f) = (geometry.time, batch, geometry.units, geometry.features)
    let x = scratch.pointer
    let gates = x + t * b * f
    let cells = gates + t * b * 4 * u
    let hidden = cells + (t + 1) * b * u
    let dh = hidden + (t + 1) * b * u
    let dc = dh + b * u
    return (x, gates, cells, hidden, dh, dc)
  }

  /// Runs the recurrence into the scratch; with `writeOutput`, also the layer's output.
  private func forward(writeOutput: Bool) {
    let (steps, b, u, f) = (geometry.time, batch, geometry.units, geometry.features)
    let (x, gates, cells, hidden, _, _) = layout
    let (input, wih, whh, bias) = (inputs[0], inputs[1], inputs[2], inputs[3])
    for item in 0..<b {
      for t in 0..<steps {
        (x + (t * b + item) * f).update(from: input + (item * steps + t) * f, count: f)
      }
    }
    cells.update(repeating: 0, count: b * u)
    hidden.update(repeating: 0, count: b * u)
    if steps * b > 0 {
      T.gemm(x, transposeA: false, wih, transposeB: true, into: gates, m: steps * b,
             n: 4 * u, k: f, accumulate: false)
    }
    for t in 0..<steps {
      let z = gates + t * b * 4 * u
      let hPrev = hidden + t * b * u
      let cPrev = cells + t * b * u
      let h = hidden + (t + 1) * b * u
      let c = cells + (t + 1) * b * u
      T.gemm(hPrev, transposeA: false, whh, transposeB: true, into: z, m: b, n: 4 * u, k: u,
             accumulate: true)
      for item in 0..<b {
        let row = z + item * 4 * u
        for j in 0..<u {
          let i = sigmoid(row[j] + bias[j])
          let fg = sigmoid(row[u + j] + bias[u + j])
          let g = T.hyperbolicTangent(row[2 * u + j] + bias[2 * u + j])
          let o = sigmoid(row[3 * u + j] + bias[3 * u + j])
          row[j] = i
          row[u + j] = fg
          row[2 * u + j] = g
          row[3 * u + j] = o
          let cell = fg * cPrev[item * u + j] + i * g
          c[item * u + j] = cell
          h[item * u + j] = o * T.hyperbolicTangent(cell)
        }
      }
    }
    guard writeOutput else { return }
    for item in 0..<b {
      if geometry.returnSequences {
        for t in 0..<steps {
          (output + (item * steps + t) * u).update(from: hidden + ((t + 1) * b + item) * u,
                                                    count: u)
        }
      } else {
        (output + item * u).update(from: hidden + (steps * b + item) * u, count: u)
      }
    }
  }

  /// Writes the packed BPTT result: time-major gate gradients [T·B·4U], previous hidden states
  /// [T·B·U] and inputs [T·B·F].
  private func backward() {
    let (steps, b, u, f) = (geometry.time, batch, geometry.units, geometry.features)
    let (x, gates, cells, hidden, dh, dc) = layout
    let (whh, upstream) = (inputs[2], inputs[4])
    let dz = output
    let previous = output + steps * b * 4 * u
    previous.update(from: hidden, count: steps * b * u)
    (previous + steps * b * u).update(from: x, count: steps * b * f)
    dh.update(repeating: 0, count: b * u)
    dc.update(repeating: 0, count: b * u)
    for t in stride(from: steps - 1, through: 0, by: -1) {
      let a = gates + t * b * 4 * u
      let cPrev = cells + t * b * u
      let c = cells + (t + 1) * b * u
      let d = dz + t * b * 4 * u
      for item in 0..<b {
        for j in 0..<u {
          let k = item * u + j
          var dhValue = dh[k]
          if geometry.returnSequences {
            dhValue += upstream[(item * steps + t) * u + j]
          } else if t == steps - 1 {
            dhValue += upstream[item * u + j]
          }
          let row = a + item * 4 * u
          let (i, fg, g, o) = (row[j], row[u + j], row[2 * u + j], row[3 * u + j])
          let tc = T.hyperbolicTangent(c[k])
          let dcValue = dc[k] + dhValue * o * (1 - tc * tc)
          let out = d + item * 4 * u
          out[j] = dcValue * g * i * (1 - i)
          out[u + j] = dcValue * cPrev[k] * fg * (1 - fg)
          out[2 * u + j] = dcValue * i * (1 - g * g)
          out[3 * u + j] = dhValue * tc * o * (1 - o)
          dc[k] = dcValue * fg
        }
      }
      // dh_{t−1} = dZ_t · W_hh.
      T.gemm(d, transposeA: false, whh, transposeB: false, into: dh, m: b, n: u, k: 4 * u,
             accumulate: false)
    }
  }

  private func gradient(_ part: LSTMGradientPart) {
    let (steps, b, u, f) = (geometry.time, batch, geometry.units, geometry.features)
    let rows = steps * b
    let dz = inputs[0]
    let previous = dz + rows * 4 * u
    let x = previous + rows * u
    switch part {
    case .input:
      let dx = scratch.pointer
      if rows > 0 {
        T.gemm(dz, transposeA: false, inputs[1], transposeB: false, into: dx, m: rows, n: f,
               k: 4 * u, accumulate: false)
      }
      for item in 0..<b {
        for t in 0..<steps {
          (output + (item * steps + t) * f).update(from: dx + (t * b + item) * f, count: f)
        }
      }
    case .inputWeight:
      if rows == 0 { output.update(repeating: 0, count: 4 * u * f); return }
      T.gemm(dz, transposeA: true, x, transposeB: false, into: output, m: 4 * u, n: f,
             k: rows, accumulate: false)
    case .hiddenWeight:
      if rows == 0 { output.update(repeating: 0, count: 4 * u * u); return }
      T.gemm(dz, transposeA: true, previous, transposeB: false, into: output, m: 4 * u, n: u,
             k: rows, accumulate: false)
    case .bias:
      output.update(repeating: 0, count: 4 * u)
      for r in 0..<rows {
        let row = dz + r * 4 * u
        for k in 0..<(4 * u) { output[k] += row[k] }
      }
    }
  }
}

extension Kernel {
  /// The kernel of one node of the sequence family.
  static func sequenceFamily(_ op: SequenceOp, _ operands: KernelOperands<T>) -> Kernel {
    let p = operands.inputs
    switch op {
    case .embedding(let vocab, let dim):
      return .embedding(EmbeddingKernel(
        vocab: vocab, dim: dim, positions: operands.inputShapes[0].reduce(1, *),
        gradient: false, ids: p[0], second: p[1], output: operands.output))
    case .embeddingGradient(let vocab, let dim):
      return .embedding(EmbeddingKernel(
        vocab: vocab, dim: dim, positions: operands.inputShapes[0].reduce(1, *),
        gradient: true, ids: p[0], second: p[1], output: operands.output))
    case .lstm(let geometry):
      return lstm(.forward, geometry, operands)
    case .lstmBackward(let geometry):
      return lstm(.backward, geometry, operands)
    case .lstmGradient(let geometry, let part):
      return lstm(.gradient(part), geometry, operands)
    }
  }

  private static func lstm(
    _ mode: LSTMKernel<T>.Mode, _ geometry: LSTMGeometry, _ operands: KernelOperands<T>
  ) -> Kernel {
    let batch = operands.inputShapes[0][0]
    return .lstm(LSTMKernel(
      mode: mode, geometry: geometry, batch: batch, inputs: operands.inputs,
      output: operands.output,
      scratch: ScratchBuffer(count: LSTMKernel<T>.scratchCount(geometry, batch: batch,
                                                                mode: mode))))
  }
}
