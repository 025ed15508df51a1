import NNRuntime

/// `json(value)`: values as JSON text. Tensors become nested arrays; non-finite numbers, which
/// JSON cannot hold, become `null`; functions become their printed name as a string.
enum JSONEncoding {
  static func encode(_ value: Value) -> String {
    var output = ""
    write(value, to: &output)
    return output
  }

  private static func write(_ value: Value, to output: inout String) {
    switch value {
    case .number(let x): output += number(x)
    case .bool(let flag): output += flag ? "true" : "false"
    case .string(let text): output += string(text)
    case .nil: output += "null"
    case .tensor(let tensor):
      tensor.withUnsafeBufferPointer { buffer in
        var offset = 0
        writeTensor(shape: tensor.shape[...], buffer, &offset, to: &output)
      }
    case .list(let items):
      output += "["
      for (index, item) in items.enumerated() {
        if index > 0 { output += "," }
        write(item, to: &output)
      }
      output += "]"
    case .record(let record):
      output += "{"
      for (index, field) in record.fields.enumerated() {
        if index > 0 { output += "," }
        output += string(field.name) + ":"
        write(field.value, to: &output)
      }
      output += "}"
    case .range(let r):
      output += "{\"lower\":\(number(r.lower)),\"upper\":\(number(r.upper)),"
        + "\"inclusive\":\(r.inclusive)}"
    case .function, .builtin, .object:
      output += string(ValueFormatter.describe(value))
    }
  }

  private static func writeTensor(
    shape: ArraySlice<Int>, _ buffer: UnsafeBufferPointer<Float>, _ offset: inout Int,
    to output: inout String
  ) {
    guard let length = shape.first else {
      output += number(Value.element(buffer[offset]))
      offset += 1
      return
    }
    output += "["
    for index in 0..<length {
      if index > 0 { output += "," }
      writeTensor(shape: shape.dropFirst(), buffer, &offset, to: &output)
    }
    output += "]"
  }

  private static func number(_ x: Double) -> String {
    x.isFinite ? formatNumber(x) : "null"
  }

  /// One JSON string escaper for the project: the one the safetensors writer uses.
  static func string(_ text: String) -> String { JSONValue.quote(text) }
}
