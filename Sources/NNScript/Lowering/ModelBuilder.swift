import NNRuntime
import NNSyntax

/// Turns a `model` body's layers into a network through NNRuntime's `NetworkBuilder`, and
/// keeps what only the host knows: the source of each layer (its tag) and of the arguments a
/// layer error may point at, so that every error is reported where it was written.
struct ModelBuilder {
  /// A layer as the body produced it, before shapes and parameters.
  struct Pending {
    enum Kind {
      /// A declaration, with the source ranges of its arguments (`weight:`), by name.
      case spec(any LayerDeclaration, arguments: [String: SourceRange] = [:])
      case residual([Pending])
    }

    var name: String?
    var kind: Kind
    var location: SourceSpan
  }

  let modelName: String
  let inputShape: [Int]
  /// The source of each tag: a layer's index in it is the tag its graph nodes carry.
  private(set) var tagLocations: [SourceSpan] = []
  private var argumentRanges: [[String: SourceRange]] = []

  init(modelName: String, inputShape: [Int]) {
    self.modelName = modelName
    self.inputShape = inputShape
  }

  /// Builds the network, drawing initial values from `random`.
  mutating func build(
    _ pending: [Pending], random: inout RandomGenerator
  ) throws(Diagnostic) -> Network {
    let declared = declare(pending)
    do {
      return try NetworkBuilder.build(input: inputShape, declared, modelName: modelName,
                                      random: &random)
    } catch {
      throw diagnostic(for: error)
    }
  }

  /// The scalars the parameters of `pending` would hold, found without allocating them (0
  /// when the layers do not resolve: building them reports why).
  static func parameterCount(_ pending: [Pending], inputShape: [Int]) -> Int {
    var builder = ModelBuilder(modelName: "model", inputShape: inputShape)
    return NetworkBuilder.parameterCount(input: inputShape, builder.declare(pending)) ?? 0
  }

  /// The pending layers as runtime declarations, each tagged with its source.
  private mutating func declare(_ pending: [Pending]) -> [DeclaredLayer] {
    pending.map { item in
      let tag = tagLocations.count
      tagLocations.append(item.location)
      switch item.kind {
      case .spec(let declaration, let arguments):
        argumentRanges.append(arguments)
        return DeclaredLayer(declaration, name: item.name, tag: tag)
      case .residual(let body):
        argumentRanges.append([:])
        return DeclaredLayer(Residual(declare(body)), name: item.name, tag: tag)
      }
    }
  }

  /// A layer error as a diagnostic at the layer (or the argument) it came from.
  private func diagnostic(for error: LayerError) -> Diagnostic {
    let code: DiagnosticCode = switch error.code {
    case .shapeMismatch: .shapeMismatch
    case .resourceLimit: .resourceLimit
    case .invalidOperation: .invalidOperation
    }
    var location = error.tag.flatMap { $0 < tagLocations.count ? tagLocations[$0] : nil }
    if let tag = error.tag, tag < argumentRanges.count, let argument = error.argument,
      let range = argumentRanges[tag][argument], let layer = location {
      location = SourceSpan(source: layer.source, range: range)
    }
    return Diagnostic(code: code, message: error.message, at: location, hint: error.hint)
  }

  /// A graph error as a diagnostic at the layer it came from.
  func diagnostic(for error: GraphError) -> Diagnostic {
    let location = error.tag.flatMap { $0 < tagLocations.count ? tagLocations[$0] : nil }
    return Diagnostic(code: .shapeMismatch, message: error.message, at: location)
  }
}
