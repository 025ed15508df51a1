import Foundation
import NNRuntime
import NNSyntax
import Testing
@testable import NNScript

// formatNumber and formatTensor against Python's repr and NumPy's array2string layout
// (Tests/NNRuntimeTests/Fixtures/formatting.json, from scripts/make_tensor_fixtures.py).

private struct FormattingFixture: Decodable {
  struct NumberCase: Decodable, Sendable, CustomStringConvertible {
    var value: JSONNumber
    var expected: String
    var description: String { expected }
  }

  struct TensorCase: Decodable, Sendable, CustomStringConvertible {
    var name: String
    var x: Shaped
    var expected: String
    var description: String { name }
  }

  struct Shaped: Decodable, Sendable {
    var shape: [Int]
    var data: [JSONNumber]
  }

  var doubles: [NumberCase]
  var floats: [NumberCase]
  var tensors: [TensorCase]
}

/// A JSON number or one of "nan", "inf", "-inf".
private struct JSONNumber: Decodable, Sendable {
  var value: Double

  init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let number = try? container.decode(Double.self) {
      value = number
    } else {
      let text = try container.decode(String.self)
      value = text == "nan" ? .nan : text == "-inf" ? -.infinity : .infinity
    }
  }
}

private let formattingFixture: FormattingFixture? = {
  let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../NNRuntimeTests/Fixtures/formatting.json")
  guard let data = try? Data(contentsOf: url) else { return nil }
  return try? JSONDecoder().decode(FormattingFixture.self, from: data)
}()

@Test func formattingFixtureLoads() {
  #expect(formattingFixture != nil)
  #expect((formattingFixture?.tensors.count ?? 0) > 10)
}

@Test(arguments: formattingFixture?.doubles ?? [])
private func doubleMatchesPythonRepr(_ c: FormattingFixture.NumberCase) {
  #expect(formatNumber(c.value.value) == c.expected)
}

@Test(arguments: formattingFixture?.floats ?? [])
private func floatMatchesShortestFloat32Repr(_ c: FormattingFixture.NumberCase) {
  #expect(formatNumber(Float(c.value.value)) == c.expected)
}

@Test(arguments: formattingFixture?.tensors ?? [])
private func tensorMatchesNumPyLayout(_ c: FormattingFixture.TensorCase) {
  let tensor = Tensor(shape: c.x.shape, scalars: c.x.data.map { Float($0.value) })
  #expect(formatTensor(tensor) == c.expected)
}

@Test(arguments: [
  (7.0, "7"), (0.1, "0.1"), (2.485, "2.485"), (-0.5, "-0.5"), (1e-05, "1e-5"),
  (1e16, "1e+16"), (1e15, "1000000000000000"), (0.0001, "0.0001"), (123456.789, "123456.789"),
  (1.0 / 3, "0.3333333333333333"), (-0.0, "0"), (123456789, "123456789"),
  (.infinity, "inf"), (-.infinity, "-inf"), (.nan, "nan"), (1.5e-7, "1.5e-7"),
  (2.5e100, "2.5e+100"), (1e-8, "1e-8"), (1e20, "1e+20"), (-1e-300, "-1e-300"),
  (0.1 + 0.2, "0.30000000000000004"), (Double(Float(0.1)), "0.10000000149011612"),
  (-5e-324, "-5e-324"),
])
func formatNumberDouble(_ x: Double, _ expected: String) {
  #expect(formatNumber(x) == expected)
}

@Test(arguments: [
  (Float(0.1), "0.1"), (1 / 3, "0.33333334"), (16_777_216, "16777216"), (1e8, "100000000"),
  (1e-5, "1e-5"), (1e16, "1e+16"), (-0.0, "0"), (.greatestFiniteMagnitude, "3.4028235e+38"),
  (-1e-8, "-1e-8"), (.leastNonzeroMagnitude, "1e-45"),
])
func formatNumberFloat(_ x: Float, _ expected: String) {
  #expect(formatNumber(x) == expected)
}

/// The printed form is a number literal the lexer reads back as the same Double: unpadded
/// exponents (`1e-8`, `1e+20`) included. (A sign is an operator in the language, so the
/// magnitudes are checked.)
@Test(arguments: [
  1e-8, 1e20, 1e16, 1e15, 1.5e-7, 0.1, 0.30000000000000004, 2.5e100, 5e-324,
  1.7976931348623157e308, 9.313225746154785e-10, 123456.789, 7, 0.0001, 1e-5,
])
func printedNumbersReadBackExactly(_ x: Double) {
  let source = Source(name: "test", text: formatNumber(x))
  let tokens = Lexer.tokenize(source).tokens
  #expect(tokens.count == 2)  // the number and eof
  #expect(TokenValue.number(tokens[0], in: source) == x)
}

/// A float32 element reads as the Double of its Float's shortest form, which prints as that
/// form: at most 9 significant digits, whatever the value.
@Test(arguments: [Float(0.1), Float(1) / 3, 0.460873, 2.4324821e-5, 1e30, -9.922706e-05] as [Float])
func float32ResultsPrintInFloat32Form(_ x: Float) {
  #expect(formatNumber(Value.element(x)) == formatNumber(x))
  #expect(formatNumber(Value.float32(Double(x))) == formatNumber(x))
  let digits = formatNumber(x).prefix { $0 != "e" }.filter(\.isNumber)
  #expect(digits.drop { $0 == "0" }.count <= 9)
}

@Test func formatTensorExamplesFromTheBrief() {
  #expect(formatTensor(Tensor(shape: [2, 1], scalars: [17, 39])) == "[[17],\n [39]]")
  #expect(formatTensor(Tensor([1, 2.5, -3])) == "[   1,  2.5,   -3]")
  #expect(formatTensor(Tensor(shape: [2, 2], scalars: [1, 10, 100, 2]))
    == "[[  1,  10],\n [100,   2]]")
  #expect(formatTensor(Tensor(scalar: 0.1)) == "0.1")
  #expect(formatTensor(Tensor(shape: [0], scalars: [])) == "[]")
  #expect(formatTensor(Tensor(shape: [2, 0], scalars: [])) == "[[], []]")
}

@Test func hugeEmptyTensorsAreSummarised() throws {
  let text = formatTensor(try Tensor.filled([5000, 0], 0))
  #expect(text == "[[], [], [], ..., [], [], []]")
}

/// Progress figures (the epoch lines and the live bar) keep four significant digits in the
/// language's number form, exponent included.
@Test(arguments: [
  (0.23144, "0.2314"), (1.2344e-5, "1.234e-5"), (0.00012344, "0.0001234"), (12.3456, "12.35"),
  (1868.4, "1868"), (0, "0"), (-0.0, "0"), (.infinity, "inf"), (.nan, "nan"),
  (2e-310, "2e-310"), (-1.5, "-1.5"),
] as [(Double, String)])
func progressFiguresKeepFourSignificantDigits(_ x: Double, _ expected: String) {
  #expect(TrainingUpdate.figure(x) == expected)
}
