import Testing

@testable import NNScript

/// batchnorm's running statistics are buffers (issue 14): no optimizer step (weight decay
/// included), unapplied trace or gradient check moves them, and gradcheck checks the trained
/// tensors in training mode as well as inference mode.
struct BufferTests {
  private func evaluate(_ script: String) throws -> Value {
    let interpreter = Interpreter(options: InterpreterOptions(output: { _ in }))
    return try interpreter.evaluate(script)
  }

  private static let model = """
    seed(2)
    model m(2) {
      dense(2)
      batchnorm()
      dense(1)
    }
    let x = randn(4, 2)
    let y = randn(4, 1)
    # Running statistics away from their first values, so decay would move them.
    fit(m, dataset(x, y), loss: mse, epochs: 2, optimizer: sgd(lr: 0.1))
    let mean = m.batchnorm1.running_mean
    let variance = m.batchnorm1.running_var
    fn moved() {
      sum(abs(m.batchnorm1.running_mean - mean)) + sum(abs(m.batchnorm1.running_var - variance))
    }

    """

  private func number(_ script: String) throws -> Double {
    let value = try evaluate(Self.model + script)
    guard case .number(let x) = value else {
      Issue.record("the script returned \(value.typeName)")
      return .infinity
    }
    return x
  }

  @Test func theStatisticsMovedBeforeTheChecks() throws {
    #expect(try number("sum(abs(mean)) + sum(abs(variance - 1))") > 0)
  }

  @Test func stepWithWeightDecayLeavesTheStatistics() throws {
    let script = """
      let g = grad(m, x, y, loss: mse)
      let mean2 = m.batchnorm1.running_mean
      let variance2 = m.batchnorm1.running_var
      let w = m.dense1.weight
      step(m, sgd(lr: 0.1, weight_decay: 0.5), g)
      if sum(abs(m.dense1.weight - w)) == 0 { -1 } else {
        sum(abs(m.batchnorm1.running_mean - mean2)) +
          sum(abs(m.batchnorm1.running_var - variance2))
      }
      """
    #expect(try number(script) == 0)
  }

  @Test func traceWithoutApplyLeavesTheStatistics() throws {
    #expect(try number("trace(m, x, y, loss: mse)\nmoved()") == 0)
  }

  @Test func traceWithApplyMovesThemAsTrainingDoes() throws {
    #expect(try number("trace(m, x, y, loss: mse, apply: true)\nmoved()") > 0)
  }

  @Test func gradcheckLeavesTheStatisticsAndChecksBothModes() throws {
    #expect(try number("gradcheck(m, x, y, loss: mse)") < 1e-6)
    #expect(try number("gradcheck(m, x, y, loss: mse)\nmoved()") == 0)
    let output = OutputBuffer()
    let interpreter = Interpreter(options: InterpreterOptions(output: { output.append($0) }))
    _ = try interpreter.evaluate(Self.model + "gradcheck(m, x, y, loss: mse)")
    let printed = output.text
    #expect(printed.contains("training mode (batch statistics)"))
    #expect(!printed.contains("running_mean"))
    #expect(!printed.contains("running_var"))
  }

  @Test func gradcheckHoldsDropoutMasksFixedInTrainingMode() throws {
    let script = """
      seed(5)
      model d(3) {
        dense(6, tanh)
        dropout(0.5)
        dense(2)
      }
      gradcheck(d, randn(5, 3), randn(5, 2), loss: mse)
      """
    let value = try evaluate(script)
    guard case .number(let error) = value else {
      Issue.record("gradcheck returned \(value.typeName)")
      return
    }
    #expect(error < 1e-6)
  }
}
