import Testing

@testable import NNScript

/// `step(net, opt, g)` with a gradient that is not finite (issue 16, item 8): an error naming
/// the parameter, and not one weight changed, where the update used to fill them with NaN.
struct StepGradientTests {
  @Test func aNonFiniteGradientLeavesEveryWeightAsItWas() throws {
    let interpreter = Interpreter()
    try interpreter.run("""
      model line(2) { dense(2, weight: [[1, 2], [3, 4]], bias: [5, 6]) }
      let opt = adam(lr: 0.1)
      let g = grad(line, [[1, 1]], [[0, 0]], loss: mse)
      let bad = {dense1: {weight: [[0.5, 0.5], [0.5, 0 / 0]], bias: g.dense1.bias}}
      """, name: "<setup>")
    do {
      _ = try interpreter.evaluate("step(line, opt, bad)")
      Issue.record("step accepted a NaN gradient")
    } catch {
      #expect(error.diagnostics.map(\.message)
                == ["the gradient dense1.weight holds nan at [1, 1]; step changed no weight"])
    }
    let unchanged = try interpreter.evaluate("""
      sum(abs(line.dense1.weight - [[1, 2], [3, 4]])) + sum(abs(line.dense1.bias - [5, 6])) == 0
      """)
    guard case .bool(true) = unchanged else {
      Issue.record("the weights changed: \(unchanged)")
      return
    }
    // The optimizer has taken no step either: a good gradient still gives Adam's first step.
    _ = try interpreter.evaluate("step(line, opt, g)")
    guard case .bool(true) = try interpreter.evaluate("line.dense1.bias[0] < 5") else {
      Issue.record("the good step did not move the bias")
      return
    }
  }
}
