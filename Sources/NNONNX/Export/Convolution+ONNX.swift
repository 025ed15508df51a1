import NNRuntime

extension ONNXGraphBuilder {
  /// An ONNX Conv with nn's padding: "same" puts the odd padding element at the end of each
  /// axis, which ONNX's explicit `pads` (begins, then ends) say exactly.
  mutating func convolution(
    _ layer: Layer, from input: String, geometry g: ConvolutionGeometry, useBias: Bool,
    oneDimensional: Bool
  ) throws(ONNXError) -> String {
    let weight = try parameter(layer, "weight")
    let bias = useBias ? [try parameter(layer, "bias")] : []
    func end(_ out: Int, _ stride: Int, _ kernel: Int, _ size: Int, _ begin: Int) -> Int {
      g.same ? Swift.max((out - 1) * stride + kernel - size, 0) - begin : 0
    }
    let bottom = end(g.outHeight, g.strideY, g.kernelHeight, g.height, g.padTop)
    let right = end(g.outWidth, g.strideX, g.kernelWidth, g.width, g.padLeft)
    let attributes: [Onnx_AttributeProto] = oneDimensional
      ? [.ints("kernel_shape", [g.kernelWidth]), .ints("strides", [g.strideX]),
         .ints("pads", [g.padLeft, right])]
      : [.ints("kernel_shape", [g.kernelHeight, g.kernelWidth]),
         .ints("strides", [g.strideY, g.strideX]),
         .ints("pads", [g.padTop, g.padLeft, bottom, right])]
    return add("Conv", [input, weight] + bias, attributes)
  }
}

extension Conv2D: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    let geometry = ConvolutionGeometry(input: layer.inputShape, filters: filters,
                                       kernel: kernel, stride: stride, same: same,
                                       hasBias: affine.useBias)
    let z = try graph.convolution(layer, from: input, geometry: geometry,
                                  useBias: affine.useBias, oneDimensional: false)
    return graph.activate(z, activation)
  }
}

extension Conv1D: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    // nn computes it as a conv2d over [channels, 1, length]; the geometry is that one's.
    let geometry = ConvolutionGeometry(
      input: [layer.inputShape[0], 1, layer.inputShape[1]], filters: filters,
      kernel: [1, kernel], stride: [1, stride], same: same, hasBias: affine.useBias)
    let z = try graph.convolution(layer, from: input, geometry: geometry,
                                  useBias: affine.useBias, oneDimensional: true)
    return graph.activate(z, activation)
  }
}
