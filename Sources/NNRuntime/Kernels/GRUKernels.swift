// The GRU as one fused op, like the LSTM (SequenceKernels.swift): PyTorch's nn.GRU with gates
// r, z, n, weight_ih [3U, F], weight_hh [3U, U], bias_ih and bias_hh [3U], zero initial state:
//
//   r = σ(W_ir x + b_ir + W_hr h + b_hr)      z = σ(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))      h' = n + z ⊙ (h − n)
//
// The forward pass is one GEMM for every step's input side with b_ih added once, then per
// step one GEMM of the hidden state onto rows holding b_hh and the gates in vector code. Its
// gradient is a BPTT node, `gru_bptt`, that reads the states the forward node saved (or, with
// no saved buffer, recomputes them) and writes time-major the gradients of the input-side
// pre-activations dA, of the hidden-side ones dB (dA with the n columns times r), the previous
// hidden states and the inputs; five `gru_grad` nodes take dx = dA·W_ih, dW_ih = dAᵀx,
// dW_hh = dBᵀh_{t−1}, db_ih = Σ dA and db_hh = Σ dB from it.

/// One GRU layer over `[time, features]` samples.
public struct GRUGeometry: Hashable, Sendable {
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
  /// `[3·units, features]`.
  public var inputWeightShape: [Int] { [3 * units, features] }
  /// `[3·units, units]`.
  public var hiddenWeightShape: [Int] { [3 * units, units] }
  /// Values per batch row of the BPTT node: dA, dB, previous hidden states, inputs.
  var packedPerRow: Int { time * (7 * units + features) }
}

/// Which gradient a `gru_grad` node computes from the BPTT node.
public enum GRUGradientPart: Hashable, Sendable, CaseIterable {
  case input, inputWeight, hiddenWeight, inputBias, hiddenBias

  var name: String {
    switch self {
    case .input: "input"
    case .inputWeight: "weight_ih"
    case .hiddenWeight: "weight_hh"
    case .inputBias: "bias_ih"
    case .hiddenBias: "bias_hh"
    }
  }
}

// MARK: - Shape and gradient rules

extension Graph {
  static func gruShape(_ geometry: GRUGeometry, _ shapes: [[Int]]) throws(GraphError) -> [Int] {
    let x = shapes[0]
    guard x.count == 3, Array(x.dropFirst()) == geometry.inputShape else {
      throw GraphError(message: "gru: the input must be a batch [B, "
                       + "\(geometry.inputShape.map(String.init).joined(separator: ", "))], "
                       + "not shape \(shapeText(x))")
    }
    let bias = [3 * geometry.units]
    guard shapes[1] == geometry.inputWeightShape, shapes[2] == geometry.hiddenWeightShape,
      shapes[3] == bias, shapes[4] == bias
    else {
      throw GraphError(message: "gru: the weights must have shapes "
                       + "\(shapeText(geometry.inputWeightShape)), "
                       + "\(shapeText(geometry.hiddenWeightShape)), \(shapeText(bias)) and "
                       + "\(shapeText(bias)), not "
                       + shapes[1...4].map { shapeText($0) }.joined(separator: ", "))
    }
    return [x[0]] + geometry.outputShape
  }

  static func gruBackwardShape(
    _ geometry: GRUGeometry, _ shapes: [[Int]]
  ) throws(GraphError) -> [Int] {
    let (x, g) = (shapes[0], shapes[5])
    guard x.count == 3, Array(x.dropFirst()) == geometry.inputShape,
      g == [x[0]] + geometry.outputShape, shapes[6] == g
    else {
      throw GraphError(message: "gru_bptt: input shape \(shapeText(x)) or gradient shape "
                       + "\(shapeText(g)) does not fit the gru")
    }
    return [x[0], geometry.packedPerRow]
  }

  static func gruGradientShape(
    _ geometry: GRUGeometry, _ part: GRUGradientPart, _ shapes: [[Int]]
  ) throws(GraphError) -> [Int] {
    let packed = shapes[0]
    guard packed.count == 2, packed[1] == geometry.packedPerRow,
      shapes[1] == geometry.inputWeightShape
    else {
      throw GraphError(message: "gru_grad: shape \(shapeText(packed)) does not fit the gru")
    }
    switch part {
    case .input: return [packed[0]] + geometry.inputShape
    case .inputWeight: return geometry.inputWeightShape
    case .hiddenWeight: return geometry.hiddenWeightShape
    case .inputBias, .hiddenBias: return [3 * geometry.units]
    }
  }

