import Testing

@testable import NNScript

extension GradientCheckTests {
  /// conv1d, the 1-D pools and the global pools (over a sequence and over an image), each in
  /// a small model: backpropagation through their lowerings agrees with finite differences.
  static let sequenceConvolutionModels: [(input: String, body: String, x: String)] = [
    ("[2, 7]", "conv1d(3, 3, act: tanh)", "randn(3, 2, 7)"),
    ("[2, 7]", "conv1d(3, 2, stride: 2, padding: \"valid\", use_bias: false)", "randn(3, 2, 7)"),
    ("[2, 8]", "conv1d(3, 4, stride: 3, act: sigmoid)", "randn(3, 2, 8)"),
    ("[2, 7]", "conv1d(2, 3, act: tanh); maxpool1d(2)", "randn(3, 2, 7)"),
    ("[2, 7]", "conv1d(2, 3, act: tanh); avgpool1d(3, stride: 2)", "randn(3, 2, 7)"),
    ("[5, 2]", "lstm(3, return_sequences: true); global_maxpool()", "randn(3, 5, 2)"),
    ("[5, 2]", "lstm(3, return_sequences: true); global_avgpool()", "randn(3, 5, 2)"),
    ("[2, 4, 4]", "conv2d(3, 3, act: tanh); global_maxpool()", "randn(3, 2, 4, 4)"),
    ("[2, 4, 4]", "conv2d(3, 3, act: tanh); global_avgpool()", "randn(3, 2, 4, 4)"),
  ]

  @Test(arguments: sequenceConvolutionModels)
  func sequenceConvolutionLayersBackpropagateCorrectly(
    _ input: String, _ body: String, _ x: String
  ) throws {
    let script = """
      seed(13)
      model m(\(input)) {
        \(body)
        flatten()
        dense(2)
      }
      gradcheck(m, \(x), [0, 1, 1], loss: cross_entropy)
      """
    #expect(try largestError(script) < 1e-6)
  }
}
