/// Errors from tensor ops; the evaluator attaches the source range.
public struct TensorError: Error, Equatable, Sendable {
  /// What went wrong, for callers that react to the category rather than the text.
  public enum Kind: Sendable, Equatable {
    case shapeMismatch, indexOutOfRange, invalidArgument, tooLarge
  }

  /// The category of the failure.
  public var kind: Kind
  /// A complete sentence fragment for the user, naming the shapes or values involved.
  public var message: String

  /// Makes an error of `kind` with the user-facing `message`.
  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }
}

extension TensorError: CustomStringConvertible {
  /// The user-facing message.
  public var description: String { message }
}

/// `[2, 3]` — the way every message in this module writes a shape.
func describeShape(_ shape: [Int]) -> String {
  "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
