// libFuzzer target: the lexer and the parser over arbitrary bytes (invalid UTF-8 included,
// decoded with replacement characters as the command line decodes files), then the AST dump
// and the diagnostic renderer over what they produced. Any input must give a program and
// diagnostics; a trap, an overflow, a stack overflow or a hang is a finding.
import NNSyntax

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  let source = Source(name: "<fuzz>", text: text)
  let parsed = Parser.parse(source)  // runs Lexer.tokenize first
  var characters = ASTDump.dump(parsed.program).utf8.count
  for diagnostic in parsed.diagnostics {
    characters &+= DiagnosticRenderer.render(diagnostic, color: false).utf8.count
  }
  if parsed.isIncomplete {
    precondition(!parsed.diagnostics.isEmpty, "an incomplete parse without a diagnostic")
  }
  return characters == -1 ? 1 : 0
}
