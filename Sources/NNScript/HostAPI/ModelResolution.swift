import NNRuntime
import NNSyntax

/// `nn check`'s shape pass: builds each model declaration that depends only on what is known
/// before the script runs, exactly as `nn run` builds it (body evaluated, shapes inferred,
/// parameters made, the network lowered), and reports what that build reports.
///
/// Known before the run: literals, built-ins the script does not rebind, top-level constants
/// (a `let` bound once and never assigned, whose value is made of literals, operators and
/// earlier constants) and top-level functions that use only those. A model whose declaration
/// reads anything else (data, `args`, a call's result, a loop variable) is left to the run, as
/// is one whose build reaches such a value through a function, loads a file or takes more than
/// `stepLimit` steps. Nothing is printed, read or written.
struct ModelResolution {
  /// The steps one model's build may take: a body's loops are bounded, not run forever.
  static let stepLimit = 100_000

  let options: InterpreterOptions

  /// Failures that mean "needs what only the run has", not "the model is wrong".
  private static let unknowable: Set<DiagnosticCode> = [
    .undefinedName, .stepLimit, .resourceLimit, .recursionLimit, .fileError, .interrupted,
    .internalError,
  ]

  /// The diagnostics of building the models of `statements`, a file's top level. A model that
  /// already has an error from the static checks is not built again.
  func diagnostics(_ statements: [Stmt], in source: Source, reported: [Diagnostic])
    -> [Diagnostic]
  {
    let file = NameWalk(statements)
    guard !file.models.isEmpty else { return [] }
    var sandbox = InterpreterOptions(
      interruptRequested: options.interruptRequested, fileAccess: .none, timeLimit: 10,
      maxCallDepth: options.maxCallDepth, maxTensorElements: options.maxTensorElements,
      maxLiveTensorBytes: options.maxLiveTensorBytes)
    sandbox.stepLimit = Self.stepLimit
    let evaluator = Evaluator(options: sandbox)
    // What the models allocate counts against the sandbox's own memory limit.
    return MemoryBudget.$current.withValue(evaluator.memory) {
      build(file, statements, in: source, reported: reported, evaluator)
    }
  }

  private func build(
    _ file: NameWalk, _ statements: [Stmt], in source: Source, reported: [Diagnostic],
    _ evaluator: Evaluator
  ) -> [Diagnostic] {
    evaluator.source = source
    let scope = Scope(parent: evaluator.globals)
    let builtins = Set(Builtins.names).subtracting(file.bindings.keys)
    let known = bindConstants(statements, file: file, builtins: builtins, evaluator, scope)
    var found: [Diagnostic] = []
    for (model, locals) in file.models {
      let visible = known.subtracting(locals).union(builtins)
      guard NameWalk.freeNames(of: model).isSubset(of: visible),
        !reported.contains(where: { Self.isError($0, inside: model.range, of: source) })
      else { continue }
      evaluator.steps = 0
      evaluator.runStart = .now
      do throws(Unwind) {
        _ = try evaluator.buildModel(model, in: scope)
      } catch {
        guard case .failure(let diagnostic) = error,
          !Self.unknowable.contains(diagnostic.code), !reported.contains(diagnostic)
        else { continue }
        found.append(diagnostic)
      }
    }
    return found
  }

  /// Runs the top-level constants and functions in `scope`; returns their names.
  private func bindConstants(
    _ statements: [Stmt], file: NameWalk, builtins: Set<String>, _ evaluator: Evaluator,
    _ scope: Scope
  ) -> Set<String> {
    func once(_ name: String) -> Bool {
      file.bindings[name] == 1 && !file.assigned.contains(name)
    }
    var constants: Set<String> = []
    for statement in statements {
      if case .letBinding(.name(let name), let value) = statement.kind, once(name.name),
        Self.isConstant(value, constants) {
        constants.insert(name.name)
      }
    }
    var functions: Set<String> = []
    for statement in statements {
      if case .function(let function) = statement.kind, let name = function.name,
        once(name.name) {
        functions.insert(name.name)
      }
    }
    let usable = constants.union(functions).union(builtins)
    var known: Set<String> = []
    for statement in statements {
      let name: String
      switch statement.kind {
      case .letBinding(.name(let identifier), _) where constants.contains(identifier.name):
        name = identifier.name
      case .function(let function) where functions.contains(function.name?.name ?? ""):
        let walk = NameWalk([statement])
        guard walk.uses.subtracting(walk.bindings.keys).isSubset(of: usable) else { continue }
        name = function.name?.name ?? ""
      default:
        continue
      }
      evaluator.steps = 0
      evaluator.runStart = .now
      do throws(Unwind) {
        _ = try evaluator.execute(statement, in: scope)
        known.insert(name)
      } catch {
        // A constant the run would fail on is reported by the run; models using it are left.
      }
    }
    return known
  }

  /// Literals, operators and earlier constants: values the run computes the same way.
  private static func isConstant(_ expression: Expr, _ constants: Set<String>) -> Bool {
    switch expression.kind {
    case .number, .bool, .nilLiteral:
      return true
    case .string(let segments):
      return segments.allSatisfy { segment in
        if case .interpolation(let inner) = segment { return isConstant(inner, constants) }
        return true
      }
    case .identifier(let name):
      return constants.contains(name)
    case .bracket(let elements), .tuple(let elements):
      return elements.allSatisfy { isConstant($0, constants) }
    case .record(let fields):
      return fields.allSatisfy { isConstant($0.value, constants) }
    case .unary(_, let operand):
      return isConstant(operand, constants)
    case .binary:
      return expression.chainOperands.allSatisfy { isConstant($0, constants) }
    case .range(let left, let right, _):
      return isConstant(left, constants) && isConstant(right, constants)
    default:
      return false
    }
  }

  private static func isError(_ diagnostic: Diagnostic, inside range: SourceRange,
                              of source: Source) -> Bool {
    guard diagnostic.severity == .error, let location = diagnostic.location,
      location.source.name == source.name
    else { return false }
    return location.range.start >= range.start && location.range.end <= range.end
  }
}
