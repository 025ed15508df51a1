import Testing
@testable import NNRuntime

// The pieces the performance work added around a training step: the vectorised gradient scan,
// in-place batch gathering, the progress record built on demand, the BLAS kernel's name.
struct StepHelperTests {
  /// Every length around the 64-lane blocks, against a plain Double sum.
  @Test(arguments: [0, 1, 15, 63, 64, 65, 127, 1000, 17_226])
  func sumOfSquaresMatchesAPlainSum(count: Int) {
    var random = RandomGenerator(seed: UInt64(count))
    let values = (0..<count).map { _ in Float(random.normal()) }
    let exact = values.reduce(0.0) { $0 + Double($1) * Double($1) }
    let fast = values.withUnsafeBufferPointer { sumOfSquares($0) }
    #expect(abs(fast - exact) <= 1e-5 * max(exact, 1))
  }

  @Test func aNonFiniteValueAnywhereMakesTheSumNonFinite() {
    for position in [0, 40, 64, 99] {
      for bad in [Float.nan, .infinity, -.infinity] {
        var values = [Float](repeating: 0.5, count: 100)
        values[position] = bad
        #expect(!values.withUnsafeBufferPointer { sumOfSquares($0) }.isFinite)
      }
    }
  }

  /// Squares past Float's range overflow the fast sum; the result must still be the finite
  /// Double sum, or a huge but finite gradient would be reported as non-finite.
  @Test func hugeFiniteValuesGiveAFiniteSum() {
    let values = [Float](repeating: 1e30, count: 70)
    let sum = values.withUnsafeBufferPointer { sumOfSquares($0) }
    #expect(sum.isFinite)
    #expect(abs(sum - 70e60) <= 1e-6 * 70e60)
  }

  @Test func theProgressRecordPairsNamesWithValues() {
    let progress = TrainingProgress(
      epoch: 2, epochs: 3, batch: 4, batches: 4, samplesSeen: 10, runningLoss: 0.5,
      elapsed: 0.1, epochFinished: true, names: ["loss", "val_loss", "accuracy"],
      values: [0.5, 0.75, 0.9], learningRate: 0.01)
    #expect(progress.record == ["loss": 0.5, "val_loss": 0.75, "accuracy": 0.9])
  }

  @Test func theBLASKernelHasAName() {
    #expect(!BLASLibrary.coreName.isEmpty)
    #expect(BLASLibrary.coreName != "unknown")
  }
}
