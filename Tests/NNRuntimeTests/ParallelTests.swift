import Foundation
import Testing

@testable import NNRuntime

// The thread pool (Plan/Parallel.swift) and the loops split over it, at widths the test process
// lacks (it runs with OPENBLAS_NUM_THREADS=1): each pool here is its own, made for the test.

/// The ranges one call of `pool.forEach` ran, in order of their first index.
private func ranges(_ pool: WorkerPool, count: Int, grain: Int) -> [Range<Int>] {
  let lock = NSLock()
  var seen: [Range<Int>] = []
  pool.forEach(count, grain: grain) { range in
    lock.lock()
    seen.append(range)
    lock.unlock()
  }
  return seen.sorted { $0.lowerBound < $1.lowerBound }
}

@Test func poolRangesCoverEveryIndexOnce() {
  for width in [2, 3, 4] {
    let pool = WorkerPool(width: width)
    for (count, grain) in [(1, 1), (2, 1), (3, 1), (7, 2), (100, 1), (100, 50), (100, 51),
                           (1000, 7), (4097, 1024)] {
      let cut = ranges(pool, count: count, grain: grain)
      // Contiguous, disjoint and covering, in at most `width` ranges of at least `grain`.
      #expect(cut.first?.lowerBound == 0 && cut.last?.upperBound == count)
      #expect(zip(cut, cut.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
      #expect(cut.count <= width && cut.allSatisfy { !$0.isEmpty })
      if cut.count > 1 { #expect(cut.allSatisfy { $0.count >= grain }) }
      if count < 2 * grain { #expect(cut == [0..<count]) }
    }
  }
}

@Test func poolSurvivesManyHandOffsAndParkedWorkers() {
  let pool = WorkerPool(width: 2)
  let total = UnsafeMutablePointer<Int>.allocate(capacity: 2)
  total.initialize(repeating: 0, count: 2)
  defer { total.deallocate() }
  for round in 0..<20_000 {
    pool.forEach(2) { range in total[range.lowerBound] += range.count }
    // Now and then long enough for the worker to stop spinning and sleep.
    if round % 5_000 == 0 { usleep(20_000) }
  }
  #expect(total[0] == 20_000 && total[1] == 20_000)
}

@Test func nestedAndConcurrentCallsRunInline() {
  let pool = WorkerPool(width: 2)
  let cells = UnsafeMutablePointer<Int>.allocate(capacity: 64)
  cells.initialize(repeating: 0, count: 64)
  defer { cells.deallocate() }
  // A body that splits again gets its inner loop run inline on its own thread.
  pool.forEach(2) { outer in
    pool.forEach(32) { inner in
      for i in inner { cells[outer.lowerBound * 32 + i] += 1 }
    }
  }
  #expect((0..<64).allSatisfy { cells[$0] == 1 })
  // Two threads at once: one owns the pool, the other runs its loop inline; both finish with
  // every index seen. Each call writes its own thread's cells, so no two ranges share one.
  let seen = Cells(count: 2 * 1000)
  defer { seen.pointer.deallocate() }
  let done = DispatchGroup()
  for thread in 0..<2 {
    DispatchQueue.global().async(group: done) {
      for _ in 0..<2_000 {
        pool.forEach(1000, grain: 100) { range in
          for i in range { seen.pointer[thread * 1000 + i] += 1 }
        }
      }
    }
  }
  done.wait()
  #expect((0..<2000).allSatisfy { seen.pointer[$0] == 2_000 })
}

/// Counters shared by the threads of a test, each index written by one range at a time.
private struct Cells: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Int>
  init(count: Int) {
    pointer = .allocate(capacity: count)
    pointer.initialize(repeating: 0, count: count)
  }
}

@Test func splitProductsEqualOneProduct() {
  let pool = WorkerPool(width: 2)
  var random = RandomGenerator(seed: 11)
  for (m, n, k) in [(128, 512, 784), (37, 300, 129), (300, 37, 129), (512, 784, 128),
                    (128, 10, 512), (17, 33, 1000), (33, 17, 1000)] {
    for transposeA in [false, true] {
      for transposeB in [false, true] {
        let a = (0..<(m * k)).map { _ in Float(random.normal()) }
        let b = (0..<(k * n)).map { _ in Float(random.normal()) }
        let start = (0..<(m * n)).map { _ in Float(random.normal()) }
        for accumulate in [false, true] {
          var whole = start
          var split = start
          a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
              whole.withUnsafeMutableBufferPointer { c in
                Tensor.sgemm(a.baseAddress!, transposeA: transposeA, b.baseAddress!,
                             transposeB: transposeB, into: c.baseAddress!, m: m, n: n, k: k,
                             accumulate: accumulate, width: 1, splitting: pool.forEach)
              }
              split.withUnsafeMutableBufferPointer { c in
                Tensor.sgemm(a.baseAddress!, transposeA: transposeA, b.baseAddress!,
                             transposeB: transposeB, into: c.baseAddress!, m: m, n: n, k: k,
                             accumulate: accumulate, width: 2, splitting: pool.forEach)
              }
            }
          }
          // A block may take another kernel path (other edge tiles, other blocking of the
          // inner dimension) than the same columns of one call: round-off of sums of up to
          // 1,000 products, not equal bits. A misplaced block is off by O(1).
          let worst = zip(whole, split).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? 0
          #expect(worst < 1e-4, "\(m)×\(n)×\(k) \(transposeA) \(transposeB): \(worst)")
        }
      }
    }
  }
}

