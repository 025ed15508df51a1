// The learning-rate range test (Smith, "Cyclical Learning Rates for Training Neural Networks",
// 2015; fastai's `lr_find`): train with a rate rising exponentially step by step and watch the
// loss. Where it falls fastest is a good rate; where it blows up is too far. The steps are
// those of `train` (same plans, gathers, gradient checks and optimizer), so the test measures
// the run it stands for.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a range test saw: one entry per step it took.
public struct RangeTest: Sendable {
  /// The learning rate of each step.
  public var rates: [Double]
  /// Each step's loss (with the l2 term), before its update.
  public var losses: [Double]
  /// The losses smoothed as fastai does (exponential average, β = 0.98, bias-corrected).
  public var smoothed: [Double]
  /// fastai's default suggestion ("valley"): in the longest run of steps over which the
  /// smoothed loss keeps reaching new lows, the rate a half of the way along; nil when the
  /// loss never fell.
  public var valley: Double?
  /// The rate where the smoothed loss falls fastest against log(rate) before its minimum,
  /// past the first tenth of the steps (fastai's "steep" suggestion); nil when it never fell.
  public var steepest: Double?
  /// A tenth of the rate of the lowest smoothed loss (fastai's "minimum" suggestion).
  public var minimum: Double
  /// Whether the loss diverged (non-finite, or above 4× its lowest) and ended the test early.
  public var diverged: Bool
}

extension Trainer {
  /// Runs up to `rates.count` steps with those rates over batches of `data` (reshuffled each
  /// pass when shuffling), then puts back the network's parameters: the test never changes
  /// the network. Ends early when the loss diverges or `shouldStop` says so.
  public func rangeTest(
    _ data: TrainingData, rates: [Double], random: inout RandomGenerator,
    shouldStop: () -> Bool
  ) throws(TrainingFailure) -> RangeTest {
    let layout = BatchLayout(rows: data.rows, batchSize: configuration.batchSize, ranks: 1,
                             rank: 0)
    let targetRow = Array(data.y.shape.dropFirst())
    var plans: [Int: StepPlan] = [:]
    do {
      try check(data, role: "training")
      for rows in layout.shardSizes {
        plans[rows] = try stepPlan(rows: rows, targetRow: targetRow)
      }
    } catch {
      throw TrainingFailure(message: error.message, epoch: 0, batch: 0, graphError: error)
    }
    let store = network.parameters
    let saved = Array(UnsafeBufferPointer(start: store.pointer, count: store.count))
    defer { store.pointer.update(from: saved, count: store.count) }
    var order = Array(0..<data.rows)
    var result = RangeTest(rates: [], losses: [], smoothed: [], valley: nil, steepest: nil,
                           minimum: .nan,
                           diverged: false)
    let beta = 0.98
    var average = 0.0
    var lowest = Double.infinity
    var batch = layout.steps
    for rate in rates {
      if batch == layout.steps {
        batch = 0
        if configuration.shuffle { random.shuffle(&order) }
      }
      let shard = layout.shard(batch)
      batch += 1
      let entry = plans[shard.count]!
      entry.gather(data, order: order, start: shard.start)
      entry.plan.run(random: &random)
      let loss = Double(entry.lossValue) + l2Penalty()
      let gradients = entry.plan.gradientBuffer
      guard loss.isFinite, sumOfSquares(UnsafeBufferPointer(gradients)).isFinite else {
        result.diverged = true
        break
      }
      average = beta * average + (1 - beta) * loss
      let smoothed = average / (1 - pow(beta, Double(result.losses.count + 1)))
      result.rates.append(rate)
      result.losses.append(loss)
      result.smoothed.append(smoothed)
      lowest = min(lowest, smoothed)
      if smoothed > 4 * lowest {
        result.diverged = true
        break
      }
      try checkGradient(gradients, entry, replay: random, epoch: 1, batch: batch)
      update(gradients, learningRate: rate)
      if shouldStop() { break }
    }
    suggest(&result)
    return result
  }

  private func suggest(_ result: inout RangeTest) {
    let smoothed = result.smoothed
    guard let low = smoothed.indices.min(by: { smoothed[$0] < smoothed[$1] }) else { return }
    result.minimum = result.rates[low] / 10
    // The slope between neighbours in log(rate), up to the minimum: a rising loss is no
    // suggestion however steep. The first tenth is skipped (as fastai skips the start of its
    // plot): the average has barely formed there, and a batch's noise reads as a slope.
    var best: (slope: Double, index: Int)?
    let skip = max(smoothed.count / 10, 1)
    for i in skip..<max(low, skip) {
      let slope = (smoothed[i + 1] - smoothed[i])
        / (log(result.rates[i + 1]) - log(result.rates[i]))
      if slope < 0, slope < (best?.slope ?? 0) { best = (slope, i) }
    }
    result.steepest = best.map { result.rates[$0.index] }
    result.valley = valley(smoothed).map { result.rates[$0] }
  }

  /// The index fastai's `valley` picks: the longest decreasing subsequence of the losses (a
  /// quadratic search, as fastai's; `steps` is bounded), then a half of the way into it.
  private func valley(_ losses: [Double]) -> Int? {
    let n = losses.count
    guard n > 1 else { return nil }
    var lengths = [Int](repeating: 1, count: n)
    var (start, end) = (0, 0)
    for i in 1..<n {
      for j in 0..<i where losses[i] < losses[j] && lengths[i] < lengths[j] + 1 {
        lengths[i] = lengths[j] + 1
      }
      if lengths[end] < lengths[i] {
        end = i
        start = end - lengths[end]
      }
    }
    guard end > 0 else { return nil }
    let sections = Double(end - start) / 3
    return min(max(start + Int(sections) + Int(sections / 2), 0), n - 1)
  }
}
