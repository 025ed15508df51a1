// libFuzzer target: the ONNX reader over arbitrary bytes — protobuf decoding, tensors checked
// against their shapes, constants — then the importer that reads the graph as nn layers. Each
// input must give an `ONNXError` or tensors whose element counts match their shapes and
// layers with named parameters; a trap, an out-of-range read or a huge allocation is a
// finding.
import NNONNX
import NNRuntime

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let file = try? ONNXFile(bytes: bytes) else { return 0 }
  for (name, tensor) in file.tensors {
    precondition(tensor.count == tensor.shape.reduce(1, *),
                 "tensor \(name) holds a count its shape does not")
  }
  guard let imported = try? ONNXImport(file) else { return 0 }
  precondition(!imported.layers.isEmpty, "an import without layers was accepted")
  precondition(imported.layers.allSatisfy { $0.name != nil }, "an imported layer has no name")
  _ = imported.parameters.values.reduce(0) { $0 + $1.count }
  return 0
}
