import NNRuntime
import NNSyntax

/// Options an embedding host gives the interpreter. The core does no I/O of its own: whatever a
/// script prints goes to `output`.
public struct InterpreterOptions: Sendable {
  /// Receives every piece of text a script prints (`print` adds its own line break).
  public var output: @Sendable (String) -> Void
  /// Bound to `args` in scripts.
  public var arguments: [String]

  public init(output: @escaping @Sendable (String) -> Void = { _ in }, arguments: [String] = []) {
    self.output = output
    self.arguments = arguments
  }
}

/// The one error type of the public API: the diagnostics of a failed parse or run.
public struct ScriptError: Error, Sendable {
  public var diagnostics: [Diagnostic]

  public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

  /// All diagnostics rendered with source lines and carets.
  public func rendered(color: Bool = false) -> String {
    diagnostics.map { DiagnosticRenderer.render($0, color: color) }.joined()
  }
}

/// Runs `.nn` scripts. Holds the global scope, so successive calls share state (as the REPL does).
public final class Interpreter {
  let options: InterpreterOptions

  public init(options: InterpreterOptions = InterpreterOptions()) {
    self.options = options
  }

  /// Runs a whole script; `name` is shown in diagnostics and anchors relative imports.
  public func run(_ text: String, name: String) throws(ScriptError) {
    throw ScriptError([Diagnostic(code: .internalError, message: "not built yet")])
  }

  /// Reads and runs the script at `path`.
  public func runFile(_ path: String) throws(ScriptError) {
    throw ScriptError([Diagnostic(code: .internalError, message: "not built yet")])
  }

  /// Parses and checks a script without running it; returns every diagnostic found.
  public func check(_ text: String, name: String) -> [Diagnostic] { [] }
}
