#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNN
import NNScript

/// What a host function's callback answered through `nn_return_*`; an `nn_call *` points to
/// one, unretained, while the callback runs.
final class CallState {
  /// The value returned, or the message of the error that makes the call fail.
  var answer: Result<Value, Refusal> = .success(.nil)
  /// Whether the run the call belongs to was asked to stop.
  var cancelled: () -> Bool = { false }
}

/// The message a callback failed with; the interpreter shows it after the function's name.
private struct HostFunctionError: Error, CustomStringConvertible {
  let description: String
}

/// A call's arguments as C reads them: `nn_value`s whose text, elements and shapes are copies
/// that live as long as this object, freed when the call is over.
private final class Arguments {
  private(set) var values: [nn_value] = []
  private var allocations: [UnsafeMutableRawPointer] = []

  init(_ arguments: [Value]) {
    values = arguments.map(convert)
  }

  deinit { allocations.forEach { free($0) } }

  private func convert(_ value: Value) -> nn_value {
    var converted = nn_value(kind: value.cKind, rank: 0, number: 0, string: nil, length: 0,
                             data: nil, shape: nil, count: 0)
    switch value {
    case .nil: break
    case .number(let number): converted.number = number
    case .bool(let flag): converted.number = flag ? 1 : 0
    case .string(let text):
      converted.string = copy(text)
      converted.length = Int64(text.utf8.count)
    case .tensor(let tensor):
      converted.rank = Int32(tensor.rank)
      converted.count = Int64(tensor.count)
      converted.shape = UnsafePointer(copy(tensor.shape.map(Int64.init)))
      converted.data = tensor.withUnsafeBufferPointer { UnsafePointer(copy(Array($0))) }
    default: converted.string = copy(value.typeName)
    }
    return converted
  }

  /// A NUL-terminated copy of the text's bytes (a NUL inside stays: `length` counts it).
  private func copy(_ text: String) -> UnsafePointer<CChar> {
    let bytes = Array(text.utf8) + [0]
    return UnsafePointer(copy(bytes.map { CChar(bitPattern: $0) }))
  }

  private func copy<T>(_ items: [T]) -> UnsafeMutablePointer<T> {
    // One element at least, so that an empty tensor's pointers are not NULL.
    let raw = malloc(max(1, items.count) * MemoryLayout<T>.stride)!
    allocations.append(raw)
    let typed = raw.bindMemory(to: T.self, capacity: max(1, items.count))
    typed.initialize(from: items, count: items.count)
    return typed
  }
}

/// nn.h: `nn_register`.
@_cdecl("nn_register")
public func nn_register(
  _ interp: OpaquePointer?, _ name: UnsafePointer<CChar>?,
  _ parameters: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int32, _ function: nn_host_fn?,
  _ user: UnsafeMutableRawPointer?
) -> nn_status {
  withHost(interp) { host in
    guard let name = host.identifier(name, "nn_register") else { return NN_MISUSE }
    guard let function else {
      return host.fail(NN_MISUSE, .invalidArgument, "nn_register: the function is NULL")
    }
    guard count >= 0, count == 0 || parameters != nil else {
      return host.fail(NN_MISUSE, .invalidArgument, count < 0
        ? "nn_register: the parameter count \(count) is negative"
        : "nn_register: parameters is NULL for \(count) parameters")
    }
    var names: [String] = []
    for index in 0..<Int(count) {
      guard let parameter = host.identifier(parameters![index], "nn_register") else {
        return NN_MISUSE
      }
      guard !names.contains(parameter) else {
        return host.fail(NN_MISUSE, .invalidArgument,
                         "nn_register: parameter '\(parameter)' is named twice")
      }
      names.append(parameter)
    }
    let token = host.token
    let declared = names.map(Parameter.init(stringLiteral:))
    do throws(HostRegistrationError) {
      try host.interpreter.register(name, parameters: declared) { hostCall in
        try Host.call(hostCall, names: names, token: token, function: function, user: user)
      }
    } catch {
      return host.fail(NN_MISUSE, .invalidArgument, "nn_register: \(error.description)")
    }
    return NN_OK
  }
}

extension Host {
  /// One call of a C host function: its arguments converted, the callback run, its answer.
  static func call(
    _ hostCall: HostCall, names: [String], token: CallbackScope.Token, function: nn_host_fn,
    user: UnsafeMutableRawPointer?
  ) throws -> Value {
    let call = CallState()
    call.cancelled = { hostCall.isCancelled }
    let converted = Arguments(names.map { hostCall.arguments[$0] ?? .nil })
    let pointer = OpaquePointer(Unmanaged.passUnretained(call).toOpaque())
    // Both outlive the callback: `converted` owns what its values point to.
    withExtendedLifetime((call, converted)) {
      converted.values.withUnsafeBufferPointer { values in
        CallbackScope.run(token) {
          function(user, pointer, Int32(values.count), values.isEmpty ? nil : values.baseAddress)
        }
      }
    }
    switch call.answer {
    case .success(let value): return value
    case .failure(let refusal): throw HostFunctionError(description: refusal.message)
    }
  }
}

/// nn.h: `nn_call_cancelled`.
@_cdecl("nn_call_cancelled")
public func nn_call_cancelled(_ call: OpaquePointer?) -> Int32 {
  guard let call else { return 0 }
  let state = Unmanaged<CallState>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue()
  return state.cancelled() ? 1 : 0
}

/// Records a callback's answer on its call; a refused one is the call's error.
private func answer(
  _ call: OpaquePointer?, _ function: String, _ value: Result<Value, Refusal>
) -> nn_status {
  guard let call else { return NN_MISUSE }
  let state = Unmanaged<CallState>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue()
  state.answer = value.mapError { Refusal("\(function): \($0.message)") }
  if case .failure = value { return NN_MISUSE }
  return NN_OK
}

/// nn.h: `nn_return_number`.
@_cdecl("nn_return_number")
public func nn_return_number(_ call: OpaquePointer?, _ value: Double) -> nn_status {
  answer(call, "nn_return_number", .success(.number(value)))
}

/// nn.h: `nn_return_bool`.
@_cdecl("nn_return_bool")
public func nn_return_bool(_ call: OpaquePointer?, _ value: Int32) -> nn_status {
  answer(call, "nn_return_bool", .success(.bool(value != 0)))
}

/// nn.h: `nn_return_string`.
@_cdecl("nn_return_string")
public func nn_return_string(_ call: OpaquePointer?, _ text: UnsafePointer<CChar>?) -> nn_status {
  answer(call, "nn_return_string", validText(text, "text").map { .string($0) })
}

/// nn.h: `nn_return_tensor`.
@_cdecl("nn_return_tensor")
public func nn_return_tensor(
  _ call: OpaquePointer?, _ data: UnsafePointer<Float>?, _ shape: UnsafePointer<Int64>?,
  _ rank: Int32
) -> nn_status {
  answer(call, "nn_return_tensor", tensorValue(data, shape, rank))
}

/// nn.h: `nn_return_error`.
@_cdecl("nn_return_error")
public func nn_return_error(_ call: OpaquePointer?, _ message: UnsafePointer<CChar>?) -> nn_status {
  guard let call else { return NN_MISUSE }
  let text = message.map { String(cString: $0) } ?? "failed"
  let state = Unmanaged<CallState>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue()
  state.answer = .failure(Refusal(text))
  return NN_OK
}
