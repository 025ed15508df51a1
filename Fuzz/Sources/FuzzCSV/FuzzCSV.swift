// libFuzzer target: the CSV reader (`CSV.load(text:)`) over arbitrary bytes. The first byte
// chooses the options — delimiter, header or not, which target column, classes or not — and
// the rest is the file. Each input must give a `DataError` or a data set whose tensors agree
// with each other; a trap, an overflow or a hang is a finding.
import NNRuntime

private let delimiters: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t"),
                                   UInt8(ascii: " ")]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size >= 1 else { return 0 }
  let choice = Int(data[0])
  let body = UnsafeBufferPointer(start: data + 1, count: size - 1)
  let text = String(decoding: body, as: UTF8.self)
  let delimiter = delimiters[choice & 3]
  let header = choice & 4 == 0
  let target: CSVTarget
  switch (choice >> 3) & 3 {
  case 0: target = .last
  case 1: target = .index(0)
  case 2: target = .index(-2)
  default: target = .name("y")
  }
  let classes: Int? = choice & 0x20 == 0 ? nil : 1 + (choice >> 6)
  guard let dataset = try? CSV.load(
    text: text, delimiter: delimiter, header: header, target: target, classes: classes)
  else { return 0 }
  precondition(dataset.x.shape.first == dataset.y.shape.first,
               "inputs and targets have different numbers of rows")
  // Every cell was a whole finite number: nothing read as inf, nan or a prefix of a cell.
  precondition(dataset.x.scalars.allSatisfy(\.isFinite), "an input is not finite")
  return 0
}
