/// How serious a diagnostic is.
public enum Severity: String, Sendable, Equatable {
  case error
  case warning
  case note
}

/// The kind of problem; one enum for every stage so that tests and hosts can match on it.
public enum DiagnosticCode: String, Sendable, Equatable, CaseIterable {
  // Lexical
  case invalidCharacter
  case invalidNumber
  case unterminatedString
  case invalidEscape
  // Syntax
  case unexpectedToken
  case unexpectedEndOfInput
  case nestingTooDeep
  case expressionTooLong
  // Names
  case undefinedName
  case undeclaredAssignment
  /// A statement drops the value of a call whose value is its only effect (a warning).
  case unusedResult
  // Types and values
  case typeMismatch
  case invalidArgument
  case invalidOperation
  // Shapes and indices
  case shapeMismatch
  case indexOutOfRange
  case raggedLiteral
  // Control and limits
  case invalidControlFlow
  case recursionLimit
  case stepLimit
  case resourceLimit
  // Files and imports
  case fileError
  case importCycle
  // Data and numbers
  case dataError
  case numericError
  /// The host asked the script to stop (Ctrl-C); the command line exits with status 130.
  case interrupted
  /// A failure the interpreter did not expect; it is still reported, never a crash.
  case internalError
}

/// A place in a source: which source, and which bytes of it.
public struct SourceSpan: Hashable, Sendable {
  /// The source the bytes belong to.
  public var source: Source
  /// The bytes within the source.
  public var range: SourceRange

  /// Makes a span of `range` in `source`.
  public init(source: Source, range: SourceRange) {
    self.source = source
    self.range = range
  }
}

/// A secondary message attached to a diagnostic, such as one call frame of a backtrace.
public struct DiagnosticNote: Equatable, Sendable {
  /// The note's text.
  public var message: String
  /// Where the note points, if anywhere.
  public var location: SourceSpan?

  /// Makes a note, optionally pointing at a location.
  public init(_ message: String, at location: SourceSpan? = nil) {
    self.message = message
    self.location = location
  }
}

/// A problem found in a script, as a value: the one currency of every stage's errors.
///
/// Rendered only by `DiagnosticRenderer`.
public struct Diagnostic: Error, Equatable, Sendable {
  /// Whether this is an error, a warning or a note.
  public var severity: Severity
  /// The stable code naming the kind of problem.
  public var code: DiagnosticCode
  /// The one-line description of the problem.
  public var message: String
  /// Where the problem is, if it has a place.
  public var location: SourceSpan?
  /// Secondary messages, such as the frames of a backtrace.
  public var notes: [DiagnosticNote]
  /// A suggested fix, shown after the message.
  public var hint: String?

  /// Makes a diagnostic; it is an error unless `severity` says otherwise.
  public init(
    _ severity: Severity = .error,
    code: DiagnosticCode,
    message: String,
    at location: SourceSpan? = nil,
    notes: [DiagnosticNote] = [],
    hint: String? = nil
  ) {
    self.severity = severity
    self.code = code
    self.message = message
    self.location = location
    self.notes = notes
    self.hint = hint
  }

  /// The name of the file (or snippet) the problem is in, when it has a place.
  public var file: String? { location?.source.name }

  /// The 1-based line where the problem starts, when it has a place.
  public var line: Int? {
    location.map { $0.source.lineAndColumn(of: $0.range.start).line }
  }

  /// The 1-based column (in Unicode scalars) where the problem starts, when it has a place.
  public var column: Int? {
    location.map { $0.source.lineAndColumn(of: $0.range.start).column }
  }

  /// An error diagnostic at `range` of `source`.
  public static func error(
    _ code: DiagnosticCode, _ message: String, in source: Source, at range: SourceRange,
    hint: String? = nil
  ) -> Diagnostic {
    Diagnostic(code: code, message: message, at: SourceSpan(source: source, range: range),
               hint: hint)
  }
}
