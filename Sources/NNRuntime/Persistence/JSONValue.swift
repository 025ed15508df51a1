import Foundation

/// A parsed JSON value with the number kinds kept apart, so a reader can insist on whole numbers
/// where a format wants them (`2.0` and `true` are not a valid tensor dimension).
///
/// Parsing goes through Foundation's `JSONSerialization`; this type only converts its loosely
/// typed output into something that can be checked exhaustively. Nesting is bounded first, by
/// `maxDepth`, with a scan that does not recurse: Foundation's own bound differs between
/// platforms and versions, and `convert` and `text` recurse once per level.
public enum JSONValue: Equatable, Sendable {
  case null
  case bool(Bool)
  /// A number written without a fraction or exponent that fits in `Int`.
  case integer(Int)
  /// Any other number (a fraction, an exponent, or a whole number too large for `Int`).
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  /// The deepest nesting of arrays and objects `parse` accepts. Far past any document nn reads
  /// (a safetensors header nests 3 levels, a model description about 3 per residual block) and
  /// far below what the recursive steps can take.
  public static let maxDepth = 128

  /// Parses UTF-8 JSON text, or says why it is not valid JSON.
  public static func parse(_ bytes: some Collection<UInt8>) -> Result<JSONValue, JSONError> {
    if exceedsDepth(bytes, maxDepth) {
      return .failure(JSONError(message: "it nests arrays and objects more than \(maxDepth) "
                                  + "levels deep"))
    }
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    } catch {
      let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
      return .failure(JSONError(message: reason ?? "it is not valid JSON"))
    }
    guard let value = convert(object) else {
      return .failure(JSONError(message: "it holds a value JSON does not describe"))
    }
    return .success(value)
  }

  /// Whether brackets and braces outside strings nest deeper than `limit` somewhere in `bytes`:
  /// one pass, no recursion, no allocation, whatever the text (valid JSON or not).
  public static func exceedsDepth(_ bytes: some Collection<UInt8>, _ limit: Int) -> Bool {
    var depth = 0
    var inString = false
    var escaped = false
    for byte in bytes {
      if inString {
        if escaped {
          escaped = false
        } else if byte == UInt8(ascii: "\\") {
          escaped = true
        } else if byte == UInt8(ascii: "\"") {
          inString = false
        }
        continue
      }
      switch byte {
      case UInt8(ascii: "\""):
        inString = true
      case UInt8(ascii: "["), UInt8(ascii: "{"):
        depth += 1
        if depth > limit { return true }
      case UInt8(ascii: "]"), UInt8(ascii: "}"):
        depth -= 1
      default:
        break
      }
    }
    return false
  }

  private static func convert(_ object: Any) -> JSONValue? {
    switch object {
    case is NSNull:
      return .null
    case let text as String:
      return .string(text)
    case let number as NSNumber:
      return convert(number)
    case let items as [Any]:
      var values: [JSONValue] = []
      values.reserveCapacity(items.count)
      for item in items {
        guard let value = convert(item) else { return nil }
        values.append(value)
      }
      return .array(values)
    case let fields as [String: Any]:
      var values: [String: JSONValue] = [:]
      values.reserveCapacity(fields.count)
      for (key, item) in fields {
        guard let value = convert(item) else { return nil }
        values[key] = value
      }
      return .object(values)
    default:
      return nil
    }
  }

  /// `NSNumber` hides whether JSON said `true`, `2` or `2.0`; its Objective-C type code tells.
  private static func convert(_ number: NSNumber) -> JSONValue {
    switch String(cString: number.objCType) {
    case "c", "B":
      return .bool(number.boolValue)
    case "q", "l", "i", "s":
      return .integer(Int(number.int64Value))
    case "Q", "L", "I", "S":
      let value = number.uint64Value
      return value <= UInt64(Int.max) ? .integer(Int(value)) : .number(number.doubleValue)
    default:
      return .number(number.doubleValue)
    }
  }

  // MARK: - Reading

  /// The value as a number, whichever way it was written.
  public var doubleValue: Double? {
    switch self {
    case .integer(let n): return Double(n)
    case .number(let x): return x
    default: return nil
    }
  }

  /// A word for the kind of value, for error messages ("expected a string, found an array").
  public var kindName: String {
    switch self {
    case .null: return "null"
    case .bool: return "a bool"
    case .integer, .number: return "a number"
    case .string: return "a string"
    case .array: return "an array"
    case .object: return "an object"
    }
  }

  // MARK: - Writing

  /// Compact JSON text; object keys sorted so the same value always gives the same bytes.
  /// Non-finite numbers, which JSON cannot hold, are written as `null`.
  public var text: String {
    var output = ""
    write(to: &output)
    return output
  }

  private func write(to output: inout String) {
    switch self {
    case .null: output += "null"
    case .bool(let flag): output += flag ? "true" : "false"
    case .integer(let n): output += String(n)
    case .number(let x):
      if !x.isFinite {
        output += "null"
      } else if x == x.rounded(), abs(x) < 1e15 {
        output += String(Int(x))
      } else {
        output += "\(x)"
      }
    case .string(let text): output += Self.quote(text)
    case .array(let items):
      output += "["
      for (index, item) in items.enumerated() {
        if index > 0 { output += "," }
        item.write(to: &output)
      }
      output += "]"
    case .object(let fields):
      output += "{"
      for (index, key) in fields.keys.sorted().enumerated() {
        if index > 0 { output += "," }
        output += Self.quote(key) + ":"
        fields[key]!.write(to: &output)
      }
      output += "}"
    }
  }

  /// `text` as a JSON string literal: quotes, backslashes and control characters escaped the
  /// way serde_json (the safetensors reference) escapes them; everything else as UTF-8.
  public static func quote(_ text: String) -> String {
    var output = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": output += "\\\""
      case "\\": output += "\\\\"
      case "\n": output += "\\n"
      case "\r": output += "\\r"
      case "\t": output += "\\t"
      case "\u{08}": output += "\\b"
      case "\u{0C}": output += "\\f"
      case _ where scalar.value < 0x20:
        let hex = String(scalar.value, radix: 16)
        output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: output.unicodeScalars.append(scalar)
      }
    }
    return output + "\""
  }
}

/// Why some text is not the JSON a reader needed.
public struct JSONError: Error, Equatable, Sendable {
  /// What is wrong with the text, fit for a diagnostic.
  public var message: String

  /// Makes an error with the given message.
  public init(message: String) {
    self.message = message
  }
}
