import Testing

@testable import NNScript

/// `gradcheck` on every layer, activation and loss: backpropagation must agree with finite
/// differences to better than 1e-6 relative error in 64-bit precision.
struct GradientCheckTests {
  /// Runs a script ending in a `gradcheck(…)` call and returns the largest relative error.
  func largestError(_ script: String) throws -> Double {
    let interpreter = Interpreter(options: InterpreterOptions(output: { _ in }))
    let value = try interpreter.evaluate(script)
    guard case .number(let error) = value else {
      Issue.record("gradcheck returned \(value.typeName)")
      return .infinity
    }
    return error
  }

  static let activations = [
    "relu", "sigmoid", "tanh", "softmax", "gelu", "elu", "identity", "leaky_relu(alpha: 0.1)",
  ]

  @Test(arguments: activations)
  func everyActivationBackpropagatesCorrectly(_ activation: String) throws {
    let script = """
      seed(11)
      model m(3) {
        dense(5, \(activation))
        dense(2, tanh)
      }
      gradcheck(m, randn(6, 3), randn(6, 2), loss: mse)
      """
    #expect(try largestError(script) < 1e-6)
  }

  static let losses: [(loss: String, head: String, target: String)] = [
    ("mse", "dense(3)", "randn(4, 3)"),
    ("sse", "dense(3)", "randn(4, 3)"),
    ("mae", "dense(3)", "randn(4, 3)"),
    ("huber(delta: 0.5)", "dense(3)", "randn(4, 3) * 2"),
    ("cross_entropy", "dense(3)", "[0, 2, 1, 1]"),
    ("cross_entropy", "dense(3)", "[[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 0]]"),
    ("cross_entropy", "dense(3, softmax)", "[0, 2, 1, 1]"),
    ("bce", "dense(3, sigmoid)", "[[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]]"),
    ("bce", "dense(3)\n  sigmoid", "[[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]]"),
    ("fn (p, y) { mean((p - y) ^ 2) + sum(abs(p)) / 10 }", "dense(3)", "randn(4, 3)"),
  ]

  @Test(arguments: losses)
  func everyLossBackpropagatesCorrectly(_ loss: String, _ head: String, _ target: String) throws {
    let script = """
      seed(12)
      model m(2) {
        dense(4, tanh)
        \(head)
      }
      gradcheck(m, randn(4, 2), \(target), loss: \(loss))
      """
    #expect(try largestError(script) < 1e-6)
  }

  @Test func residualAndDropoutLayersBackpropagateCorrectly() throws {
    let script = """
      seed(13)
      model m(4) {
        dense(4, tanh)
        residual {
          dense(4, sigmoid)
          dense(4)
        }
        dropout(0.3)
        dense(2)
      }
      gradcheck(m, randn(5, 4), randn(5, 2), loss: mse)
      """
    #expect(try largestError(script) < 1e-6)
  }

  @Test func aLayerWithoutBiasBackpropagatesCorrectly() throws {
    let script = """
      seed(14)
      model m(3) { dense(2, tanh, use_bias: false) }
      gradcheck(m, randn(3, 3), randn(3, 2), loss: sse)
      """
    #expect(try largestError(script) < 1e-6)
  }

  @Test func gradcheckReportsEachParameter() throws {
    let output = OutputBuffer()
    let interpreter = Interpreter(options: InterpreterOptions(output: { output.append($0) }))
    _ = try interpreter.evaluate("""
      seed(15)
      model m(2) { dense(3, tanh); dense(1) }
      gradcheck(m, randn(2, 2), randn(2, 1), loss: mse)
      """)
    for name in ["dense1.weight", "dense1.bias", "dense2.weight", "dense2.bias", "largest"] {
      #expect(output.text.contains(name))
    }
  }
}
