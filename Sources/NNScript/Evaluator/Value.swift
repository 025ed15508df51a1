import NNRuntime
import NNSyntax

/// A value of the scripting language.
public enum Value {
  case number(Double)
  case bool(Bool)
  case string(String)
  case `nil`
  case tensor(Tensor)
  case list([Value])
  case record(Record)
  case range(RangeValue)
  case function(FunctionValue)
  case builtin(Builtin)
  /// Models, layers, losses, optimizers, initialisers and other runtime objects.
  case object(any ScriptObject)

  /// The name of the value's type as scripts and diagnostics spell it.
  public var typeName: String {
    switch self {
    case .number: return "number"
    case .bool: return "bool"
    case .string: return "string"
    case .nil: return "nil"
    case .tensor: return "tensor"
    case .list: return "list"
    case .record: return "record"
    case .range: return "range"
    case .function, .builtin: return "function"
    case .object(let object): return object.typeName
    }
  }

  /// The number a 32-bit tensor element reads as: the Double whose shortest form is the Float's
  /// shortest form, so `[0.1][0]` is `0.1` and not `0.10000000149011612` (LANGUAGE.md §3).
  static func element(_ value: Float) -> Double {
    guard value.isFinite else { return Double(value) }
    return Double(value.description) ?? Double(value)
  }

  /// A quantity that describes float32 results (a loss, a metric of float32 predictions) as the
  /// script reads it: rounded to float32, then read as `element` reads a tensor's element, so
  /// it prints in float32's shortest form (`0.9805014`, not `0.9805013927576601`) and every
  /// number an evaluation hands over carries the same precision (docs/language.md, "How values
  /// print"). Quantities of 64-bit computations (`gradcheck`) and wall-clock times stay Doubles.
  static func float32(_ value: Double) -> Double { element(Float(value)) }
}

/// `lower..<upper` or `lower...upper`.
public struct RangeValue: Equatable, Sendable {
  /// The first number of the range.
  public var lower: Double
  /// The bound where the range ends.
  public var upper: Double
  /// Whether `upper` is included (`...`) rather than excluded (`..<`).
  public var inclusive: Bool

  /// Makes a range from its bounds.
  public init(lower: Double, upper: Double, inclusive: Bool) {
    self.lower = lower
    self.upper = upper
    self.inclusive = inclusive
  }

  /// How many numbers the range yields when stepped by one (capped far below `Int.max`).
  public var count: Int {
    let span = upper - lower
    guard span.isFinite else { return span > 0 ? Int.max / 2 : 0 }
    let steps = inclusive ? span.rounded(.down) + 1 : span.rounded(.up)
    guard steps > 0 else { return 0 }
    return steps >= Double(Int.max / 2) ? Int.max / 2 : Int(steps)
  }
}

/// A record: named fields in the order they were written.
public struct Record {
  public private(set) var names: [String] = []
  private var storage: [String: Value] = [:]

  /// Makes an empty record.
  public init() {}

  /// Makes a record of `fields`, in order; a repeated name keeps its first position.
  public init(_ fields: [(String, Value)]) {
    for (name, value) in fields { self[name] = value }
  }

  /// The value of field `name`; setting nil removes the field.
  public subscript(name: String) -> Value? {
    get { storage[name] }
    set {
      if storage[name] == nil, newValue != nil { names.append(name) }
      if newValue == nil { names.removeAll { $0 == name } }
      storage[name] = newValue
    }
  }

  /// The fields as name–value pairs, in the order they were written.
  public var fields: [(name: String, value: Value)] {
    names.map { ($0, storage[$0]!) }
  }

  /// The number of fields.
  public var count: Int { names.count }
}

/// A function written in the language: its declaration and the scope it closes over.
public final class FunctionValue {
  let declaration: FunctionDecl
  let closure: Scope
  let source: Source

  init(declaration: FunctionDecl, closure: Scope, source: Source) {
    self.declaration = declaration
    self.closure = closure
    self.source = source
  }

  /// The function's name, or `<anonymous>` for a function expression.
  public var name: String { declaration.name?.name ?? "<anonymous>" }
}

/// A function provided by the interpreter (or, later, by the host), with its declared
/// signature: every parameter's kind, default, range and help, from which the binder, help,
/// completion, `nn check` and `docs/builtins.md` are derived.
public final class Builtin: Sendable {
  /// The name scripts call the builtin by.
  public let name: String
  /// Names of the parameters, for errors, named arguments and completion. A trailing `...`
  /// marks a variadic one.
  public let parameters: [String]
  /// The declared parameters, in order (`parameters` are their names).
  public let signature: [Parameter]
  /// Help declared with the built-in; (`BuiltinHelp` gathers it for the reference).
  public let doc: BuiltinDoc?
  /// The kind of value a no-argument call makes (`adam` makes an optimizer), for the binder's
  /// bare-name rule; nil for other built-ins.
  public let produces: ParameterKind?
  /// Whether a call does something besides returning its value (prints, writes a file, trains
  /// or updates a model, seeds the generator), so a statement may discard its result. The
  /// result of any other built-in is its only effect: `nn check` warns when it is discarded
  /// (`append(l, x)` alone changes nothing).
  public let discardable: Bool
  let body: @Sendable (inout CallContext) throws(Diagnostic) -> Value

  init(
    _ name: String, _ parameters: [String],
    _ body: @escaping @Sendable (inout CallContext) throws(Diagnostic) -> Value
  ) {
    self.name = name
    self.parameters = parameters
    self.signature = parameters.map { Parameter(stringLiteral: $0) }
    self.doc = nil
    self.produces = nil
    // A host's function may do anything.
    self.discardable = true
    self.body = body
  }

  init(
    _ name: String, _ signature: [Parameter], doc: BuiltinDoc? = nil,
    produces: ParameterKind? = nil, discardable: Bool = false,
    _ body: @escaping @Sendable (inout CallContext) throws(Diagnostic) -> Value
  ) {
    self.name = name
    self.parameters = signature.map(\.name)
    self.signature = signature
    self.doc = doc
    self.produces = produces
    self.discardable = discardable
    self.body = body
  }

  /// The declared parameter labelled `label`.
  func parameter(_ label: String) -> Parameter? {
    signature.first { $0.name == label }
  }

  /// Whether a call with no arguments is valid: no parameter is required.
  var callableBare: Bool {
    signature.allSatisfy { $0.defaultValue != nil || $0.isVariadic }
  }
}

/// A value the runtime gives meaning to (a model, an optimizer, …): a reference with a type name
/// and a printed form.
public protocol ScriptObject: AnyObject {
  /// The type name scripts see (`type(net)` is `"model"`).
  var typeName: String { get }
  /// How `print` shows it.
  var displayText: String { get }
}
