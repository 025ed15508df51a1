import CNN
import NNScript

/// A C output function and its user data, called from the interpreter's thread. The host
/// promises `user` stays valid, and an interpreter runs one script at a time, so it is never
/// called concurrently.
private struct OutputTarget: @unchecked Sendable {
  let function: nn_output_fn
  let user: UnsafeMutableRawPointer?
  let token: CallbackScope.Token

  func write(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
      bytes.withMemoryRebound(to: CChar.self) { chars in
        CallbackScope.run(token) { function(user, chars.baseAddress, Int64(chars.count)) }
      }
    }
  }
}

extension InterpreterOptions {
  /// The Swift options for C's; nil when one is invalid (a negative or non-finite limit, text
  /// that is not UTF-8, an unknown `file_access`).
  static func from(_ options: nn_options, token: CallbackScope.Token) -> InterpreterOptions? {
    var result = InterpreterOptions(output: { print($0, terminator: "") })
    if let function = options.output {
      let target = OutputTarget(function: function, user: options.output_user, token: token)
      result.output = { target.write($0) }
    }
    result.showsTimings = options.show_timings != 0
    if let pointer = options.working_directory {
      guard let path = String(validatingCString: pointer) else { return nil }
      result.workingDirectory = path
    }
    guard options.step_limit >= 0 else { return nil }
    result.stepLimit = options.step_limit > 0 ? Int(options.step_limit) : nil
    guard options.time_limit.isFinite, options.time_limit >= 0 else { return nil }
    result.timeLimit = options.time_limit > 0 ? options.time_limit : nil
    guard options.memory_limit >= 0 else { return nil }
    result.maxLiveTensorBytes = options.memory_limit > 0 ? Int(options.memory_limit) : nil
    guard let policy = fileAccess(options) else { return nil }
    result.fileAccess = policy
    return result
  }

  /// The policy `file_access` names, over `file_root` (relative roots are taken from the
  /// working directory, as the policy takes them).
  private static func fileAccess(_ options: nn_options) -> FileAccessPolicy? {
    var root = "."
    if let pointer = options.file_root {
      guard let path = String(validatingCString: pointer) else { return nil }
      root = path
    }
    switch options.file_access {
    // Spelled out: a bare `.none` would be the optional's nil.
    case NN_FILES_ANY: return FileAccessPolicy.unrestricted
    case NN_FILES_NONE: return FileAccessPolicy.none
    case NN_FILES_READ: return FileAccessPolicy.readOnly(root: root)
    case NN_FILES_READ_WRITE: return FileAccessPolicy.readWrite(root: root)
    default: return nil
    }
  }
}

/// nn.h: `nn_options_init`.
@_cdecl("nn_options_init")
public func nn_options_init(_ options: UnsafeMutablePointer<nn_options>?) {
  options?.pointee = nn_options(
    working_directory: nil, step_limit: 0, time_limit: 0, memory_limit: 0,
    file_access: NN_FILES_ANY, file_root: nil, output: nil, output_user: nil,
    show_timings: 1)
}