@Test func splitOptimizerStepsAreBitIdentical() {
  let pool = WorkerPool(width: 2)
  let count = 3 * OptimizerState<Float>.splitGrain + 5
  var random = RandomGenerator(seed: 5)
  let start = (0..<count).map { _ in Float(random.normal()) }
  let gradients = (0..<4).map { _ in (0..<count).map { _ in Float(random.normal()) } }
  for name in OptimizerRule.names {
    let rule = OptimizerRule.defaults(name)!
    let single = OptimizerState<Float>(rule: rule, count: count)
    let split = OptimizerState<Float>(rule: rule, count: count)
    var one = start
    var two = start
    for g in gradients {
      g.withUnsafeBufferPointer { g in
        single.step(parameters: &one, gradients: g.baseAddress!, learningRate: 0.01,
                    width: 1, splitting: pool.forEach)
        split.step(parameters: &two, gradients: g.baseAddress!, learningRate: 0.01,
                   width: 2, splitting: pool.forEach)
      }
    }
    #expect(one == two, "\(name)")
  }
}

/// An update that keeps the weights it replaces copies them exactly, block by block, and
/// updates as the plain one does: every rule (NAdam's product included), one and two
/// threads, the whole store and a data-parallel rank's part.
@Test func anUpdateKeepingTheOldWeightsUpdatesAlike() {
  let pool = WorkerPool(width: 2)
  let count = 2 * OptimizerState<Float>.keepBlock + 5
  var random = RandomGenerator(seed: 7)
  let start = (0..<count).map { _ in Float(random.normal()) }
  let gradients = (0..<3).map { _ in (0..<count).map { _ in Float(random.normal()) } }
  for name in OptimizerRule.names {
    for (width, part) in [(1, nil), (2, nil), (1, 3..<(count - 2)), (2, 3..<(count - 2))] {
      let rule = OptimizerRule.defaults(name)!
      let plain = OptimizerState<Float>(rule: rule, count: count)
      let keeping = OptimizerState<Float>(rule: rule, count: count)
      var one = start
      var two = start
      var kept = [Float](repeating: .nan, count: count)
      for g in gradients {
        let before = two
        g.withUnsafeBufferPointer { g in
          plain.step(parameters: &one, gradients: g.baseAddress!, learningRate: 0.01,
                     width: width, splitting: pool.forEach, part: part)
          keeping.step(parameters: &two, gradients: g.baseAddress!, learningRate: 0.01,
                       width: width, splitting: pool.forEach, part: part, keeping: &kept)
        }
        let updated = part ?? 0..<count
        #expect(updated.allSatisfy { kept[$0] == before[$0] }, "\(name), width \(width)")
        #expect(!(0..<count).contains { !updated.contains($0) && !kept[$0].isNaN })
      }
      #expect(one == two, "\(name), width \(width), part \(String(describing: part))")
      var plainState: [Float] = []
      var keptState: [Float] = []
      plain.forEachStateBuffer { plainState += $0 }
      keeping.forEachStateBuffer { keptState += $0 }
      #expect(plainState == keptState, "\(name)")
    }
  }
}

