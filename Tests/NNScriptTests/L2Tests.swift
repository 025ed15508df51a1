import Foundation
import Testing

@testable import NNScript

/// `fit(…, l2:)` penalises the weights the layers declare, LSTM matrices included: one SGD
/// step on an lstm → dense model equals PyTorch's with l2/2·Σ‖W‖² over weight_ih, weight_hh and
/// the dense weight (the fixture NNRuntimeTests/Fixtures/l2, by scripts/make_l2_fixture.py).
struct L2Tests {
  private struct Fixture: Decodable {
    var rows: Int
    var time: Int
    var features: Int
    var units: Int
    var l2: Double
    var lr: Double
    var x: [Double]
    var y: [Double]
    var before: [String: [Double]]
    var after: [String: [Double]]
  }

  private static let parameters = [
    ("lstm1", "weight_ih"), ("lstm1", "weight_hh"), ("lstm1", "bias"), ("dense1", "weight"),
    ("dense1", "bias"),
  ]

  @Test func oneFitStepWithL2MatchesPyTorchOnAnLSTM() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("NNRuntimeTests/Fixtures/l2")
      .appendingPathComponent("lstm_dense_step.json")
    let f = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    func list(_ values: [Double]) -> String {
      "[" + values.map { "\($0)" }.joined(separator: ", ") + "]"
    }
    var script = "model m([\(f.time), \(f.features)]) {\n  lstm(\(f.units))\n  dense(1)\n}\n"
    let shapes = [[4 * f.units, f.features], [4 * f.units, f.units], [4 * f.units],
                  [1, f.units], [1]]
    for ((layer, name), shape) in zip(Self.parameters, shapes) {
      let values = try #require(f.before["\(layer).\(name)"])
      script += "m.\(layer).\(name) = reshape(\(list(values)), \(shape))\n"
    }
    script += """
      let x = reshape(\(list(f.x)), [\(f.rows), \(f.time), \(f.features)])
      let y = reshape(\(list(f.y)), [\(f.rows), 1])
      fit(m, dataset(x, y), loss: mse, optimizer: sgd(lr: \(f.lr)), epochs: 1, l2: \(f.l2))
      m.params

      """
    let interpreter = Interpreter(options: InterpreterOptions(output: { _ in }))
    guard case .record(let record) = try interpreter.evaluate(script) else {
      Issue.record("m.params is not a record")
      return
    }
    for (layer, name) in Self.parameters {
      guard case .record(let fields)? = record[layer], case .tensor(let t)? = fields[name] else {
        Issue.record("no \(layer).\(name)")
        continue
      }
      let expected = try #require(f.after["\(layer).\(name)"])
      #expect(t.scalars.count == expected.count)
      for (a, e) in zip(t.scalars, expected) {
        #expect(abs(Double(a) - e) <= 1e-5 + 1e-4 * abs(e), "\(layer).\(name): \(a) vs \(e)")
      }
    }
  }
}