  /// Backpropagation through time: one node for every step's gate gradients, then one GEMM
  /// (or sum) per operand that needs a gradient.
  mutating func gruGradient(
    _ geometry: GRUGeometry, _ node: NodeID, _ g: NodeID, needs: [Bool]
  ) throws(GraphError) -> [Contribution] {
    guard needs.contains(true) else { return [] }
    let inputs = self[node].inputs
    let packed = try gradientNode(.sequences(.gruBackward(geometry)), inputs + [g, node],
                                  for: node)
    var result: [Contribution] = []
    for (i, part) in GRUGradientPart.allCases.enumerated() where needs[i] {
      result.append((inputs[i], try gradientNode(.sequences(.gruGradient(geometry, part)),
                                                 [packed, inputs[1]], for: node)))
    }
    return result
  }
}

// MARK: - Kernel

/// The GRU forward pass, its BPTT node, or one of its parameter/input gradients.
struct GRUKernel<T: PlanScalar> {
  enum Mode { case forward, backward, gradient(GRUGradientPart) }

  let mode: Mode
  let geometry: GRUGeometry
  let batch: Int
  let inputs: [UnsafeMutablePointer<T>]
  let output: UnsafeMutablePointer<T>
  /// The forward node's saved states, as for the LSTM: placed by the plan beside a forward
  /// node that has a BPTT node; nil elsewhere, where the BPTT node recomputes them.
  let saved: UnsafeMutablePointer<T>?
  let scratch: ScratchBuffer<T>

  /// The states the BPTT node reads, time-major: x [T·B·F], activated gates r, z, n
  /// [T·B·3U], the hidden side of n, W_hn·h + b_hn [T·B·U], hidden states [(T+1)·B·U]
  /// (step 0 the zero state).
  static func savedCount(_ g: GRUGeometry, batch: Int) -> Int {
    let (t, b, u, f) = (g.time, batch, g.units, g.features)
    return t * b * f + t * b * 3 * u + t * b * u + (t + 1) * b * u
  }

