// Heap allocations of steady-state training off the MLP path: the cnn, lstm and attention
// workloads of scripts/bench (smaller data, the same layers), driven through the interpreter.
//
// A script defines the model and two datasets, one of `few` batches and one of `many`; setup
// trains once on each, so that every plan is compiled and cached. The measured region is one
// more `train` statement, parsed and run by the interpreter: its parsing, the training call's
// set-up and its one epoch of bookkeeping are the same for both sizes, so the per-step count
// is (many − few) / (many batches − few batches), and equal counts mean a step allocates
// nothing.

import Benchmark
import NNScript

/// One layered workload: the model's declaration, its sample shape, classes, batch size and
/// optimizer.
struct LayeredWorkload: Sendable {
  let name: String
  let model: String
  let sample: [Int]
  let classes: Int
  let batch: Int
  let optimizer: String

  static let all = [
    LayeredWorkload(
      name: "cnn", model: """
        conv2d(16, 3, act: relu)
        maxpool(2)
        conv2d(32, 3, act: relu)
        maxpool(2)
        flatten()
        dense(10)
        """, sample: [3, 32, 32], classes: 10, batch: 16,
      optimizer: "sgd(lr: 0.01, momentum: 0.9)"),
    LayeredWorkload(
      name: "lstm", model: "lstm(64)\ndense(4)", sample: [20, 8], classes: 4, batch: 32,
      optimizer: "adam(lr: 1e-3)"),
    LayeredWorkload(
      name: "attention", model: "transformer(4, 128)\nflatten()\ndense(4)", sample: [32, 64],
      classes: 4, batch: 32, optimizer: "adam(lr: 1e-3)"),
  ]

  /// The statement the benchmark measures: one epoch over the dataset `data`.
  func train(_ data: String) -> String {
    """
    let h = train net on \(data) {
      loss: cross_entropy
      optimizer: \(optimizer)
      epochs: 1
      batch: \(batch)
      progress: false
    }
    """
  }

  /// The model and a dataset of `batches` full batches named `data<batches>`.
  func setup(batches: [Int]) -> String {
    let shape = sample.map(String.init).joined(separator: ", ")
    var text = "seed(0)\nmodel net([\(shape)]) {\n\(model)\n}\n"
    for count in batches {
      let rows = count * batch
      text += "let data\(count) = dataset(randn(\(rows), \(shape)), "
        + "floor(rand(\(rows)) * \(classes)), classes: \(classes))\n"
    }
    return text
  }
}

/// An interpreter holding a workload's model and data, warmed by one train of each size.
final class LayeredRun {
  let interpreter = Interpreter()
  let statement: String

  init(_ workload: LayeredWorkload, batches: Int, sizes: [Int]) throws {
    try interpreter.run(workload.setup(batches: sizes), name: "setup")
    for size in sizes { try interpreter.run(workload.train("data\(size)"), name: "warm-up") }
    statement = workload.train("data\(batches)")
  }

  func train() throws(ScriptError) { try interpreter.run(statement, name: "train") }
}

func layeredBenchmarks(_ configuration: (Int) -> Benchmark.Configuration) {
  let sizes = [10, 50]
  for workload in LayeredWorkload.all {
    for batches in sizes {
      Benchmark("\(workload.name), 1 epoch of \(batches) batches of \(workload.batch)",
                configuration: configuration(5)) { benchmark, run in
        benchmark.startMeasurement()
        let result = Result { () throws(ScriptError) in try run.train() }
        benchmark.stopMeasurement()
        if case .failure(let error) = result { benchmark.error(error.rendered()) }
      } setup: {
        try LayeredRun(workload, batches: batches, sizes: sizes)
      }
    }
  }
}
