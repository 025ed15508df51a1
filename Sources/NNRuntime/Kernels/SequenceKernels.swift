// The sequence family: embedding lookups, the LSTM and the GRU (Kernels/GRUKernels.swift) with
// backpropagation through time —
// shape rules, gradient rules and kernels side by side.
//
// The LSTM is one fused op (PyTorch's gate order i, f, g, o; weight_ih [4U, F], weight_hh
// [4U, U], one bias [4U]; zero initial state): one GEMM for every step's input projection
// with the bias added once, then per step one GEMM of the hidden state and the gates in
// vector code (VectorMath). Its gradient is a BPTT node, `lstm_bptt`, that reads the states
// the forward node saved (a plan places them beside a forward node that has a BPTT node;
// elsewhere, as in an eager call, it recomputes them) and writes, time-major, the gradient of
// every gate pre-activation, the previous hidden state of every step and the input; four small
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
        g == [x[0]] + geometry.outputShape, shapes[5] == g
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
    case .gru(let geometry): return try gruShape(geometry, shapes)
    case .gruBackward(let geometry): return try gruBackwardShape(geometry, shapes)
    case .gruGradient(let geometry, let part): return try gruGradientShape(geometry, part, shapes)
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
                                    [inputs[0], inputs[1], inputs[2], inputs[3], g, node],
                                    for: node)
      let parts: [LSTMGradientPart] = [.input, .inputWeight, .hiddenWeight, .bias]
      for (i, part) in parts.enumerated() where needs[i] {
        result.append((inputs[i], try gradientNode(.lstmGradient(geometry, part),
                                                   [packed, inputs[1]], for: node)))
      }
    case .gru(let geometry):
      return try gruGradient(geometry, node, g, needs: needs)
    case .embeddingGradient, .lstmBackward, .lstmGradient, .gruBackward, .gruGradient:
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
  /// The forward node's saved states (`savedCount`), which the plan places beside a forward
  /// node that has a BPTT node and hands to both; nil elsewhere (inference plans, eager runs),
  /// where the forward pass keeps them in its scratch and the BPTT node recomputes them.
  let saved: UnsafeMutablePointer<T>?
  let scratch: ScratchBuffer<T>

  /// The states the BPTT node reads, time-major: x [T·B·F], activated gates [T·B·4U], cells
  /// and hidden states [(T+1)·B·U] each (step 0 the zero state), tanh of the cells [T·B·U].
  static func savedCount(_ g: LSTMGeometry, batch: Int) -> Int {
    let (t, b, u, f) = (g.time, batch, g.units, g.features)
    return t * b * f + t * b * 4 * u + 2 * (t + 1) * b * u + t * b * u
  }

  /// Kernel-owned scratch: the states when there is no saved buffer, and for BPTT the running
  /// dL/dh and dL/dc [B·U] each.
  static func scratchCount(_ g: LSTMGeometry, batch: Int, mode: Mode, saved: Bool) -> Int {
    let states = saved ? 0 : savedCount(g, batch: batch)
    switch mode {
    case .forward: return states
    case .backward: return states + 2 * batch * g.units
    case .gradient(let part): return part == .input ? g.time * batch * g.features : 1
    }
  }

  func run() {
    switch mode {
    case .forward: forward(writeOutput: true)
    case .backward:
      if saved == nil { forward(writeOutput: false) }
      backward()
    case .gradient(let part): gradient(part)
    }
  }

  private var layout: (x: UnsafeMutablePointer<T>, gates: UnsafeMutablePointer<T>,
                       cells: UnsafeMutablePointer<T>, hidden: UnsafeMutablePointer<T>,
                       tanhCells: UnsafeMutablePointer<T>) {
    let (t, b, u, f) = (geometry.time, batch, geometry.units, geometry.features)
    let x = saved ?? scratch.pointer
    let gates = x + t * b * f
    let cells = gates + t * b * 4 * u
    let hidden = cells + (t + 1) * b * u
    let tanhCells = hidden + (t + 1) * b * u
    return (x, gates, cells, hidden, tanhCells)
  }

  /// Runs the recurrence into the states; with `writeOutput`, also the layer's output.
  private func forward(writeOutput: Bool) {
    let (steps, b, u, f) = (geometry.time, batch, geometry.units, geometry.features)
    let (x, gates, cells, hidden, tanhCells) = layout
    let (input, wih, whh, bias) = (inputs[0], inputs[1], inputs[2], inputs[3])
    for item in 0..<b {
      for t in 0..<steps {
        (x + (t * b + item) * f).update(from: input + (item * steps + t) * f, count: f)
      }
    }
    cells.update(repeating: 0, count: b * u)
    hidden.update(repeating: 0, count: b * u)
    // Every step's input side and the bias at once; the recurrence then only accumulates
    // h_{t−1} · W_hhᵀ, which is zero for the first step.
    if steps * b > 0 {
      T.gemm(x, transposeA: false, wih, transposeB: true, into: gates, m: steps * b, n: 4 * u,
             k: f, accumulate: false)
    }
    for r in 0..<(steps * b) {
      let row = gates + r * 4 * u
      for k in 0..<(4 * u) { row[k] += bias[k] }
    }
    for t in 0..<steps {
      let z = gates + t * b * 4 * u
      if t > 0 {
        T.gemm(hidden + t * b * u, transposeA: false, whh, transposeB: true, into: z, m: b,
               n: 4 * u, k: u, accumulate: true)
      }
      let cPrev = cells + t * b * u
      let c = cells + (t + 1) * b * u
      let tc = tanhCells + t * b * u
      let h = hidden + (t + 1) * b * u
      for item in 0..<b {
        let row = z + item * 4 * u
        VectorMath.sigmoid(row, into: row, count: 2 * u)
        VectorMath.tanh(row + 2 * u, into: row + 2 * u, count: u)
        VectorMath.sigmoid(row + 3 * u, into: row + 3 * u, count: u)
        let (cp, cn) = (cPrev + item * u, c + item * u)
        for j in 0..<u { cn[j] = row[u + j] * cp[j] + row[j] * row[2 * u + j] }
        VectorMath.tanh(cn, into: tc + item * u, count: u)
        let (hn, tcn) = (h + item * u, tc + item * u)
        for j in 0..<u { hn[j] = row[3 * u + j] * tcn[j] }
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
    let (x, gates, cells, hidden, tanhCells) = layout
    let dh = scratch.pointer + (saved == nil ? LSTMKernel.savedCount(geometry, batch: b) : 0)
    let dc = dh + b * u
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
      let tc = tanhCells + t * b * u
      let d = dz + t * b * 4 * u
      for item in 0..<b {
        let k0 = item * u
        let (dhRow, dcRow, cp, tcRow) = (dh + k0, dc + k0, cPrev + k0, tc + k0)
        if geometry.returnSequences {
          let g = upstream + (item * steps + t) * u
          for j in 0..<u { dhRow[j] += g[j] }
        } else if t == steps - 1 {
          let g = upstream + item * u
          for j in 0..<u { dhRow[j] += g[j] }
        }
        let row = a + item * 4 * u
        let out = d + item * 4 * u
        for j in 0..<u {
          let (i, fg, g, o) = (row[j], row[u + j], row[2 * u + j], row[3 * u + j])
          let (dhValue, tcValue) = (dhRow[j], tcRow[j])
          let dcValue = dcRow[j] + dhValue * o * (1 - tcValue * tcValue)
          out[j] = dcValue * g * i * (1 - i)
          out[u + j] = dcValue * cp[j] * fg * (1 - fg)
          out[2 * u + j] = dcValue * i * (1 - g * g)
          out[3 * u + j] = dhValue * tcValue * o * (1 - o)
          dcRow[j] = dcValue * fg
        }
      }
      // dh_{t−1} = dZ_t · W_hh (nothing before the first step reads it).
      if t > 0 {
        T.gemm(d, transposeA: false, whh, transposeB: false, into: dh, m: b, n: u, k: 4 * u,
               accumulate: false)
      }
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
      // The first step's previous state is the zero state: its rows add nothing.
      if steps < 2 || b == 0 { output.update(repeating: 0, count: 4 * u * u); return }
      T.gemm(dz + b * 4 * u, transposeA: true, previous + b * u, transposeB: false,
             into: output, m: 4 * u, n: u, k: rows - b, accumulate: false)
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
    case .gru(let geometry):
      return gru(.forward, geometry, operands)
    case .gruBackward(let geometry):
      return gru(.backward, geometry, operands)
    case .gruGradient(let geometry, let part):
      return gru(.gradient(part), geometry, operands)
    }
  }

  private static func lstm(
    _ mode: LSTMKernel<T>.Mode, _ geometry: LSTMGeometry, _ operands: KernelOperands<T>
  ) -> Kernel {
    let batch = operands.inputShapes[0][0]
    let saved: UnsafeMutablePointer<T>? = switch mode {
    case .forward, .backward: operands.auxiliary
    case .gradient: nil
    }
    return .lstm(LSTMKernel(
      mode: mode, geometry: geometry, batch: batch, inputs: operands.inputs,
      output: operands.output, saved: saved,
      scratch: ScratchBuffer(count: LSTMKernel<T>.scratchCount(
        geometry, batch: batch, mode: mode, saved: saved != nil))))
  }
}
