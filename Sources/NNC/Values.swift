import CNN
import NNRuntime
import NNScript

/// Why a value from C cannot be made; the message goes into a diagnostic.
struct Refusal: Error {
  let message: String
  init(_ message: String) { self.message = message }
}

/// A tensor value from C's elements and shape, both copied: refused for a rank outside
/// 0...NN_MAX_RANK, a NULL pointer where elements are due, a negative dimension, or more
/// elements than a tensor may hold or the interpreter's memory limit allows.
func tensorValue(
  _ data: UnsafePointer<Float>?, _ shape: UnsafePointer<Int64>?, _ rank: Int32
) -> Result<Value, Refusal> {
  guard rank >= 0, Int(rank) <= Tensor.maxRank else {
    return .failure(Refusal("rank \(rank) is not between 0 and \(Tensor.maxRank)"))
  }
  guard rank == 0 || shape != nil else { return .failure(Refusal("shape is NULL")) }
  let dimensions = (0..<Int(rank)).map { Int(shape![$0]) }
  let count: Int
  do {
    count = try Tensor.checkedAllocation(dimensions)
  } catch {
    return .failure(Refusal(error.message))
  }
  guard count == 0 || data != nil else {
    return .failure(Refusal("data is NULL for a tensor of shape \(shapeText(dimensions))"))
  }
  let scalars = count == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: count))
  return .success(.tensor(Tensor(shape: dimensions, scalars: scalars)))
}

/// Text from C that must be UTF-8, or a refusal naming `what`.
func validText(_ pointer: UnsafePointer<CChar>?, _ what: String) -> Result<String, Refusal> {
  guard let pointer else { return .failure(Refusal("\(what) is NULL")) }
  guard let text = String(validatingCString: pointer) else {
    return .failure(Refusal("\(what) is not UTF-8"))
  }
  return .success(text)
}

/// Whether `name` is an identifier as the lexer reads one: a letter or `_`, then letters,
/// digits or `_` (letters beyond ASCII included).
func isIdentifier(_ name: String) -> Bool {
  guard let first = name.unicodeScalars.first, first.properties.isAlphabetic || first == "_"
  else { return false }
  return name.unicodeScalars.allSatisfy {
    $0.properties.isAlphabetic || $0 == "_" || ("0"..."9").contains($0)
  }
}

extension Value {
  /// The kind C sees.
  var cKind: nn_kind {
    switch self {
    case .nil: return NN_NIL
    case .number: return NN_NUMBER
    case .bool: return NN_BOOL
    case .string: return NN_STRING
    case .tensor: return NN_TENSOR
    default: return NN_OTHER
    }
  }
}

extension Host {
  /// The identifier `pointer` names, or nil with a misuse recorded.
  func identifier(_ pointer: UnsafePointer<CChar>?, _ function: String) -> String? {
    switch validText(pointer, "the name") {
    case .failure(let refusal):
      _ = fail(NN_MISUSE, .invalidArgument, "\(function): \(refusal.message)")
      return nil
    case .success(let name) where !isIdentifier(name):
      _ = fail(NN_MISUSE, .invalidArgument, "\(function): '\(name)' is not a name (a letter "
        + "or _, then letters, digits or _)")
      return nil
    case .success(let name):
      return name
    }
  }

  /// Binds a value C made, or records why it could not be made.
  func define(
    _ pointer: UnsafePointer<CChar>?, _ function: String, _ value: Result<Value, Refusal>
  ) -> nn_status {
    guard let name = identifier(pointer, function) else { return NN_MISUSE }
    switch value {
    case .success(let value):
      interpreter.define(name, value)
      return NN_OK
    case .failure(let refusal):
      return fail(NN_MISUSE, .invalidArgument, "\(function): \(refusal.message)")
    }
  }

  /// Calls `body` with what `extract` finds in the value `pointer` names; `NN_NOT_FOUND` or
  /// `NN_WRONG_KIND` (expecting `kind`) with a diagnostic otherwise.
  func read<T>(
    _ pointer: UnsafePointer<CChar>?, _ function: String, _ kind: String,
    _ extract: (Value) -> T?, _ body: (T) -> nn_status
  ) -> nn_status {
    guard let name = identifier(pointer, function) else { return NN_MISUSE }
    guard let value = interpreter.value(named: name) else {
      return fail(NN_NOT_FOUND, .undefinedName, "\(function): no value is named '\(name)'")
    }
    guard let found = extract(value) else {
      return fail(NN_WRONG_KIND, .typeMismatch,
                  "\(function): '\(name)' is a \(value.typeName), not a \(kind)")
    }
    return body(found)
  }
}