@Test func splitGradientScanAddsItsPartsInOrder() {
  let pool = WorkerPool(width: 2)
  let count = 2 * scanGrain + 3
  var random = RandomGenerator(seed: 9)
  let values = (0..<count).map { _ in Float(random.normal()) }
  values.withUnsafeBufferPointer { values in
    let split = sumOfSquares(values, width: 2, splitting: pool.forEach)
    let half = count / 2
    let first = partialSumOfSquares(UnsafeBufferPointer(rebasing: values[0..<half]))
    let second = partialSumOfSquares(UnsafeBufferPointer(rebasing: values[half...]))
    #expect(split == first + second)
    // Width 1 is the plain scan.
    #expect(sumOfSquares(values, width: 1, splitting: pool.forEach)
              == partialSumOfSquares(values))
  }
}

@Test(arguments: [[8, 16, 600], [3, 5, 5000], [40, 2000]])
func splitReductionsAddTheirSharesInOrder(_ shape: [Int]) {
  // A bias gradient: [batch, channels, positions] → [channels], or [batch, features] →
  // [features].
  let target = shape.count == 3 ? [1, shape[1], 1] : [1, shape[1]]
  let count = shape.reduce(1, *)
  var random = RandomGenerator(seed: 4)
  let values = (0..<count).map { _ in Float(random.normal()) }
  let input = UnsafeMutablePointer<Float>.allocate(capacity: count)
  input.initialize(from: values, count: count)
  defer { input.deallocate() }
  let outputs = target.reduce(1, *)
  func reduce(workers: Int) -> [Float] {
    let output = UnsafeMutablePointer<Float>.allocate(capacity: outputs)
    defer { output.deallocate() }
    let kernel = ReduceKernel(input: input, output: output, outputCount: outputs, scale: 1,
                              index: BroadcastIndex(operands: [target], output: shape),
                              workers: workers)
    #expect(kernel.workers == Swift.min(workers, kernel.index.rows))
    kernel.run()
    return Array(UnsafeBufferPointer(start: output, count: outputs))
  }
  // Each share sums its rows in order; the shares are then added in order.
  let rows = count / shape.last!
  let perRow = shape.last!
  func share(_ range: Range<Int>) -> [Float] {
    var sums = [Float](repeating: 0, count: outputs)
    for row in range {
      var total: Float = 0
      for j in 0..<perRow { total += values[row * perRow + j] }
      if shape.count == 3 {
        sums[row % shape[1]] += total
      } else {
        for j in 0..<perRow { sums[j] += values[row * perRow + j] }
      }
    }
    return sums
  }
  #expect(reduce(workers: 1) == share(0..<rows))
  let (first, second) = (share(0..<rows / 2), share(rows / 2..<rows))
  #expect(reduce(workers: 2) == zip(first, second).map { $0 + $1 })
  let three = (0..<3).map { share(WorkerPool.range($0, of: 3, count: rows)) }
  var added: [Float] = three[0]
  for i in 0..<outputs {
    added[i] += three[1][i]
    added[i] += three[2][i]
  }
  #expect(reduce(workers: 3) == added)
}
