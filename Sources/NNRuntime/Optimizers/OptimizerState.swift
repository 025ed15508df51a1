/// The running state of one optimizer over one flat parameter buffer (moments, step count).
/// Generic so Float and Double plans share the code.
///
/// All state is allocated by `init`, so `step` never allocates for Float and Double, which
/// each optimizer runs in its own specialised loop. The state buffers hold `T`,
/// as PyTorch's state has the parameters' dtype, and each update does its element-wise
/// arithmetic in `T` in PyTorch's order of operations, with the per-step scalars (bias
/// corrections, decayed learning rates) computed in Double as Python computes them. A Float
/// state therefore tracks a float32 `torch.optim` run to within rounding.
public final class OptimizerState<T: BinaryFloatingPoint>: @unchecked Sendable {
  /// The update rule and its hyper-parameters.
  public let rule: OptimizerRule
  /// The number of scalars in the parameter buffer this state belongs to.
  public let count: Int
  /// The number of updates applied since creation or the last `reset()`.
  public private(set) var steps: Int

  /// `rule.stateSlots` buffers of `count` scalars each, back to back.
  private let buffers: UnsafeMutablePointer<T>
  private let bufferCount: Int
  /// NAdam's running product of momentum coefficients (a float32 scalar in PyTorch).
  private let product: UnsafeMutablePointer<Float>
  /// The buffers' bytes against the memory budget of the thread that made the state.
  private let charge: MemoryCharge

  /// The bytes a state for `count` scalars under `rule` holds: what a caller asks the memory
  /// budget for before making one.
  public static func bytes(rule: OptimizerRule, count: Int) -> Int {
    MemoryBudget.bytes(rule.stateSlots * count, of: T.self)
  }

  /// A fresh state (no steps taken) for a buffer of `count` scalars.
  public init(rule: OptimizerRule, count: Int) {
    precondition(count >= 0, "negative parameter count \(count)")
    self.rule = rule
    self.count = count
    self.steps = 0
    bufferCount = rule.stateSlots * count
    // Never allocate zero bytes: some allocators return nil-like pointers for that.
    buffers = .allocate(capacity: max(bufferCount, 1))
    buffers.initialize(repeating: 0, count: max(bufferCount, 1))
    product = .allocate(capacity: 1)
    product.initialize(to: 1)
    charge = MemoryCharge(bytes: MemoryBudget.bytes(bufferCount, of: T.self))
    reset()
  }

  deinit {
    charge.release()
    buffers.deallocate()
    product.deallocate()
  }

  /// Forgets all steps: moments back to zero (Adagrad's sums to their initial value), and the
  /// next step is a first step again.
  public func reset() {
    steps = 0
    product.pointee = 1
    buffers.update(repeating: T(rule.update.initialState), count: bufferCount)
  }

  /// Calls `body` with each of the rule's state buffers (`count` scalars each, a moment or a
  /// sum per parameter): for data-parallel ranks to gather the parts they updated.
  func forEachStateBuffer(_ body: (UnsafeMutableBufferPointer<T>) -> Void) {
    for slot in 0..<rule.stateSlots {
      body(UnsafeMutableBufferPointer(start: buffers + slot * count, count: count))
    }
  }

  /// One update of every scalar, following PyTorch's rule exactly.
  ///
  /// `parameters` and `gradients` each hold `count` scalars; `learningRate` is this step's
  /// rate (a schedule may change it between steps).
  public func step(
    parameters: UnsafeMutablePointer<T>, gradients: UnsafePointer<T>, learningRate: Double
  ) {
    step(parameters: parameters, gradients: gradients, learningRate: learningRate,
         width: nil, splitting: Parallel.forEach)
  }

  /// `step` with its loop cut for `width` threads (nil: `Parallel.width`), run by `runner`,
  /// over the scalars of `part` only (nil: all of them): a data-parallel rank updates its own
  /// share of the parameters, and its state of the others stays as it was. With `keeping`,
  /// the values each updated scalar had are copied there first (a trainer's last finite
  /// weights), block by block inside the update's own loop, so that the update reads them
  /// back from the cache rather than in a pass of its own.
  func step(
    parameters: UnsafeMutablePointer<T>, gradients: UnsafePointer<T>, learningRate: Double,
    width: Int?, splitting runner: SplitRunner, part: Range<Int>? = nil,
    keeping kept: UnsafeMutablePointer<T>? = nil
  ) {
    let part = part ?? 0..<count
    precondition(part.lowerBound >= 0 && part.upperBound <= count,
                 "optimizer part \(part) is outside \(count) scalars")
    steps += 1
    // Name the concrete type at each call so the kernels are specialised: inside this generic
    // class a helper generic over the element type would stay unspecialised (T is still open),
    // and a loop through witness tables runs tens of times slower than its memory traffic.
    let update = rule.update
    if T.self == Float.self {
      split(part, width, runner) { range, product in
        Self.keepingBlocks(range, product, parameters, kept) { block, product in
          update.update(context(Float.self, parameters, gradients, learningRate, block, product))
        }
      }
    } else if T.self == Double.self {
      split(part, width, runner) { range, product in
        Self.keepingBlocks(range, product, parameters, kept) { block, product in
          update.update(context(Double.self, parameters, gradients, learningRate, block,
                                product))
        }
      }
    } else {
      kept.map { (($0 + part.lowerBound).update(from: parameters + part.lowerBound,
                                                count: part.count)) }
      stepInDouble(update, parameters, gradients, learningRate, part)
    }
  }

