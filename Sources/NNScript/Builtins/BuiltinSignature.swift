import NNRuntime

/// What a built-in parameter accepts. The binder checks the cheap kinds (numbers, whole
/// numbers, bools, strings) and ranges before the body runs; for the object kinds it turns a
/// bare built-in name into that built-in's no-argument call (`optimizer: adam`).
public enum ParameterKind: String, Sendable {
  case any, number, bool, tensor, shape, string, function, model, dataset, list, record
  case wholeNumber = "whole number"
  case activation, loss, optimizer, initializer, schedule, layer, metric
  /// `progress:` of training: `true`, `false` or `"every"` (`ProgressMode`).
  case progress = "bool or \"every\""

  /// Whether a bare built-in name given for this kind means its no-argument call.
  var takesBareBuiltin: Bool {
    switch self {
    case .activation, .loss, .optimizer, .initializer, .schedule, .layer: true
    case .any, .number, .bool, .tensor, .shape, .string, .function, .model, .dataset, .list,
         .record, .wholeNumber, .metric, .progress: false
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
  /// The message for a number outside `range`, given the number as written; nil: the binder's
  /// own (`the argument 'p' of f must be a number ≥ 0, not -1`).
  let rangeMessage: (@Sendable (String) -> String)?
  /// A hint shown under that message.
  let rangeHint: String?
  /// A hint shown under a wrong-kind message (how to write the value).
  var kindHint: String?

  /// A parameter from all its parts.
  public init(_ name: String, _ kind: ParameterKind, default defaultValue: ParameterDefault?,
              range: NumberRange? = nil, _ summary: String) {
    self.init(name, kind, default: defaultValue, range: range, summary, rangeMessage: nil,
              rangeHint: nil)
  }

  private init(_ name: String, _ kind: ParameterKind, default defaultValue: ParameterDefault?,
               range: NumberRange?, _ summary: String,
               rangeMessage: (@Sendable (String) -> String)?, rangeHint: String?) {
    self.name = name
    self.kind = kind
    self.defaultValue = defaultValue
    self.range = range
    self.summary = summary
    self.rangeMessage = rangeMessage
    self.rangeHint = rangeHint
    self.kindHint = nil
  }

  /// This parameter with a hint for a value of the wrong kind.
  func hinting(_ hint: String) -> Self {
    var copy = self
    copy.kindHint = hint
    return copy
  }

  /// This parameter allowing only the numbers in `range`, which the binder (and `nn check`, for
  /// a literal) checks at the argument; `message`, given the number, says what is wrong.
  func within(
    _ range: NumberRange, hint: String? = nil, _ message: (@Sendable (String) -> String)? = nil
  ) -> Self {
    Self(name, kind, default: defaultValue, range: range, summary, rangeMessage: message,
         rangeHint: hint)
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

  /// Whether a call must give it: declared with no default (a parameter declared by name
  /// alone leaves that to the body).
  var isRequired: Bool {
    defaultValue == nil && !isVariadic && !(kind == .any && summary.isEmpty)
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

  /// A whole-number hyper-parameter (a schedule's `every:` or `epochs:`).
  static func wholeNumber(_ hyperparameter: OptimizerHyperparameter) -> Self {
    Self(hyperparameter.name, .wholeNumber, default: .number(hyperparameter.defaultValue),
         range: hyperparameter.range, hyperparameter.summary)
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
  static func rows(_ value: Int) -> Self {
    let most = Builtins.maxGeneratedRows
    return whole("n", value, "number of rows").within(NumberRange(lower: 1, upper: Double(most))) {
      "n must be between 1 and \(most), not \($0)"
    }
  }

  /// A count of a generated data set (`classes:`, `centers:`, `dim:`), at least 1.
  static func width(_ name: String, _ value: Int?, _ summary: String) -> Self {
    let parameter = value.map { whole(name, $0, summary) } ?? optional(name, .wholeNumber, summary)
    let most = Builtins.maxGeneratedWidth
    return parameter.within(NumberRange(lower: 1, upper: Double(most))) {
      "\(name) must be between 1 and \(most), not \($0)"
    }
  }

  /// `noise:` of a generated data set.
  static func noise(_ value: Double) -> Self { spread("noise", value, "of the noise") }

  /// A standard deviation (`noise:`, `spread:`), a number ≥ 0.
  static func spread(_ name: String, _ value: Double, _ what: String) -> Self {
    number(name, value, .nonNegative, "standard deviation " + what)
  }
}

extension NumberRange {
  /// `x ≥ 1`: a count of units, filters, rows, ….
  static let atLeastOne = NumberRange(lower: 1)
}
