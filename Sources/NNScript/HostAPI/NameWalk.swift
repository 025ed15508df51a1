import NNSyntax

/// The names a piece of syntax uses and binds, for `nn check`'s model resolution: which model
/// declarations depend only on values known before the script runs.
struct NameWalk {
  /// Every identifier read.
  private(set) var uses: Set<String> = []
  /// How many times each name is bound (`let`, `for`, `fn` and its parameters, `model`).
  private(set) var bindings: [String: Int] = [:]
  /// Names assigned to (`x = …`, `x += …`, `x.f = …`, `x[0] = …`).
  private(set) var assigned: Set<String> = []
  /// Every model declaration, with the names bound around it below the top level (function
  /// parameters, loop variables, a block's `let`s), which may hide a top-level value.
  private(set) var models: [(declaration: ModelDecl, locals: Set<String>)] = []
  private var locals: Set<String> = []

  init(_ statements: [Stmt]) {
    for statement in statements { walk(statement, nested: false) }
  }

  init(_ model: ModelDecl) {
    walk(model)
  }

  /// The names `model` reads that it does not bind itself.
  static func freeNames(of model: ModelDecl) -> Set<String> {
    let walk = NameWalk(model)
    return walk.uses.subtracting(walk.bindings.keys)
  }

  private mutating func bind(_ name: String, nested: Bool) {
    bindings[name, default: 0] += 1
    if nested { locals.insert(name) }
  }

  private mutating func bind(_ pattern: Pattern, nested: Bool) {
    switch pattern {
    case .name(let identifier): bind(identifier.name, nested: nested)
    case .tuple(let names, _): for name in names { bind(name.name, nested: nested) }
    }
  }

  private mutating func walk(_ block: Block) {
    let saved = locals
    defer { locals = saved }
    for statement in block.statements { walk(statement, nested: true) }
  }

  private mutating func walk(_ statement: Stmt, nested: Bool) {
    switch statement.kind {
    case .expression(let expression):
      walk(expression)
    case .letBinding(let pattern, let value):
      walk(value)
      bind(pattern, nested: nested)
    case .assignment(let target, _, let value):
      if let root = Self.root(of: target) { assigned.insert(root) }
      walk(target)
      walk(value)
    case .function(let function):
      if let name = function.name { bind(name.name, nested: nested) }
      walk(function)
    case .model(let model):
      if let name = model.name { bind(name.name, nested: nested) }
      walk(model)
    case .forLoop(let pattern, let sequence, let body):
      walk(sequence)
      let saved = locals
      bind(pattern, nested: true)
      walk(body)
      locals = saved
    case .whileLoop(let condition, let body):
      walk(condition)
      walk(body)
    case .breakLoop, .continueLoop, .importFile:
      break
    case .returnValue(let value):
      if let value { walk(value) }
    case .namedLayer(_, let layer):
      walk(layer)
    case .blockLayer(_, _, let arguments, let body):
      for argument in arguments { walk(argument.value) }
      walk(body)
    }
  }

  private mutating func walk(_ function: FunctionDecl) {
    let saved = locals
    defer { locals = saved }
    for parameter in function.parameters {
      if let value = parameter.defaultValue { walk(value) }
      bind(parameter.name.name, nested: true)
    }
    walk(function.body)
  }

  private mutating func walk(_ model: ModelDecl) {
    models.append((model, locals))
    walk(model.inputShape)
    walk(model.body)
  }

  private mutating func walk(_ expression: Expr) {
    switch expression.kind {
    case .number, .bool, .nilLiteral:
      break
    case .string(let segments):
      for case .interpolation(let inner) in segments { walk(inner) }
    case .identifier(let name):
      uses.insert(name)
    case .bracket(let elements), .tuple(let elements):
      for element in elements { walk(element) }
    case .record(let fields):
      for field in fields { walk(field.value) }
    case .unary(_, let operand):
      walk(operand)
    case .binary:
      for operand in expression.chainOperands { walk(operand) }
    case .range(let left, let right, _):
      walk(left)
      walk(right)
    case .call(let callee, let arguments):
      walk(callee)
      for argument in arguments { walk(argument.value) }
    case .index(let base, let subscripts):
      walk(base)
      for item in subscripts {
        switch item {
        case .value(let value): walk(value)
        case .slice(let lower, let upper, _):
          if let lower { walk(lower) }
          if let upper { walk(upper) }
        }
      }
    case .member(let base, _):
      walk(base)
    case .function(let function):
      walk(function)
    case .conditional(let condition, let then, let otherwise):
      walk(condition)
      walk(then)
      if let otherwise { walk(otherwise) }
    case .model(let model):
      walk(model)
    case .train(let model, let data, let options):
      walk(model)
      walk(data)
      for option in options { walk(option.value) }
    }
  }

  /// The variable an assignment target updates: `x` of `x`, `x.f`, `x[0].g`.
  private static func root(of target: Expr) -> String? {
    switch target.kind {
    case .identifier(let name): return name
    case .member(let base, _), .index(let base, _): return root(of: base)
    default: return nil
    }
  }
}
