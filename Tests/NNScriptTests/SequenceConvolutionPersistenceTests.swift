import NNSyntax
import Testing

@testable import NNScript

// Model descriptions of conv1d, the 1-D pools and the global pools read from a file are
// untrusted: each bad field is refused by name, and a huge layer is counted, not allocated.

@Test func hostileSignalLayerDescriptionsAreRefusedWithTheField() throws {
  let location = SourceSpan(source: Source(name: "t.nn", text: "x"),
                            range: SourceRange(start: 0, end: 1))
  func failure(_ layer: String) -> String? {
    let text = #"{"name": "m", "input": [2, 8], "layers": ["# + layer + "]}"
    do {
      _ = try ModelDescription.decode(text, at: location)
      return nil
    } catch {
      return error.message
    }
  }
  let conv = #"{"kind": "conv1d", "name": "c", "#
  #expect(failure(conv + #""filters": 0, "kernel": 3, "stride": 1, "padding": "same"}"#)?
    .contains("filters") == true)
  #expect(failure(conv + #""filters": 2, "kernel": [1, 3], "stride": 1, "padding": "same"}"#)?
    .contains("kernel") == true)
  #expect(failure(conv + #""filters": 2, "kernel": 3, "stride": 0, "padding": "same"}"#)?
    .contains("stride") == true)
  #expect(failure(conv + #""filters": 2, "kernel": 3, "stride": 1, "padding": "full"}"#)?
    .contains("padding") == true)
  #expect(failure(#"{"kind": "maxpool1d", "name": "p", "size": 2}"#)?
    .contains("stride") == true)
  #expect(failure(#"{"kind": "avgpool1d", "name": "p", "size": -1, "stride": 1}"#)?
    .contains("size") == true)
  #expect(failure(#"{"kind": "global_maxpool", "name": "g"}"#) == nil)
  // Huge sizes are counted without overflow, so the parameter limit refuses them.
  let huge = try ModelDescription.decode(
    #"{"name": "m", "input": [2, 8], "layers": [{"kind": "conv1d", "name": "c", "#
      + #""filters": 268435456, "kernel": 268435456, "stride": 1, "padding": "same"}]}"#,
    at: location)
  #expect(huge.parameterCount == Int.max)
}
