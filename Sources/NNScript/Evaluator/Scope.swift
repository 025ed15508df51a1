/// A lexical scope: bindings and the scope around it.
///
/// A class because closures capture scopes and later assignments must be seen through them.
final class Scope {
  private var bindings: [String: Value] = [:]
  let parent: Scope?

  init(parent: Scope?) {
    self.parent = parent
  }

  /// Binds `name` in this scope, shadowing any binding of the same name.
  func declare(_ name: String, _ value: Value) {
    bindings[name] = value
  }

  func lookup(_ name: String) -> Value? {
    var scope: Scope? = self
    while let current = scope {
      if let value = current.bindings[name] { return value }
      scope = current.parent
    }
    return nil
  }

  /// Assigns to the nearest existing binding; false when there is none.
  func assign(_ name: String, _ value: Value) -> Bool {
    var scope: Scope? = self
    while let current = scope {
      if current.bindings[name] != nil {
        current.bindings[name] = value
        return true
      }
      scope = current.parent
    }
    return false
  }

  /// Every name visible from here, innermost first (for suggestions and completion).
  var visibleNames: [String] {
    var names: [String] = []
    var seen: Set<String> = []
    var scope: Scope? = self
    while let current = scope {
      for name in current.bindings.keys.sorted() where seen.insert(name).inserted {
        names.append(name)
      }
      scope = current.parent
    }
    return names
  }

  /// The names bound directly in this scope.
  var ownNames: [String] { bindings.keys.sorted() }
}
