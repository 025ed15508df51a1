import Testing
import Foundation
@testable import NNSyntax
@Test func zzProbe() throws {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("NNScriptTests/Golden")
  for dir in ["syntax_errors", "lexer_errors", "import_errors"] {
    let d = root.appendingPathComponent(dir)
    for f in try FileManager.default.contentsOfDirectory(atPath: d.path).sorted() where f.hasSuffix(".nn") {
      let text = try String(contentsOf: d.appendingPathComponent(f), encoding: .utf8)
      let r = Parser.parse(Source(name: f, text: text))
      print("PROBE ==", dir, f, "incomplete:", r.isIncomplete)
      for x in r.diagnostics {
        let (l, c) = r.program.source.lineAndColumn(of: x.location!.range.start)
        print("PROBE   \(l):\(c) \(x.code) \(x.message)")
      }
    }
  }
}
