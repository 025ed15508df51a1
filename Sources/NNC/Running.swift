import CNN
import NNScript

/// nn.h: `nn_new`.
@_cdecl("nn_new")
public func nn_new(_ options: UnsafePointer<nn_options>?) -> OpaquePointer? {
  var given = nn_options()
  nn_options_init(&given)
  if let options { given = options.pointee }
  let token = CallbackScope.Token()
  guard let swiftOptions = InterpreterOptions.from(given, token: token) else { return nil }
  return Host(interpreter: Interpreter(options: swiftOptions), token: token).retainedPointer()
}

/// nn.h: `nn_free`.
@_cdecl("nn_free")
public func nn_free(_ interp: OpaquePointer?) {
  guard let interp else { return }
  Host.from(interp).requestFree()
}

/// nn.h: `nn_run`.
@_cdecl("nn_run")
public func nn_run(
  _ interp: OpaquePointer?, _ source: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?
) -> nn_status {
  withHost(interp) { host in
    guard let source else {
      return host.fail(NN_MISUSE, .invalidArgument, "nn_run: source is NULL")
    }
    // Invalid UTF-8 becomes U+FFFD, which the lexer reports where it stands.
    let text = String(cString: source)
    let label = name.map { String(cString: $0) } ?? "<input>"
    return host.outcome { () throws(ScriptError) in
      try host.interpreter.run(text, name: label)
    }
  }
}

/// nn.h: `nn_run_file`.
@_cdecl("nn_run_file")
public func nn_run_file(_ interp: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> nn_status {
  withHost(interp) { host in
    guard let path, let text = String(validatingCString: path) else {
      return host.fail(NN_MISUSE, .invalidArgument, "nn_run_file: path is NULL or not UTF-8")
    }
    return host.outcome { () throws(ScriptError) in try host.interpreter.runFile(text) }
  }
}

/// nn.h: `nn_cancel`.
@_cdecl("nn_cancel")
public func nn_cancel(_ interp: OpaquePointer?) -> nn_status {
  guard let interp else { return NN_MISUSE }
  // No `enter`: this is the call made while another thread is inside.
  Host.from(interp).cancellation.cancel()
  return NN_OK
}

extension Host {
  /// Runs a script, recording its diagnostics when it fails; the status says how it ended.
  func outcome(_ run: () throws(ScriptError) -> Void) -> nn_status {
    do {
      try run()
      return NN_OK
    } catch {
      record(error.diagnostics)
      let first = error.diagnostics.first { $0.severity == .error } ?? error.diagnostics.first
      switch first?.code {
      case .interrupted?: return NN_INTERRUPTED
      case .stepLimit?, .resourceLimit?: return NN_LIMIT
      default: return NN_ERROR
      }
    }
  }
}
