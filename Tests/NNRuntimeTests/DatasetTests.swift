import Testing
@testable import NNRuntime

// Data sets: construction checks, row selection, splits, standardisation, and the shapes and
// class balance of the generated sets.

private func counts(_ data: Dataset) -> [Int] {
  var counts = [Int](repeating: 0, count: data.classes ?? 0)
  for label in data.y.scalars { counts[Int(label)] += 1 }
  return counts
}

private func numbered(_ n: Int) throws -> Dataset {
  // Row i holds (i, 10·i) and target i, so a row's parts can be checked to stay together.
  let x = Tensor(shape: [n, 2], scalars: (0..<n).flatMap { [Float($0), Float(10 * $0)] })
  return try Dataset(x: x, y: Tensor((0..<n).map(Float.init)), classes: nil)
}

// MARK: - Construction

@Test func rowCountsMustAgree() {
  #expect(throws: DataError("x has 4 rows but y has 3")) {
    try Dataset(x: Tensor(shape: [4, 2], scalars: [Float](repeating: 0, count: 8)),
                y: Tensor([0, 1, 2]), classes: nil)
  }
}

@Test func classLabelsAreChecked() throws {
  #expect(throws: DataError("y[1]: label 3 is not below classes: 3")) {
    try Dataset(x: Tensor([1, 2]), y: Tensor([0, 3]), classes: 3)
  }
  #expect(throws: DataError("y[0]: label 0.5 is not a whole number")) {
    try Dataset(x: Tensor([1]), y: Tensor([0.5]), classes: 3)
  }
  let column = try Dataset(x: Tensor([1, 2]), y: Tensor(shape: [2, 1], scalars: [1, 0]),
                           classes: 2)
  #expect(column.y.shape == [2])
}

@Test func oneDimensionalPartsBecomeColumns() throws {
  let data = try Dataset(x: Tensor([1, 2, 3]), y: Tensor([4, 5, 6]), classes: nil)
  #expect(data.x.shape == [3, 1])
  #expect(data.y.shape == [3, 1])
  #expect(data.n == 3)
}

@Test func rowsSelectInOrder() throws {
  let data = try numbered(5)
  let picked = data.rows([4, 0, 4])
  #expect(picked.x == Tensor(shape: [3, 2], scalars: [4, 40, 0, 0, 4, 40]))
  #expect(picked.y.scalars == [4, 0, 4])
  #expect(data.rows(1..<3).y.scalars == [1, 2])
  #expect(data.rows([]).n == 0)
}

// MARK: - Splitting

@Test func splitSizesRoundTheFraction() throws {
  let data = try numbered(10)
  var random = RandomGenerator(seed: 0)
  for (fraction, size) in [(0.8, 8), (0.25, 3), (0.5, 5), (0.01, 0), (0.99, 10)] {
    let (first, second) = data.split(fraction, random: &random)
    #expect(first.n == size, "\(fraction)")
    #expect(second.n == 10 - size)
    // Every row lands in exactly one part, whole.
    #expect(Set(first.y.scalars + second.y.scalars) == Set((0..<10).map(Float.init)))
    for part in [first, second] {
      for row in 0..<part.n {
        #expect(part.x[flat: 2 * row] == part.y[flat: row])
        #expect(part.x[flat: 2 * row + 1] == 10 * part.y[flat: row])
      }
    }
  }
}

@Test func splitAndShuffleAreDeterministicUnderASeed() throws {
  let data = try numbered(50)
  var a = RandomGenerator(seed: 5)
  var b = RandomGenerator(seed: 5)
  var c = RandomGenerator(seed: 6)
  #expect(data.split(0.7, random: &a) == data.split(0.7, random: &b))
  #expect(data.shuffled(random: &a) == data.shuffled(random: &b))
  #expect(data.shuffled(random: &a) != data.shuffled(random: &c))
  #expect(data.shuffled(random: &a).y.scalars.sorted() == data.y.scalars)
}

// MARK: - Standardisation

@Test func standardizationUsesPopulationStatistics() throws {
  let data = try Dataset(x: Tensor(shape: [3, 2], scalars: [1, 7, 2, 7, 3, 7]),
                         y: Tensor([0, 0, 0]), classes: nil)
  let (mean, std) = data.standardization()
  #expect(mean == Tensor([2, 7]))
  #expect(abs(std[flat: 0] - Float((2.0 / 3).squareRoot())) < 1e-6)
  #expect(std[flat: 1] == 1, "a constant feature keeps a deviation of 1")
  let scaled = data.standardized(mean: mean, std: std)
  #expect(abs(scaled.x[flat: 0] + 1.2247449) < 1e-5)
  #expect(scaled.x[flat: 1] == 0)
  #expect(scaled.y == data.y)
  let again = scaled.standardization()
  #expect(abs(again.mean[flat: 0]) < 1e-6)
  #expect(abs(again.std[flat: 0] - 1) < 1e-5)
}

