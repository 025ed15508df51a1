import NNRuntime

/// What a built-in parameter accepts. The binder checks the cheap kinds (numbers, whole
/// numbers, bools, strings) and ranges before the body runs; for the object kinds it turns a
/// bare built-in name into that built-in's no-argument call (`optimizer: adam`).
public enum ParameterKind: String, Sendable {
  case any, number, bool, tensor, shape, string, function, model, dataset, list, record
  case wholeNumber = "whole number"
  case activation, loss, optimizer, initializer, schedule, layer, metric

  /// Whether a bare built-in name given for this kind means its no-argument call.
  var takesBareBuiltin: Bool {
    switch self {
    case .activation, .loss, .optimizer, .initializer, .schedule, .layer: true
    case .any, .number, .bool, .tensor, .shape, .string, .function, .model, .dataset, .list,
         .record, .wholeNumber, .metric: false
    }
  }
}

/// A parameter's default as the binder supplies it and help shows it.
public enum ParameterDefault: Sendable, Equatable {
  case number(Double)
  case bool(Bool)
  case string(String)
  /// `nil`: the parameter is optional and absent means "not given".
  case none
  /// A default that depends on the call, described in words (`the number of classes`).
  case described(String)

  /// The value the binder supplies when the argument is not given (nil for `.described` and
  /// `.none`, which the body handles).
  var value: Value? {
    switch self {
    case .number(let x): .number(x)
    case .bool(let flag): .bool(flag)
    case .string(let text): .string(text)
    case .none, .described: nil
    }
  }

  /// How help shows it.
  var text: String {
    switch self {
    case .number(let x): formatNumber(x)
    case .bool(let flag): flag ? "true" : "false"
    case .string(let text): "\"\(text)\""
    case .none: "nil"
    case .described(let words): words
    }
  }
}

/// One declared parameter of a built-in: name, kind, default, allowed range and one line of
/// help. A string literal declares a parameter of kind `any` with no default and no help, the
/// form every built-in used before signatures were declared.
public struct Parameter: Sendable, ExpressibleByStringLiteral {
  /// The argument label; a trailing `...` marks a variadic parameter.
  public let name: String
  /// What it accepts.
  public let kind: ParameterKind
  /// Its default; nil when the argument is required (or the body decides).
  public let defaultValue: ParameterDefault?
  /// The allowed numbers, for `number` and `wholeNumber` parameters.
  public let range: NumberRange?
  /// One line for help; empty when not yet described.
  public let summary: String

  /// A parameter from all its parts.
  public init(_ name: String, _ kind: ParameterKind, default defaultValue: ParameterDefault?,
              range: NumberRange? = nil, _ summary: String) {
    self.name = name
    self.kind = kind
    self.defaultValue = defaultValue
    self.range = range
    self.summary = summary
  }

  public init(stringLiteral name: String) {
    self.init(name, .any, default: nil, "")
  }

  /// A required argument.
  public static func required(_ name: String, _ kind: ParameterKind, _ summary: String) -> Self {
    Self(name, kind, default: nil, summary)
  }

  /// An optional argument whose absence the body handles (`axis:`); shown as `= nil`.
  public static func optional(_ name: String, _ kind: ParameterKind, _ summary: String) -> Self {
    Self(name, kind, default: ParameterDefault.none, summary)
  }

  /// A number with a default and a range.
  public static func number(_ name: String, _ value: Double, _ range: NumberRange,
                            _ summary: String) -> Self {
    Self(name, .number, default: .number(value), range: range, summary)
  }

  /// A whole number with a default and a range.
  public static func whole(_ name: String, _ value: Int, _ range: NumberRange,
                           _ summary: String) -> Self {
    Self(name, .wholeNumber, default: .number(Double(value)), range: range, summary)
  }

  /// A finite number with a default.
  public static func number(_ name: String, _ value: Double, _ summary: String) -> Self {
    number(name, value, .finite, summary)
  }

  /// A whole number with a default.
  public static func whole(_ name: String, _ value: Int, _ summary: String) -> Self {
    whole(name, value, .finite, summary)
  }

  /// An on/off option.
  public static func flag(_ name: String, _ value: Bool, _ summary: String) -> Self {
    Self(name, .bool, default: .bool(value), summary)
  }

  /// Whether this is a `name...` parameter.
  var isVariadic: Bool { name.hasSuffix("...") }

  /// The label without a variadic `...`.
  var label: String { isVariadic ? String(name.dropLast(3)) : name }

  /// `name: kind range = default`: what the parameter takes and its default.
  var signatureText: String {
    var line = label + ": " + kind.rawValue
    if let range, range != .finite { line += " " + range.text }
    if let defaultValue { line += " = " + defaultValue.text }
    if isVariadic { line += ", any number of them" }
    return line
  }

  /// `name: kind range = default — summary`, one line of help.
  var helpLine: String {
    summary.isEmpty ? signatureText : signatureText + " — " + summary
  }
}

/// A built-in's help, declared beside its parameters.
public struct BuiltinDoc: Sendable {
  /// The family the reference lists it under (one of `BuiltinHelp.families`).
  public let family: String
  /// One sentence saying what it does.
  public let summary: String
  /// One or two lines of `.nn` that run as they stand.
  public let example: String

  /// Help from its parts.
  public init(_ family: String, _ summary: String, _ example: String) {
    self.family = family
    self.summary = summary
    self.example = example
  }
}

extension Parameter {
  /// The parameter an optimizer hyper-parameter declares (NNRuntime's declaration).
  init(_ hyperparameter: OptimizerHyperparameter) {
    switch hyperparameter.kind {
    case .number:
      self.init(hyperparameter.name, .number, default: .number(hyperparameter.defaultValue),
                range: hyperparameter.range, hyperparameter.summary)
    case .flag:
      self.init(hyperparameter.name, .bool, default: .bool(hyperparameter.defaultValue != 0),
                hyperparameter.summary)
    }
  }
}

// MARK: - Parameters many built-ins share

extension Parameter {
  /// `every_rank:` of the built-ins that act on rank 0 only.
  static let everyRank = flag("every_rank", false, "act on every rank, not only rank 0")
  /// `t`, the tensor (or number) an element-wise or reduction built-in works on.
  static let tensorInput = required("t", .tensor, "a tensor or number")
  /// `tensors`, a list of tensors.
  static let tensorList = required("tensors", .list, "a list of tensors")
  /// `shape...`: separate whole numbers or one list.
  static let shapeDimensions = required("shape...", .shape, "whole numbers, or one list")
  /// `seed:` of a generated data set.
  static let seed = optional("seed", .wholeNumber, "seed; nil: the interpreter's generator")

  /// `n:` of a generated data set.
  static func rows(_ value: Int) -> Self { whole("n", value, "number of rows") }

  /// `noise:` of a generated data set.
  static func noise(_ value: Double) -> Self {
    number("noise", value, .nonNegative, "standard deviation of the noise")
  }
}
