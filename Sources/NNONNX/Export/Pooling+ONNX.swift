import NNRuntime

extension PoolingGeometry.Kind {
  /// ONNX's windowed pooling op of this kind (no padding, output rounded down: nn's rule).
  var onnxOp: String { self == .max ? "MaxPool" : "AveragePool" }
}

extension Pool2D: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    graph.add(kind.onnxOp, [input], [.ints("kernel_shape", size), .ints("strides", stride)])
  }
}

extension Pool1D: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    graph.add(kind.onnxOp, [input], [.ints("kernel_shape", [size]), .ints("strides", [stride])])
  }
}

extension GlobalPool: ONNXLayer {
  func exportONNX(
    _ layer: Layer, from input: String, into graph: inout ONNXGraphBuilder
  ) throws(ONNXError) -> String {
    // A sequence [time, features] pools over time, an image [c, h, w] over its plane.
    let axes = layer.inputShape.count == 2 ? [1] : [2, 3]
    return graph.add(kind == .max ? "ReduceMax" : "ReduceMean", [input],
                     [.ints("axes", axes), .int("keepdims", 0)])
  }
}
