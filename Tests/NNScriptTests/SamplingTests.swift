import Foundation
import NNRuntime
import Testing

@testable import NNScript

/// `sample`'s draw: the frequencies it gives match p^(1/T) / Σ p^(1/T), it never draws a zero
/// weight, and temperature 0 is the first largest weight.
struct SamplingTests {
  /// How often each index comes out of `draws` draws.
  private func frequencies(
    _ weights: [Float], temperature: Double, draws: Int = 40_000
  ) -> [Double] {
    var random = RandomGenerator(seed: 7)
    var counts = [Double](repeating: 0, count: weights.count)
    for _ in 0..<draws {
      counts[Sampling.draw(from: weights, temperature: temperature, using: &random)] += 1
    }
    return counts.map { $0 / Double(draws) }
  }

  /// p^(1/T), normalised.
  private func expected(_ weights: [Float], temperature: Double) -> [Double] {
    let scaled = weights.map { Double($0) > 0 ? pow(Double($0), 1 / temperature) : 0 }
    let total = scaled.reduce(0, +)
    return scaled.map { $0 / total }
  }

  @Test("draws follow p^(1/T) normalised", arguments: [1.0, 0.5, 2.0, 0.8])
  func frequenciesFollowTheTemperedProbabilities(_ temperature: Double) {
    let weights: [Float] = [0.1, 0.2, 0.3, 0.4]
    let seen = frequencies(weights, temperature: temperature)
    for (got, want) in zip(seen, expected(weights, temperature: temperature)) {
      // 40,000 draws: the standard error of a frequency is at most 0.0025.
      #expect(abs(got - want) < 0.012, "T = \(temperature): \(seen)")
    }
  }

  @Test("weights need not sum to one, and a zero weight is never drawn")
  func unnormalisedWeightsAndZeros() {
    let seen = frequencies([0, 3, 0, 1], temperature: 1)
    #expect(seen[0] == 0 && seen[2] == 0)
    #expect(abs(seen[1] - 0.75) < 0.012)
    // A high temperature flattens towards uniform over the possible classes only.
    let flat = frequencies([0, 0.999, 0.001], temperature: 1e6)
    #expect(flat[0] == 0 && abs(flat[1] - 0.5) < 0.012)
  }

  @Test("temperature 0 is the first largest weight and draws nothing")
  func greedyIsArgmax() {
    var random = RandomGenerator(seed: 1)
    let before = random
    #expect(Sampling.draw(from: [0.2, 0.4, 0.4], temperature: 0, using: &random) == 1)
    #expect(random.next() == { var copy = before; return copy.next() }())
  }

  @Test("a tiny temperature picks the largest weight without overflowing")
  func tinyTemperature() {
    let seen = frequencies([0.3, 0.7, 1e-30], temperature: 1e-300, draws: 1_000)
    #expect(seen == [0, 1, 0])
  }

  @Test("problems are named: negative, nan, infinite, all zero")
  func problems() {
    #expect(Sampling.problem(in: [0.5, -0.25]) == .negative(-0.25, at: 1))
    #expect(Sampling.problem(in: [-1, .nan]) == .negative(-1, at: 0))
    #expect(Sampling.problem(in: [1, .infinity]) == .notFinite(.infinity, at: 1))
    #expect(Sampling.problem(in: [0, 0], row: 2) == .allZero(row: 2))
    let message = Sampling.Problem.notFinite(.nan, at: 1).message { "[4, \($0)]" }
    #expect(message == "probs holds nan at [4, 1]: a probability must be a finite number")
    #expect(Sampling.problem(in: [0, 1e-40]) == nil)
  }
}
