// libFuzzer target: arbitrary bytes run as a script through the public embedding API, under
// tight limits so one input takes well under a second and bounded memory: a step budget, a
// time limit, small tensors, no file access, output discarded. Every input must end in a value
// or a `ScriptError`; a trap, an out-of-memory or a hang is a finding.
import NNScript

private let options = InterpreterOptions(
  output: { _ in }, arguments: ["a", "b"], stepLimit: 100_000, showsTimings: false,
  fileAccess: .none, timeLimit: 1.0, maxCallDepth: 200, maxTensorElements: 1 << 16,
  maxLiveTensorBytes: 64 << 20)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  // A fresh interpreter per input: no state (definitions, models, seeds) leaks between inputs,
  // so a crash file reproduces on its own.
  let interpreter = Interpreter(options: options)
  do {
    try interpreter.run(text, name: "<fuzz>")
  } catch {
    _ = error.rendered(color: false)
  }
  return 0
}
