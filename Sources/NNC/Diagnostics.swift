#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNN
import NNScript

/// A NUL-terminated copy of a string that C may read until the object goes.
final class CString {
  let pointer: UnsafeMutablePointer<CChar>?

  init(_ text: String) { pointer = strdup(text) }

  deinit { free(pointer) }

  /// The pointer, or nil for no string at all.
  static func pointer(_ string: CString?) -> UnsafePointer<CChar>? {
    string?.pointer.map { UnsafePointer($0) }
  }
}

/// One diagnostic as C reads it: every field already text, so a pointer handed out stays
/// valid until the host's next call replaces the list.
struct CDiagnostic {
  let message: CString
  let code: CString
  let file: CString?
  let line: Int32
  let column: Int32
  let hint: CString?
  let rendered: CString

  init(_ diagnostic: Diagnostic) {
    message = CString(diagnostic.message)
    code = CString(diagnostic.code.rawValue)
    hint = diagnostic.hint.map(CString.init)
    rendered = CString(DiagnosticRenderer.render(diagnostic, color: false))
    if let location = diagnostic.location {
      let (line, column) = location.source.lineAndColumn(of: location.range.start)
      file = CString(location.source.name)
      self.line = Int32(clamping: line)
      self.column = Int32(clamping: column)
    } else {
      (file, line, column) = (nil, 0, 0)
    }
  }
}

/// The diagnostic at `index`, for the accessors below; nil out of range or when busy.
private func diagnostic<T>(
  _ interp: OpaquePointer?, _ index: Int32, _ fallback: T, _ field: (CDiagnostic) -> T
) -> T {
  readingHost(interp, fallback) { host in
    host.diagnostics.indices.contains(Int(index)) ? field(host.diagnostics[Int(index)]) : fallback
  }
}

@_cdecl("nn_diagnostic_count")
public func nn_diagnostic_count(_ interp: OpaquePointer?) -> Int32 {
  readingHost(interp, 0) { Int32(clamping: $0.diagnostics.count) }
}

@_cdecl("nn_diagnostic_message")
public func nn_diagnostic_message(_ interp: OpaquePointer?, _ index: Int32)
  -> UnsafePointer<CChar>?
{
  diagnostic(interp, index, nil) { CString.pointer($0.message) }
}

@_cdecl("nn_diagnostic_code")
public func nn_diagnostic_code(_ interp: OpaquePointer?, _ index: Int32)
  -> UnsafePointer<CChar>?
{
  diagnostic(interp, index, nil) { CString.pointer($0.code) }
}

@_cdecl("nn_diagnostic_file")
public func nn_diagnostic_file(_ interp: OpaquePointer?, _ index: Int32)
  -> UnsafePointer<CChar>?
{
  diagnostic(interp, index, nil) { CString.pointer($0.file) }
}

@_cdecl("nn_diagnostic_line")
public func nn_diagnostic_line(_ interp: OpaquePointer?, _ index: Int32) -> Int32 {
  diagnostic(interp, index, 0) { $0.line }
}

@_cdecl("nn_diagnostic_column")
public func nn_diagnostic_column(_ interp: OpaquePointer?, _ index: Int32) -> Int32 {
  diagnostic(interp, index, 0) { $0.column }
}

@_cdecl("nn_diagnostic_hint")
public func nn_diagnostic_hint(_ interp: OpaquePointer?, _ index: Int32)
  -> UnsafePointer<CChar>?
{
  diagnostic(interp, index, nil) { CString.pointer($0.hint) }
}

@_cdecl("nn_diagnostic_rendered")
public func nn_diagnostic_rendered(_ interp: OpaquePointer?, _ index: Int32)
  -> UnsafePointer<CChar>?
{
  diagnostic(interp, index, nil) { CString.pointer($0.rendered) }
}

@_cdecl("nn_diagnostics_rendered")
public func nn_diagnostics_rendered(_ interp: OpaquePointer?) -> UnsafePointer<CChar>? {
  readingHost(interp, nil) { CString.pointer($0.renderedDiagnostics) }
}