  /// Scalars per block of a `keeping` update: its copy stays in the core's L2 cache (32 KB of
  /// floats) until the update reads it, and the few dozen blocks of a large model cost no
  /// more than a call each.
  static var keepBlock: Int { 1 << 13 }

  /// Runs `apply` on `range` (all of it when nothing is kept), or block by block, each block
  /// of `parameters` first copied to `kept`. Every block advances the one scalar of state
  /// (NAdam's product) from the same start, as separate ranges of a split do.
  @inline(__always)
  private static func keepingBlocks(
    _ range: Range<Int>, _ product: UnsafeMutablePointer<Float>,
    _ parameters: UnsafeMutablePointer<T>, _ kept: UnsafeMutablePointer<T>?,
    _ apply: (Range<Int>, UnsafeMutablePointer<Float>) -> Void
  ) {
    guard let kept else {
      apply(range, product)
      return
    }
    let start = product.pointee
    var advanced = start
    var lower = range.lowerBound
    while lower < range.upperBound {
      let upper = Swift.min(lower + keepBlock, range.upperBound)
      (kept + lower).update(from: parameters + lower, count: upper - lower)
      advanced = start
      withUnsafeMutablePointer(to: &advanced) { apply(lower..<upper, $0) }
      lower = upper
    }
    product.pointee = advanced
  }

  /// Elements per thread below which an update is not split (a few µs of work).
  static var splitGrain: Int { 1 << 14 }

  /// Runs `apply` over the pool's ranges of `part`. Every rule is element-wise, so any cut
  /// gives the same bits as one loop. The one scalar of state (NAdam's product) is advanced
  /// by each range from the same start in a copy of its own; the first range's copy is kept
  /// (every range advances it alike, so a rank updating one part keeps the same product).
  private func split(
    _ part: Range<Int>, _ width: Int?, _ runner: SplitRunner,
    _ apply: (Range<Int>, UnsafeMutablePointer<Float>) -> Void
  ) {
    // One range (one thread, a small model, nothing to update) is the plain loop on the
    // state's own scalar, without the closures a split needs (withoutActuallyEscaping's
    // wrapper is a heap allocation).
    guard part.count >= 2 * Self.splitGrain, (width ?? Parallel.width) > 1 else {
      apply(part, product)
      return
    }
    let start = product.pointee
    let product = self.product
    let first = part.lowerBound
    // Two non-escaping closures, one called inside the other: Swift asks for this to see
    // that `apply` does not escape either.
    withoutActuallyEscaping(apply) { apply in
      runner(part.count, Self.splitGrain) { range in
        var own = start
        let shifted = (range.lowerBound + first)..<(range.upperBound + first)
        withUnsafeMutablePointer(to: &own) { apply(shifted, $0) }
        if range.lowerBound == 0 { product.pointee = own }
      }
    }
  }

  /// A step for an element type with no loop of its own (Float16, Float80): the scalars and
  /// state go through Double copies, so this path allocates; Float and Double never come here.
  private func stepInDouble(
    _ update: any OptimizerUpdate, _ parameters: UnsafeMutablePointer<T>,
    _ gradients: UnsafePointer<T>, _ learningRate: Double, _ part: Range<Int>
  ) {
    // At least one element each, so every base address exists.
    let p = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
    let g = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
    let s = UnsafeMutablePointer<Double>.allocate(capacity: max(bufferCount, 1))
    defer { p.deallocate(); g.deallocate(); s.deallocate() }
    for i in 0..<count {
      p[i] = Double(parameters[i])
      g[i] = Double(gradients[i])
    }
    for i in 0..<bufferCount { s[i] = Double(buffers[i]) }
    let first = part.lowerBound
    update.update(OptimizerKernelContext(
      parameters: p + first, gradients: UnsafePointer(g + first), state: s + first,
      count: part.count, stride: count, step: steps, learningRate: learningRate,
      product: product))
    for i in 0..<count { parameters[i] = T(p[i]) }
    for i in 0..<bufferCount { buffers[i] = T(s[i]) }
  }

  /// The kernel's view of `range` of this state and the caller's buffers, with `T` known to
  /// be `U`.
  private func context<U: BinaryFloatingPoint>(
    _: U.Type, _ parameters: UnsafeMutablePointer<T>, _ gradients: UnsafePointer<T>,
    _ learningRate: Double, _ range: Range<Int>, _ product: UnsafeMutablePointer<Float>
  ) -> OptimizerKernelContext<U> {
    let first = range.lowerBound
    return OptimizerKernelContext(
      parameters: UnsafeMutableRawPointer(parameters + first).assumingMemoryBound(to: U.self),
      gradients: UnsafeRawPointer(gradients + first).assumingMemoryBound(to: U.self),
      state: UnsafeMutableRawPointer(buffers + first).assumingMemoryBound(to: U.self),
      count: range.count, stride: count, step: steps, learningRate: learningRate,
      product: product)
  }
}