/// nn.h: `nn_set_number`.
@_cdecl("nn_set_number")
public func nn_set_number(
  _ interp: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: Double
) -> nn_status {
  withHost(interp) { $0.define(name, "nn_set_number", .success(.number(value))) }
}

/// nn.h: `nn_get_number`.
@_cdecl("nn_get_number")
public func nn_get_number(
  _ interp: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: UnsafeMutablePointer<Double>?
) -> nn_status {
  withHost(interp) { host in
    host.read(name, "nn_get_number", "number", \.number) { number in
      value?.pointee = number
      return NN_OK
    }
  }
}

/// nn.h: `nn_set_string`.
@_cdecl("nn_set_string")
public func nn_set_string(
  _ interp: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ text: UnsafePointer<CChar>?
) -> nn_status {
  withHost(interp) { $0.define(name, "nn_set_string", validText(text, "text").map { .string($0) }) }
}

/// nn.h: `nn_get_string`.
@_cdecl("nn_get_string")
public func nn_get_string(
  _ interp: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ buffer: UnsafeMutablePointer<CChar>?,
  _ capacity: Int64, _ length: UnsafeMutablePointer<Int64>?
) -> nn_status {
  withHost(interp) { host in
    host.read(name, "nn_get_string", "string", \.string) { text in
      let bytes = Array(text.utf8)
      length?.pointee = Int64(bytes.count)
      guard let buffer, capacity > Int64(bytes.count) else {
        return host.fail(NN_TOO_SMALL, .invalidArgument, "nn_get_string: the text needs "
          + "\(bytes.count + 1) bytes with its NUL; the buffer holds "
          + "\(buffer == nil ? 0 : max(0, capacity))")
      }
      for (index, byte) in bytes.enumerated() { buffer[index] = CChar(bitPattern: byte) }
      buffer[bytes.count] = 0
      return NN_OK
    }
  }
}

/// nn.h: `nn_set_tensor`.
@_cdecl("nn_set_tensor")
public func nn_set_tensor(
  _ interp: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ data: UnsafePointer<Float>?,
  _ shape: UnsafePointer<Int64>?, _ rank: Int32
) -> nn_status {
  withHost(interp) { $0.define(name, "nn_set_tensor", tensorValue(data, shape, rank)) }
}

/// The tensor a value holds, for `Host.read`.
private func tensor(_ value: Value) -> Tensor? {
  if case .tensor(let tensor) = value { return tensor }
  return nil
}

/// nn.h: `nn_tensor_shape`.
@_cdecl("nn_tensor_shape")
public func nn_tensor_shape(
  _ interp: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ rank: UnsafeMutablePointer<Int32>?,
  _ shape: UnsafeMutablePointer<Int64>?, _ count: UnsafeMutablePointer<Int64>?
) -> nn_status {
  withHost(interp) { host in
    host.read(name, "nn_tensor_shape", "tensor", tensor) { tensor in
      rank?.pointee = Int32(tensor.rank)
      count?.pointee = Int64(tensor.count)
      for (axis, dimension) in tensor.shape.enumerated() { shape?[axis] = Int64(dimension) }
      return NN_OK
    }
  }
}

/// nn.h: `nn_get_tensor`.
@_cdecl("nn_get_tensor")
public func nn_get_tensor(
  _ interp: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ data: UnsafeMutablePointer<Float>?,
  _ capacity: Int64
) -> nn_status {
  withHost(interp) { host in
    host.read(name, "nn_get_tensor", "tensor", tensor) { tensor in
      guard tensor.count == 0 || (data != nil && capacity >= Int64(tensor.count)) else {
        return host.fail(NN_TOO_SMALL, .invalidArgument, "nn_get_tensor: the tensor has "
          + "\(tensor.count) elements; the buffer holds \(data == nil ? 0 : max(0, capacity))")
      }
      tensor.withUnsafeBufferPointer { elements in
        if let base = elements.baseAddress { data?.update(from: base, count: elements.count) }
      }
      return NN_OK
    }
  }
}

/// nn.h: `nn_kind_of`.
@_cdecl("nn_kind_of")
public func nn_kind_of(
  _ interp: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ kind: UnsafeMutablePointer<Int32>?
) -> nn_status {
  withHost(interp) { host in
    host.read(name, "nn_kind_of", "value", { $0 }) { value in
      kind?.pointee = value.cKind
      return NN_OK
    }
  }
}
