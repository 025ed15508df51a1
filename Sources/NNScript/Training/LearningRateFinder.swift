#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NNRuntime
import NNSyntax

/// `lr_find(net, data, …)`: the range test on `net`'s weights, which it puts back afterwards,
/// as a record of rates, losses and suggestions, and a chart of the smoothed loss.
struct LearningRateFinder {
  let context: CallContext

  func run() throws(Diagnostic) -> Value {
    let model = try context.model("net")
    let data = try context.dataArgument("data")
    let low = try context.number("from")
    let high = try context.number("to")
    guard high > low else {
      throw context.error(.invalidArgument,
                          "the rate rises from from: to to:, so to: must be above "
                            + "\(formatNumber(low)), not \(formatNumber(high))", at: "to")
    }
    let steps = try context.integer("steps")
    let loss = context.has("loss") ? try context.lossObject("loss")
      : TrainingSession.defaultLoss(for: model, data: data)
    let optimizer = context.has("optimizer") ? try context.optimizerObject("optimizer")
      : OptimizerObject(rule: OptimizerRule.defaults("adam")!, learningRate: 0.001)
    let configuration = TrainingConfiguration(
      epochs: 1, batchSize: try context.optionalInteger("batch"),
      shuffle: try context.bool("shuffle"), optimizer: optimizer.rule, learningRate: low,
      l2: try context.number("l2"))
    let trainingData = try TrainingSession.trainingData(data, model: model, loss: loss,
                                                        context: context)
    let trainer = try TrainingSession.trainer(model, configuration, optimizer: optimizer,
                                              loss: loss, context: context)
    // One process is enough for a rate: every rank runs the same test on its own.
    trainer.communicator = nil
    // Exponential from `low` to `high`: equal steps in log(rate).
    let ratio = high / low
    let rates = (0..<steps).map { low * pow(ratio, Double($0) / Double(max(steps - 1, 1))) }
    var random = context.has("seed")
      ? RandomGenerator(seed: UInt64(bitPattern: Int64(try context.integer("seed"))))
      : context.evaluator.random
    let evaluator = context.evaluator
    let test: RangeTest
    do {
      test = try trainer.rangeTest(trainingData, rates: rates, random: &random,
                                   shouldStop: { evaluator.stopRequested })
    } catch {
      throw context.error(.numericError, error.message)
    }
    if !context.has("seed") { context.evaluator.random = random }
    guard !test.rates.isEmpty else {
      throw context.error(.numericError,
                          "the loss was not finite at the first rate, "
                            + "\(formatNumber(low)): there is no curve to read",
                          at: "from", hint: "start lower, or check the data and the model")
    }
    if try context.bool("plot") { try context.show(chart(test)) }
    var record = Record()
    record["lr"] = .tensor(Tensor(test.rates.map(Float.init)))
    record["loss"] = .tensor(Tensor(test.losses.map(Float.init)))
    record["smoothed"] = .tensor(Tensor(test.smoothed.map(Float.init)))
    record["suggestion"] = test.valley.map { .number($0) } ?? .nil
    record["steep"] = test.steepest.map { .number($0) } ?? .nil
    record["minimum"] = .number(test.minimum)
    record["diverged"] = .bool(test.diverged)
    return .record(record)
  }

  /// The smoothed loss against log₁₀ of the rate, the suggestion in the title.
  private func chart(_ test: RangeTest) throws(Diagnostic) -> Chart {
    let suggestion = test.valley.map { "suggested lr \(formatNumber(roundedTo3($0)))" }
      ?? "no suggestion: the loss never fell"
    let series = ChartSeries(label: nil, xs: test.rates.map(log10), ys: test.smoothed)
    let title = try context.has("title") ? context.string("title") : "learning-rate finder"
    return Chart(series: [series], title: "\(title) (\(suggestion))",
                 xLabel: "log10(learning rate)", yLabel: "smoothed loss", integerX: false)
  }

  private func roundedTo3(_ x: Double) -> Double {
    guard x > 0, x.isFinite else { return x }
    let scale = pow(10, 2 - floor(log10(x)))
    return (x * scale).rounded() / scale
  }
}
