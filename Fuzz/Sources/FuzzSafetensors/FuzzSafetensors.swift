// libFuzzer target: the safetensors reader over arbitrary bytes — the 8-byte length, the JSON
// header, entries and offsets — then every tensor it accepted, converted to a Tensor. Each
// input must give a `SafeTensorsError` or tensors whose shapes match their byte ranges; a
// trap, an out-of-range read, an overflow or a huge allocation is a finding.
import NNRuntime

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  guard let file = try? SafeTensorsFile(bytes: bytes) else { return 0 }
  for entry in file.entries {
    precondition(entry.offsets.lowerBound >= 0 && entry.offsets.upperBound <= size,
                 "an accepted entry's byte range lies outside the file")
    precondition(file[entry.name] != nil, "an accepted entry cannot be found by its name")
    guard let tensor = try? file.tensor(entry) else { continue }
    precondition(tensor.shape == entry.shape, "a tensor's shape differs from its entry's")
  }
  _ = file.metadata?.count
  return 0
}
