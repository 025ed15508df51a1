/// Draws diagnostics as text — the one place where they become text:
///
/// ```
/// error: undefined name 'lr'
///  --> train.nn:3:7
///   |
/// 3 | print(lr)
///   |       ^^
///   = hint: did you mean 'lrs'?
/// ```
public enum DiagnosticRenderer {
  /// Renders one diagnostic, its notes and its hint; the text ends with a line break.
  public static func render(_ diagnostic: Diagnostic, color: Bool) -> String {
    let style = Style(enabled: color)
    var output = style.severity(diagnostic.severity) + style.bold(": " + diagnostic.message) + "\n"
    if let location = diagnostic.location {
      output += snippet(location, style: style, caretStyle: style.caret(diagnostic.severity))
    }
    // `= hint:` lines sit under the snippet's gutter bar, whose width depends on the line number.
    let lineDigits = diagnostic.location.map {
      String($0.source.lineAndColumn(of: $0.range.start).line).count
    } ?? 1
    let bar = style.gutter(String(repeating: " ", count: lineDigits) + " = ")
    if let hint = diagnostic.hint {
      output += bar + style.bold("hint") + ": " + hint + "\n"
    }
    for note in diagnostic.notes {
      if let location = note.location {
        output += style.severity(.note) + ": " + note.message + "\n"
        output += snippet(location, style: style, caretStyle: style.caret(.note))
      } else {
        output += bar + style.bold("note") + ": " + note.message + "\n"
      }
    }
    return output
  }

  /// ` --> file:line:col`, the source line and carets under the range (to the end of the line
  /// when the range spans several).
  private static func snippet(
    _ location: SourceSpan, style: Style, caretStyle: (String) -> String
  ) -> String {
    let source = location.source
    let (line, column) = source.lineAndColumn(of: location.range.start)
    let (endLine, endColumn) = source.lineAndColumn(of: location.range.end)
    let lineNumber = String(line)
    let pad = String(repeating: " ", count: lineNumber.count)
    var output = pad + style.gutter("--> ") + "\(source.name):\(line):\(column)\n"
    // Control characters (a stray NUL, an escape) would garble the terminal: show them as �.
    var scalars = source.lineText(line).unicodeScalars.map { scalar -> Unicode.Scalar in
      scalar.value < 0x20 && scalar != "\t" || scalar.value == 0x7F ? "\u{FFFD}" : scalar
    }
    var caretColumn = column
    var caretEnd = endLine == line ? endColumn : scalars.count + 1
    // A very long line shows a window around the range, so a minified or generated script
    // does not flood the terminal.
    if scalars.count > maxLineWidth {
      let start = max(0, min(column - 1 - maxLineWidth / 3, scalars.count - maxLineWidth))
      let end = min(scalars.count, start + maxLineWidth)
      let prefix: [Unicode.Scalar] = start > 0 ? ["…"] : []
      let suffix: [Unicode.Scalar] = end < scalars.count ? ["…"] : []
      scalars = prefix + Array(scalars[start..<end]) + suffix
      caretColumn = column - start + prefix.count
      caretEnd = min(caretEnd - start + prefix.count, end - start + prefix.count + 1)
    }
    let text = String(String.UnicodeScalarView(scalars))
    output += pad + style.gutter(" |") + "\n"
    output += style.gutter(lineNumber + " |") + (text.isEmpty ? "" : " " + text) + "\n"
    let width = max(1, caretEnd - caretColumn)
    // Keep tabs in the indentation so the carets line up under tab-indented code.
    var indent = ""
    for index in 0..<max(0, caretColumn - 1) {
      indent += index < scalars.count && scalars[index] == "\t" ? "\t" : " "
    }
    output += pad + style.gutter(" |") + " " + indent
      + caretStyle(String(repeating: "^", count: width)) + "\n"
    return output
  }

  /// The widest source line shown whole; longer ones are cut to a window around the range.
  static let maxLineWidth = 100

  /// ANSI colours, or nothing.
  private struct Style {
    let enabled: Bool

    func paint(_ text: String, _ code: String) -> String {
      enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    func bold(_ text: String) -> String { paint(text, "1") }
    func gutter(_ text: String) -> String { paint(text, "1;34") }

    func severity(_ severity: Severity) -> String {
      switch severity {
      case .error: return paint("error", "1;31")
      case .warning: return paint("warning", "1;33")
      case .note: return paint("note", "1;36")
      }
    }

    func caret(_ severity: Severity) -> (String) -> String {
      switch severity {
      case .error: return { paint($0, "1;31") }
      case .warning: return { paint($0, "1;33") }
      case .note: return { paint($0, "1;36") }
      }
    }
  }
}
