// The typed syntax tree. Value types throughout: a parser test is one `#expect(a == b)`.
// Every node carries the byte range it was parsed from; the source itself travels with the
// `Program`.

/// A parsed file or REPL entry.
public struct Program: Equatable, Sendable {
  /// The source the program was parsed from.
  public var source: Source
  /// The top-level statements, in order.
  public var statements: [Stmt]

  /// Makes a program of `statements` parsed from `source`.
  public init(source: Source, statements: [Stmt]) {
    self.source = source
    self.statements = statements
  }
}

/// A name as written, with where it was written.
public struct Identifier: Equatable, Sendable {
  /// The name's text.
  public var name: String
  /// Where the name was written.
  public var range: SourceRange

  /// Makes an identifier spelled `name` at `range`.
  public init(_ name: String, _ range: SourceRange) {
    self.name = name
    self.range = range
  }
}

/// `{ statements }`.
public struct Block: Equatable, Sendable {
  /// The statements inside the braces.
  public var statements: [Stmt]
  /// The bytes from `{` to `}`.
  public var range: SourceRange

  /// Makes a block of `statements` covering `range`.
  public init(_ statements: [Stmt], _ range: SourceRange) {
    self.statements = statements
    self.range = range
  }
}

/// What `let` and `for` bind: one name, or `(a, b, …)` destructuring a list.
public enum Pattern: Equatable, Sendable {
  case name(Identifier)
  case tuple([Identifier], SourceRange)

  /// The bytes the pattern covers.
  public var range: SourceRange {
    switch self {
    case .name(let identifier): return identifier.range
    case .tuple(_, let range): return range
    }
  }
}

/// `name = default` in a function's parameter list.
public struct Parameter: Equatable, Sendable {
  /// The parameter's name.
  public var name: Identifier
  /// The default value, or nil when the argument is required.
  public var defaultValue: Expr?

  /// Makes a parameter, with a default value or without.
  public init(name: Identifier, defaultValue: Expr?) {
    self.name = name
    self.defaultValue = defaultValue
  }
}

/// A function: `fn name(params) { body }` or `fn (params) { body }`.
public struct FunctionDecl: Equatable, Sendable {
  /// The function's name; nil for a function expression.
  public var name: Identifier?
  /// The parameters, in order.
  public var parameters: [Parameter]
  /// The function body.
  public var body: Block
  /// The bytes of the whole declaration.
  public var range: SourceRange

  /// Makes a function declaration.
  public init(name: Identifier?, parameters: [Parameter], body: Block, range: SourceRange) {
    self.name = name
    self.parameters = parameters
    self.body = body
    self.range = range
  }
}

/// A network: `model name(shape) { layers }` or, as an expression, `model(shape) { layers }`.
///
/// The body's statements are layer statements: expression statements are layers,
/// `name = layer` names one, `kind(args) { … }` is a block layer such as `residual`.
public struct ModelDecl: Equatable, Sendable {
  /// The model's name; nil for a model expression.
  public var name: Identifier?
  /// The expression giving the per-sample input shape.
  public var inputShape: Expr
  /// The layer statements.
  public var body: Block
  /// The bytes of the whole declaration.
  public var range: SourceRange

  /// Makes a model declaration.
  public init(name: Identifier?, inputShape: Expr, body: Block, range: SourceRange) {
    self.name = name
    self.inputShape = inputShape
    self.body = body
    self.range = range
  }
}

/// A call argument: positional (`label == nil`) or named (`lr: 0.1`).
public struct Argument: Equatable, Sendable {
  /// The argument's label; nil for a positional argument.
  public var label: Identifier?
  /// The argument's value.
  public var value: Expr

  /// Makes an argument, labelled or positional.
  public init(label: Identifier?, value: Expr) {
    self.label = label
    self.value = value
  }

  /// The bytes from the label (if any) to the end of the value.
  public var range: SourceRange { label.map { $0.range.union(value.range) } ?? value.range }
}

/// `name: value` in a record literal or a `train` block.
public struct RecordField: Equatable, Sendable {
  /// The field's name.
  public var name: Identifier
  /// The field's value.
  public var value: Expr

  /// Makes a field `name: value`.
  public init(name: Identifier, value: Expr) {
    self.name = name
    self.value = value
  }
}

