/// Errors from tensor ops; the evaluator attaches the source range.
public struct TensorError: Error, Equatable, Sendable {
  /// What went wrong, for callers that react to the category rather than the text.
  public enum Kind: Sendable, Equatable {
    case shapeMismatch, indexOutOfRange, invalidArgument, tooLarge
    /// The caller asked the operation to stop midway (`StopRequest`); it made no result.
    case stopped
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

/// `[2, 3]`: the way every message (of this module and of the language) writes a shape. With
/// `atMost`, a shape of more dimensions (a hostile file's can have thousands) shows that many
/// and how many there are: `[1, 1, … (4096 dimensions)]`.
public func shapeText(_ shape: [Int], atMost limit: Int? = nil) -> String {
  guard let limit, shape.count > limit else {
    return "[" + shape.map(String.init).joined(separator: ", ") + "]"
  }
  let shown = shape.prefix(limit).map(String.init).joined(separator: ", ")
  return "[" + shown + ", … (\(shape.count) dimensions)]"
}