  /// Kernel-owned scratch: the states when there is no saved buffer, the forward pass's
  /// hidden side [B·3U], and for BPTT the running dL/dh [B·U].
  static func scratchCount(_ g: GRUGeometry, batch: Int, mode: Mode, saved: Bool) -> Int {
    let forward = (saved ? 0 : savedCount(g, batch: batch)) + 3 * batch * g.units
    switch mode {
    case .forward: return forward
    case .backward: return (saved ? 0 : forward) + batch * g.units
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
                       hiddenN: UnsafeMutablePointer<T>, hidden: UnsafeMutablePointer<T>) {
    let (t, b, u, f) = (geometry.time, batch, geometry.units, geometry.features)
    let x = saved ?? scratch.pointer
    let gates = x + t * b * f
    let hiddenN = gates + t * b * 3 * u
    let hidden = hiddenN + t * b * u
    return (x, gates, hiddenN, hidden)
  }

  /// After the states when the kernel owns them.
  private var scratchTail: UnsafeMutablePointer<T> {
    scratch.pointer + (saved == nil ? GRUKernel.savedCount(geometry, batch: batch) : 0)
  }

  /// Runs the recurrence into the states; with `writeOutput`, also the layer's output.
  private func forward(writeOutput: Bool) {
    let (steps, b, u, f) = (geometry.time, batch, geometry.units, geometry.features)
    let (x, gates, hiddenN, hidden) = layout
    let (input, wih, whh, biasIH, biasHH) = (inputs[0], inputs[1], inputs[2], inputs[3],
                                              inputs[4])
    let side = scratchTail
    for item in 0..<b {
      for t in 0..<steps {
        (x + (t * b + item) * f).update(from: input + (item * steps + t) * f, count: f)
      }
    }
    hidden.update(repeating: 0, count: b * u)
    if steps * b > 0 {
      T.gemm(x, transposeA: false, wih, transposeB: true, into: gates, m: steps * b, n: 3 * u,
             k: f, accumulate: false)
    }
    for r in 0..<(steps * b) {
      let row = gates + r * 3 * u
      for k in 0..<(3 * u) { row[k] += biasIH[k] }
    }
    for t in 0..<steps {
      // The hidden side W_hh·h + b_hh; the zero first state leaves only the bias.
      for item in 0..<b { (side + item * 3 * u).update(from: biasHH, count: 3 * u) }
      let hPrev = hidden + t * b * u
      if t > 0 {
        T.gemm(hPrev, transposeA: false, whh, transposeB: true, into: side, m: b, n: 3 * u,
               k: u, accumulate: true)
      }
      let h = hidden + (t + 1) * b * u
      for item in 0..<b {
        let (a, s) = (gates + (t * b + item) * 3 * u, side + item * 3 * u)
        for k in 0..<(2 * u) { a[k] += s[k] }
        VectorMath.sigmoid(a, into: a, count: 2 * u)
        let (n, sn) = (a + 2 * u, s + 2 * u)
        (hiddenN + (t * b + item) * u).update(from: sn, count: u)
        for j in 0..<u { n[j] += a[j] * sn[j] }
        VectorMath.tanh(n, into: n, count: u)
        let (hp, hn, z) = (hPrev + item * u, h + item * u, a + u)
        for j in 0..<u { hn[j] = n[j] + z[j] * (hp[j] - n[j]) }
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

  /// Writes the packed BPTT result, time-major: dA [T·B·3U], dB [T·B·3U], previous hidden
  /// states [T·B·U] and inputs [T·B·F].
  private func backward() {
    let (steps, b, u, f) = (geometry.time, batch, geometry.units, geometry.features)
    let (x, gates, hiddenN, hidden) = layout
    let dh = scratchTail + (saved == nil ? 3 * b * u : 0)
    let (whh, upstream) = (inputs[2], inputs[5])
    let dA = output
    let dB = dA + steps * b * 3 * u
    let previous = dB + steps * b * 3 * u
    previous.update(from: hidden, count: steps * b * u)
    (previous + steps * b * u).update(from: x, count: steps * b * f)
    dh.update(repeating: 0, count: b * u)
    for t in stride(from: steps - 1, through: 0, by: -1) {
      for item in 0..<b {
        let dhRow = dh + item * u
        if geometry.returnSequences {
          let g = upstream + (item * steps + t) * u
          for j in 0..<u { dhRow[j] += g[j] }
        } else if t == steps - 1 {
          let g = upstream + item * u
          for j in 0..<u { dhRow[j] += g[j] }
        }
        let r0 = (t * b + item)
        let (a, sn) = (gates + r0 * 3 * u, hiddenN + r0 * u)
        let (da, db) = (dA + r0 * 3 * u, dB + r0 * 3 * u)
        let hp = hidden + r0 * u
        for j in 0..<u {
          let (r, z, n) = (a[j], a[u + j], a[2 * u + j])
          let dhValue = dhRow[j]
          let dnPre = dhValue * (1 - z) * (1 - n * n)
          let dzPre = dhValue * (hp[j] - n) * z * (1 - z)
          let drPre = dnPre * sn[j] * r * (1 - r)
          da[j] = drPre
          da[u + j] = dzPre
          da[2 * u + j] = dnPre
          db[j] = drPre
          db[u + j] = dzPre
          db[2 * u + j] = dnPre * r
          dhRow[j] = dhValue * z
        }
      }
      // dh_{t−1} += dB_t · W_hh (nothing before the first step reads it).
      if t > 0 {
        T.gemm(dB + t * b * 3 * u, transposeA: false, whh, transposeB: false, into: dh, m: b,
               n: u, k: 3 * u, accumulate: true)
      }
    }
  }

  private func gradient(_ part: GRUGradientPart) {
    let (steps, b, u, f) = (geometry.time, batch, geometry.units, geometry.features)
    let rows = steps * b
    let dA = inputs[0]
    let dB = dA + rows * 3 * u
    let previous = dB + rows * 3 * u
    let x = previous + rows * u
    switch part {
    case .input:
      let dx = scratch.pointer
      if rows > 0 {
        T.gemm(dA, transposeA: false, inputs[1], transposeB: false, into: dx, m: rows, n: f,
               k: 3 * u, accumulate: false)
      }
      for item in 0..<b {
        for t in 0..<steps {
          (output + (item * steps + t) * f).update(from: dx + (t * b + item) * f, count: f)
        }
      }
    case .inputWeight:
      if rows == 0 { output.update(repeating: 0, count: 3 * u * f); return }
      T.gemm(dA, transposeA: true, x, transposeB: false, into: output, m: 3 * u, n: f,
             k: rows, accumulate: false)
    case .hiddenWeight:
      // The first step's previous state is the zero state: its rows add nothing.
      if steps < 2 || b == 0 { output.update(repeating: 0, count: 3 * u * u); return }
      T.gemm(dB + b * 3 * u, transposeA: true, previous + b * u, transposeB: false,
             into: output, m: 3 * u, n: u, k: rows - b, accumulate: false)
    case .inputBias, .hiddenBias:
      let d = part == .inputBias ? dA : dB
      output.update(repeating: 0, count: 3 * u)
      for r in 0..<rows {
        let row = d + r * 3 * u
        for k in 0..<(3 * u) { output[k] += row[k] }
      }
    }
  }
}

extension Kernel {
  static func gru(
    _ mode: GRUKernel<T>.Mode, _ geometry: GRUGeometry, _ operands: KernelOperands<T>
  ) -> Kernel {
    let batch = operands.inputShapes[0][0]
    let saved: UnsafeMutablePointer<T>? = switch mode {
    case .forward, .backward: operands.auxiliary
    case .gradient: nil
    }
    return .gru(GRUKernel(
      mode: mode, geometry: geometry, batch: batch, inputs: operands.inputs,
      output: operands.output, saved: saved,
      scratch: ScratchBuffer(count: GRUKernel<T>.scratchCount(
        geometry, batch: batch, mode: mode, saved: saved != nil))))
  }
}