/// One position inside `t[...]`.
public enum Subscript: Equatable, Sendable {
  /// An index or a range value: `t[1]`, `t[-1]`, `t[2..<5]`.
  case value(Expr)
  /// NumPy-style `lower:upper`, either side optional; a lone `:` takes the whole axis.
  case slice(lower: Expr?, upper: Expr?, range: SourceRange)
}

/// A piece of a string literal.
public enum StringSegment: Equatable, Sendable {
  case text(String)
  case interpolation(Expr)
}

/// A prefix operator; the raw value is its spelling.
public enum UnaryOperator: String, Equatable, Sendable {
  case negate = "-"
  case not = "not"
}

/// An infix operator; the raw value is its spelling.
public enum BinaryOperator: String, Equatable, Sendable, CaseIterable {
  case or, and
  case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">"
  case greaterEqual = ">="
  case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%"
  case matmul = "@"
  case power = "^"
}

/// An expression node.
public struct Expr: Equatable, Sendable {
  /// What kind of expression this is, with its operands.
  public var kind: Kind
  /// The bytes the expression covers.
  public var range: SourceRange

  /// Makes an expression node of `kind` covering `range`.
  public init(_ kind: Kind, _ range: SourceRange) {
    self.kind = kind
    self.range = range
  }

  /// The expression forms of the language.
  public indirect enum Kind: Equatable, Sendable {
    case number(Double)
    case string([StringSegment])
    case bool(Bool)
    case nilLiteral
    case identifier(String)
    /// `[a, b, …]`: a tensor when every element is numeric and the shapes agree, else a list.
    case bracket([Expr])
    /// `(a, b, …)` with at least one comma: evaluates to a list.
    case tuple([Expr])
    /// `{name: value, …}`.
    case record([RecordField])
    case unary(UnaryOperator, Expr)
    case binary(BinaryOperator, Expr, Expr)
    /// `lower..<upper` or `lower...upper`.
    case range(lower: Expr, upper: Expr, inclusive: Bool)
    case call(callee: Expr, arguments: [Argument])
    case index(base: Expr, subscripts: [Subscript])
    case member(base: Expr, name: Identifier)
    case function(FunctionDecl)
    /// `if c { … } else { … }`; `else if` is an else block holding one `if` statement.
    case conditional(condition: Expr, then: Block, otherwise: Block?)
    case model(ModelDecl)
    /// `train net on data { option: value … }`.
    case train(model: Expr, data: Expr, options: [RecordField])
  }
}

/// A statement node.
public struct Stmt: Equatable, Sendable {
  /// What kind of statement this is, with its parts.
  public var kind: Kind
  /// The bytes the statement covers.
  public var range: SourceRange

  /// Makes a statement node of `kind` covering `range`.
  public init(_ kind: Kind, _ range: SourceRange) {
    self.kind = kind
    self.range = range
  }

  /// The statement forms of the language.
  public indirect enum Kind: Equatable, Sendable {
    case expression(Expr)
    case letBinding(Pattern, Expr)
    /// `target = value`, or `target op= value` when `compound` is set. The target is an
    /// identifier, a member access or an index.
    case assignment(target: Expr, compound: BinaryOperator?, value: Expr)
    case function(FunctionDecl)
    case model(ModelDecl)
    case forLoop(pattern: Pattern, sequence: Expr, body: Block)
    case whileLoop(condition: Expr, body: Block)
    case breakLoop
    case continueLoop
    case returnValue(Expr?)
    case importFile(path: String, pathRange: SourceRange)
    /// Inside a model body: `name = layer(…)` names a layer.
    case namedLayer(name: Identifier, layer: Expr)
    /// Inside a model body: `kind(args) { layers }` or `name = kind { layers }`, such as
    /// `residual { … }`.
    case blockLayer(name: Identifier?, kind: Identifier, arguments: [Argument], body: Block)
  }
}

extension Expr {
  /// The operands of the chain of binary operators this expression heads, left to right:
  /// `a + b * c - d` gives `a`, `b * c`, `d`. A chain is a tree leaning left as deep as it is
  /// long (up to `Parser.maxChainLength`), so walks visit these in a loop rather than recurse
  /// once per link. An expression that is no binary operation is its own one operand.
  public var chainOperands: [Expr] {
    var rights: [Expr] = []
    var innermost = self
    while case .binary(_, let left, let right) = innermost.kind {
      rights.append(right)
      innermost = left
    }
    return [innermost] + rights.reversed()
  }
}
