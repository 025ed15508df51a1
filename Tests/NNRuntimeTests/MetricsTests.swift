import Foundation
import Testing
@testable import NNRuntime

// Metrics against scikit-learn: Fixtures/metrics.json, written by scripts/make_metric_fixtures.py.

struct ClassificationMetricCase: Decodable, Sendable, CustomStringConvertible {
  var name: String
  var scores: FixtureTensor
  var labels: [Int]
  var classes: Int
  var accuracy: Double
  var precision: Double
  var recall: Double
  var f1: Double
  var confusion: [[Int]]
  var auc: Double?
  var description: String { name }
}

struct RegressionMetricCase: Decodable, Sendable, CustomStringConvertible {
  var name: String
  var predictions: FixtureTensor
  var targets: FixtureTensor
  var mse: Double
  var mae: Double
  var r2: Double
  var description: String { name }
}

struct MetricFixtures: Decodable, Sendable {
  var classification: [ClassificationMetricCase]
  var regression: [RegressionMetricCase]

  static let loaded: MetricFixtures = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/metrics.json")
    do {
      return try JSONDecoder().decode(MetricFixtures.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot read \(url.path): \(error)")
    }
  }()
}

/// Equal to within `tolerance` relative to the larger magnitude (absolute near zero).
func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
  abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}

@Suite struct MetricsTests {
  @Test(arguments: MetricFixtures.loaded.classification)
  func classificationMatchesSklearn(_ fixture: ClassificationMetricCase) {
    let report = Metrics.classification(scores: fixture.scores.tensor, labels: fixture.labels,
                                        classes: fixture.classes)
    #expect(close(report.accuracy, fixture.accuracy), "accuracy \(report.accuracy)")
    #expect(close(report.precision, fixture.precision), "precision \(report.precision)")
    #expect(close(report.recall, fixture.recall), "recall \(report.recall)")
    #expect(close(report.f1, fixture.f1), "f1 \(report.f1)")
    #expect(report.confusion == fixture.confusion)
    switch (report.auc, fixture.auc) {
    case (nil, nil): break
    case let (got?, expected?): #expect(close(got, expected), "auc \(got) vs \(expected)")
    case let (got, expected):
      Issue.record("auc \(String(describing: got)) vs \(String(describing: expected))")
    }
  }

  @Test(arguments: MetricFixtures.loaded.regression)
  func regressionMatchesSklearn(_ fixture: RegressionMetricCase) {
    let report = Metrics.regression(predictions: fixture.predictions.tensor,
                                    targets: fixture.targets.tensor)
    #expect(close(report.mse, fixture.mse), "mse \(report.mse)")
    #expect(close(report.mae, fixture.mae), "mae \(report.mae)")
    #expect(close(report.r2, fixture.r2), "r2 \(report.r2)")
  }

  @Test func aucOfPerfectAndReversedRankings() {
    let scores = Tensor(shape: [4, 1], scalars: [0.1, 0.2, 0.8, 0.9])
    #expect(Metrics.classification(scores: scores, labels: [0, 0, 1, 1], classes: 2).auc == 1)
    #expect(Metrics.classification(scores: scores, labels: [1, 1, 0, 0], classes: 2).auc == 0)
    // All scores tied: every positive ranks with every negative, half credit each.
    let tied = Tensor(shape: [4, 1], scalars: [0.3, 0.3, 0.3, 0.3])
    #expect(Metrics.classification(scores: tied, labels: [0, 1, 0, 1], classes: 2).auc == 0.5)
  }

  @Test func aucIsUndefinedForMoreThanTwoClasses() {
    let scores = Tensor(shape: [3, 3], scalars: [1, 0, 0, 0, 1, 0, 0, 0, 1])
    let report = Metrics.classification(scores: scores, labels: [0, 1, 2], classes: 3)
    #expect(report.auc == nil)
    #expect(report.accuracy == 1)
    #expect(report.confusion == [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
  }

  @Test func labelsFromIndicesAndOneHotRows() {
    #expect(Metrics.labels(from: Tensor([2, 0, 1])) == [2, 0, 1])
    #expect(Metrics.labels(from: Tensor(shape: [2, 1], scalars: [1, 0])) == [1, 0])
    let oneHot = Tensor(shape: [2, 3], scalars: [0, 0, 1, 1, 0, 0])
    #expect(Metrics.labels(from: oneHot) == [2, 0])
  }

  @Test func labelsOutsideTheClassesDoNotCrash() {
    let scores = Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 0])
    let report = Metrics.classification(scores: scores, labels: [0, 5, -1], classes: 2)
    #expect(report.confusion.count == 6)
    #expect(report.accuracy == 0.5)
  }

  @Test func regressionOfMismatchedCountsIsNaN() {
    let report = Metrics.regression(predictions: Tensor([1, 2]), targets: Tensor([1, 2, 3]))
    #expect(report.mse.isNaN && report.mae.isNaN && report.r2.isNaN)
    let one = Metrics.regression(predictions: Tensor([1]), targets: Tensor([2]))
    #expect(one.mse == 1 && one.r2.isNaN)
  }
}
