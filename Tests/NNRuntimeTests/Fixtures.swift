import Foundation
import Testing
@testable import NNRuntime

// Decoding of Fixtures/tensor_ops.json, written by scripts/make_tensor_fixtures.py from NumPy.

/// A JSON number, or one of the strings "nan", "inf", "-inf" that JSON cannot hold.
struct FixtureNumber: Decodable, Sendable {
  var value: Double

  init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let number = try? container.decode(Double.self) {
      value = number
      return
    }
    switch try container.decode(String.self) {
    case "nan": value = .nan
    case "inf": value = .infinity
    case "-inf": value = -.infinity
    case let other:
      throw DecodingError.dataCorruptedError(in: container,
                                             debugDescription: "not a number: \(other)")
    }
  }
}

struct FixtureTensor: Decodable, Sendable, CustomStringConvertible {
  var shape: [Int]
  var data: [FixtureNumber]

  var tensor: Tensor { Tensor(shape: shape, scalars: data.map { Float($0.value) }) }
  var description: String { "\(shape)" }
}

struct FixtureIndex: Decodable, Sendable {
  var kind: String
  var index: Int?
  var start: Int?
  var end: Int?

  var tensorIndex: TensorIndex {
    switch kind {
    case "index": .index(index ?? 0)
    case "range": .range(start: start, end: end)
    case "closed": .closedRange(start: start ?? 0, end: end ?? 0)
    default: .all
    }
  }
}

struct BinaryCase: Decodable, Sendable, CustomStringConvertible {
  var op: String
  var a: FixtureTensor
  var b: FixtureTensor
  var expected: FixtureTensor
  var description: String { "\(op) \(a) \(b)" }
}

struct UnaryCase: Decodable, Sendable, CustomStringConvertible {
  var op: String
  var x: FixtureTensor
  var expected: FixtureTensor
  var description: String { "\(op) \(x)" }
}

struct ClipCase: Decodable, Sendable {
  var x: FixtureTensor
  var low: Double
  var high: Double
  var expected: FixtureTensor
}

struct PairCase: Decodable, Sendable, CustomStringConvertible {
  var a: FixtureTensor
  var b: FixtureTensor
  var expected: FixtureTensor
  var description: String { "\(a) @ \(b)" }
}

struct ReduceCase: Decodable, Sendable, CustomStringConvertible {
  var op: String
  var x: FixtureTensor
  var axis: Int?
  var expected: FixtureTensor
  var description: String { "\(op) \(x) axis \(axis.map(String.init) ?? "nil")" }
}

struct AxisCase: Decodable, Sendable, CustomStringConvertible {
  var x: FixtureTensor
  var axis: Int
  var expected: FixtureTensor
  var description: String { "\(x) axis \(axis)" }
}

struct TransposeCase: Decodable, Sendable, CustomStringConvertible {
  var x: FixtureTensor
  var expected: FixtureTensor
  var description: String { "\(x)" }
}

struct SliceCase: Decodable, Sendable, CustomStringConvertible {
  var x: FixtureTensor
  var indices: [FixtureIndex]
  var value: FixtureTensor?
  var expected: FixtureTensor
  var description: String { "\(x) \(indices.map(\.tensorIndex))" }
}

struct ReshapeCase: Decodable, Sendable, CustomStringConvertible {
  var x: FixtureTensor
  var shape: [Int]
  var expected: FixtureTensor
  var description: String { "\(x) -> \(shape)" }
}

struct JoinCase: Decodable, Sendable, CustomStringConvertible {
  var tensors: [FixtureTensor]
  var axis: Int
  var expected: FixtureTensor
  var description: String { "\(tensors) axis \(axis)" }
}

struct ArangeCase: Decodable, Sendable, CustomStringConvertible {
  var start: Double
  var stop: Double
  var step: Double
  var expected: FixtureTensor
  var description: String { "arange(\(start), \(stop), \(step))" }
}

struct LinspaceCase: Decodable, Sendable, CustomStringConvertible {
  var start: Double
  var stop: Double
  var count: Int
  var expected: FixtureTensor
  var description: String { "linspace(\(start), \(stop), \(count))" }
}

struct RandomCase: Decodable, Sendable {
  var seed: UInt64
  var next: [String]
}

struct TensorOpsFixture: Decodable, Sendable {
  var binary: [BinaryCase] = []
  var unary: [UnaryCase] = []
  var clip: [ClipCase] = []
  var matmul: [PairCase] = []
  var reduce: [ReduceCase] = []
  var softmax: [AxisCase] = []
  var transpose: [TransposeCase] = []
  var slice: [SliceCase] = []
  var replace: [SliceCase] = []
  var reshape: [ReshapeCase] = []
  var concat: [JoinCase] = []
  var stack: [JoinCase] = []
  var arange: [ArangeCase] = []
  var linspace: [LinspaceCase] = []
  var random: [RandomCase] = []

  init() {}
}

enum Fixtures {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

  static func load() throws -> TensorOpsFixture {
    let data = try Data(contentsOf: directory.appendingPathComponent("tensor_ops.json"))
    return try JSONDecoder().decode(TensorOpsFixture.self, from: data)
  }

  /// The fixture, or an empty one when it cannot be read (then `fixtureLoads` fails, rather
  /// than every parameterised test vanishing silently).
  static let ops: TensorOpsFixture = (try? load()) ?? TensorOpsFixture()
}

// MARK: - Comparison

/// Expects equal shapes and every element within `atol + rtol * |expected|` (NaN matches NaN,
/// infinities must match exactly).
func expectClose(
  _ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(actual.shape == expected.shape, sourceLocation: sourceLocation)
  guard actual.shape == expected.shape else { return }
  let a = actual.scalars
  let e = expected.scalars
  var mismatches: [String] = []
  for i in 0..<a.count {
    let close: Bool
    if e[i].isNaN {
      close = a[i].isNaN
    } else if e[i].isInfinite {
      close = a[i] == e[i]
    } else {
      close = abs(a[i] - e[i]) <= atol + rtol * abs(e[i])
    }
    if !close && mismatches.count < 5 { mismatches.append("[\(i)] \(a[i]) != \(e[i])") }
  }
  #expect(mismatches.isEmpty, "\(mismatches)", sourceLocation: sourceLocation)
}