@Test func standardizationKeepsImageShapes() throws {
  let x = Tensor(shape: [2, 1, 2, 2], scalars: [0, 1, 2, 3, 2, 3, 4, 5])
  let data = try Dataset(x: x, y: Tensor([0, 1]), classes: 2)
  let (mean, std) = data.standardization()
  #expect(mean.shape == [1, 2, 2])
  #expect(mean.scalars == [1, 2, 3, 4])
  #expect(std.scalars == [1, 1, 1, 1])
  #expect(data.standardized(mean: mean, std: std).x.scalars == [-1, -1, -1, -1, 1, 1, 1, 1])
}

// MARK: - Generated sets

@Test func xorIsTheTruthTable() {
  let data = SyntheticData.xor()
  #expect(data.x == Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1]))
  #expect(data.y == Tensor(shape: [4, 1], scalars: [0, 1, 1, 0]))
  #expect(data.classes == nil)
}

@Test func linearFollowsTheWeightsWithoutNoise() {
  var random = RandomGenerator(seed: 1)
  let data = SyntheticData.linear(n: 20, w: [2, -3], b: 1, noise: 0, random: &random)
  #expect(data.x.shape == [20, 2])
  #expect(data.y.shape == [20, 1])
  for row in 0..<20 {
    let expected = 2 * data.x[flat: 2 * row] - 3 * data.x[flat: 2 * row + 1] + 1
    #expect(abs(data.y[flat: row] - expected) < 1e-5)
  }
}

@Test func generatedSetsHaveTheirShapesAndBalancedClasses() {
  var random = RandomGenerator(seed: 0)
  let spirals = SyntheticData.spirals(n: 30, classes: 4, noise: 0.2, random: &random)
  #expect(spirals.x.shape == [120, 2])
  #expect(counts(spirals) == [30, 30, 30, 30])
  let moons = SyntheticData.moons(n: 101, noise: 0.1, random: &random)
  #expect(moons.x.shape == [101, 2])
  #expect(counts(moons) == [50, 51])
  let circles = SyntheticData.circles(n: 100, noise: 0.05, factor: 0.5, random: &random)
  #expect(circles.x.shape == [100, 2])
  #expect(counts(circles) == [50, 50])
  let blobs = SyntheticData.blobs(n: 100, centers: 3, dim: 5, spread: 1, random: &random)
  #expect(blobs.x.shape == [100, 5])
  #expect(counts(blobs) == [34, 33, 33])
}

@Test func circlesWithoutNoiseLieOnTheirRadii() {
  var random = RandomGenerator(seed: 2)
  let data = SyntheticData.circles(n: 40, noise: 0, factor: 0.3, random: &random)
  for row in 0..<40 {
    let radius = (data.x[flat: 2 * row] * data.x[flat: 2 * row]
      + data.x[flat: 2 * row + 1] * data.x[flat: 2 * row + 1]).squareRoot()
    #expect(abs(radius - (data.y[flat: row] == 0 ? 1 : 0.3)) < 1e-5)
  }
}

@Test func blobsClusterAroundTheirCentres() {
  var random = RandomGenerator(seed: 3)
  let data = SyntheticData.blobs(n: 300, centers: 2, dim: 2, spread: 0.01, random: &random)
  // With a tiny spread, all points of one class sit together inside [-10, 10]².
  for label in 0..<2 {
    let rows = (0..<300).filter { data.y[flat: $0] == Float(label) }
    let xs = rows.map { data.x[flat: 2 * $0] }
    #expect(xs.max()! - xs.min()! < 0.2)
    #expect(xs.allSatisfy { abs($0) < 10.1 })
  }
}

@Test func generatorsAreDeterministicUnderASeed() {
  func make(_ seed: UInt64) -> [Dataset] {
    var random = RandomGenerator(seed: seed)
    return [
      SyntheticData.linear(n: 10, w: [1], b: 0, noise: 0.1, random: &random),
      SyntheticData.spirals(n: 10, classes: 3, noise: 0.2, random: &random),
      SyntheticData.moons(n: 10, noise: 0.1, random: &random),
      SyntheticData.circles(n: 10, noise: 0.1, factor: 0.5, random: &random),
      SyntheticData.blobs(n: 10, centers: 2, dim: 2, spread: 1, random: &random),
    ]
  }
  #expect(make(9) == make(9))
  #expect(make(9) != make(10))
}
