import CNN
import Foundation
import Testing

/// An interpreter made through the C API for one test, with what its scripts print captured,
/// freed with the object.
final class CInterpreter {
  let pointer: OpaquePointer
  private let printed = Printed()
  /// Host functions' bodies, which C holds unretained as user data.
  private var bodies: [HostFunction] = []

  /// What the output function received; a class, so that C can hold it as user data.
  final class Printed { var text = "" }

  /// An interpreter with the default options but for output (captured) and timings (off),
  /// changed further by `configure`.
  init(_ configure: (inout nn_options) -> Void = { _ in }) throws {
    var options = nn_options()
    nn_options_init(&options)
    options.show_timings = 0
    options.output = { user, text, length in
      let printed = Unmanaged<Printed>.fromOpaque(user!).takeUnretainedValue()
      let bytes = UnsafeRawBufferPointer(start: text, count: Int(length))
      printed.text += String(decoding: bytes, as: UTF8.self)
    }
    options.output_user = Unmanaged.passUnretained(printed).toOpaque()
    configure(&options)
    pointer = try #require(nn_new(&options))
  }

  deinit { nn_free(pointer) }

  /// Everything the scripts printed so far.
  var output: String { printed.text }

  func run(_ text: String, name: String = "test.nn") -> nn_status {
    nn_run(pointer, text, name)
  }

  /// Registers a host function whose body is a Swift closure.
  @discardableResult
  func register(
    _ name: String, _ parameters: [String],
    _ body: @escaping (_ call: OpaquePointer, _ arguments: [nn_value]) -> Void
  ) -> nn_status {
    let function = HostFunction(body)
    bodies.append(function)
    return withCStrings(parameters) { names in
      nn_register(pointer, name, names, Int32(parameters.count), HostFunction.trampoline,
                  Unmanaged.passUnretained(function).toOpaque())
    }
  }

  /// The number bound to `name`, or nil when reading it fails.
  func number(_ name: String) -> Double? {
    var value = 0.0
    return nn_get_number(pointer, name, &value) == NN_OK ? value : nil
  }

  /// The diagnostics of the last failed call, each field as C gave it.
  var diagnostics: [Diagnostic] {
    (0..<nn_diagnostic_count(pointer)).map { index in
      Diagnostic(
        message: text(nn_diagnostic_message(pointer, index)) ?? "<NULL>",
        code: text(nn_diagnostic_code(pointer, index)) ?? "<NULL>",
        file: text(nn_diagnostic_file(pointer, index)),
        line: nn_diagnostic_line(pointer, index), column: nn_diagnostic_column(pointer, index),
        hint: text(nn_diagnostic_hint(pointer, index)),
        rendered: text(nn_diagnostic_rendered(pointer, index)) ?? "<NULL>")
    }
  }

  /// The first diagnostic's message, or "" when there is none.
  var message: String { diagnostics.first?.message ?? "" }

  struct Diagnostic {
    var message: String
    var code: String
    var file: String?
    var line: Int32
    var column: Int32
    var hint: String?
    var rendered: String
  }
}

/// A Swift closure behind a C host function.
final class HostFunction {
  let body: (OpaquePointer, [nn_value]) -> Void
  init(_ body: @escaping (OpaquePointer, [nn_value]) -> Void) { self.body = body }

  /// The C function: calls the body its user data points to.
  static let trampoline: nn_host_fn = { user, call, count, arguments in
    let function = Unmanaged<HostFunction>.fromOpaque(user!).takeUnretainedValue()
    function.body(call!, Array(UnsafeBufferPointer(start: arguments, count: Int(count))))
  }
}

/// Calls `body` with the strings as a C array of C strings.
func withCStrings<T>(
  _ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> T
) -> T {
  let copies = strings.map { strdup($0) }
  defer { copies.forEach { free($0) } }
  let pointers = copies.map { $0.map { UnsafePointer($0) } }
  return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// A C string as Swift text; nil for NULL.
func text(_ pointer: UnsafePointer<CChar>?) -> String? {
  pointer.map { String(cString: $0) }
}

/// A pointer handed to another thread in a test; C's threading rules, not Swift's, apply.
struct SharedPointer: @unchecked Sendable {
  let pointer: OpaquePointer
}

/// A value a test's threads share, behind a lock.
final class Shared<T>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: T

  init(_ value: T) { self.value = value }

  var current: T {
    get { lock.withLock { value } }
    set { lock.withLock { value = newValue } }
  }
}
