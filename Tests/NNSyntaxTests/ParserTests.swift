// Table-driven parser tests: source text → `ASTDump` of the tree, and source text → the
// diagnostics as (line, column, message). Go's and Zig's parser tables are the model.

import Testing

@testable import NNSyntax

/// The parser's tests, grouped by topic; `--filter ParserTests` runs them all.
@Suite enum ParserTests {}

// MARK: - Helpers

private func parse(_ text: String) -> ParseResult {
  Parser.parse(Source(name: "test.nn", text: text))
}

/// One expected diagnostic: where it starts and what it says.
struct ExpectedError: Equatable, Sendable, CustomStringConvertible {
  var line: Int
  var column: Int
  var message: String

  init(_ line: Int, _ column: Int, _ message: String) {
    self.line = line
    self.column = column
    self.message = message
  }

  var description: String { "\(line):\(column): \(message)" }
}

private func errors(of result: ParseResult) -> [ExpectedError] {
  result.diagnostics.map { diagnostic in
    let offset = diagnostic.location?.range.start ?? 0
    let (line, column) = result.program.source.lineAndColumn(of: offset)
    return ExpectedError(line, column, diagnostic.message)
  }
}

/// Checks that `text` parses without diagnostics and dumps as `expected`.
private func expectDump(
  _ text: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation
) {
  let result = parse(text)
  #expect(errors(of: result) == [], "\(text)", sourceLocation: sourceLocation)
  #expect(ASTDump.dump(result.program) == expected, "\(text)", sourceLocation: sourceLocation)
}

// MARK: - Expressions

extension ParserTests {
  @Suite struct Expressions {
    static let literals: [(String, String)] = [
      ("42", "42"),
      ("3.25", "3.25"),
      (".5", "0.5"),
      ("1e-3", "0.001"),
      ("60_000", "60000"),
      ("\"hi\"", "\"hi\""),
      ("\"\"", "\"\""),
      ("\"a\\nb \\{x}\"", "\"a\\nb \\{x}\""),
      ("\"loss {h.loss[-1]}\"", "(str \"loss \" (index (. h loss) (- 1)))"),
      ("\"{x}\"", "(str x)"),
      ("\"{a} and {b}!\"", "(str a \" and \" b \"!\")"),
      ("\"{ \"{x}\" }\"", "(str (str x))"),
      ("true", "true"),
      ("false", "false"),
      ("nil", "nil"),
      ("name_1", "name_1"),
      ("[]", "[]"),
      ("[1, 2, 3]", "[1 2 3]"),
      ("[[1, 2], [3, 4],]", "[[1 2] [3 4]]"),
      ("[\n  1,\n  2\n]", "[1 2]"),
      ("(1)", "1"),
      ("(1, 2)", "(tuple 1 2)"),
      ("(a,)", "(tuple a)"),
      ("(a, b, c,)", "(tuple a b c)"),
      ("{}", "(record)"),
      ("{lr: 0.1, epochs: 10}", "(record lr: 0.1 epochs: 10)"),
      ("{\n  lr: 0.1\n  epochs: 10\n}", "(record lr: 0.1 epochs: 10)"),
      ("{a: 1,\n b: 2,}", "(record a: 1 b: 2)"),
      ("{a: {b: {}}}", "(record a: (record b: (record)))"),
    ]

    @Test(arguments: literals)
    func literal(source: String, expected: String) {
      expectDump(source, expected)
    }

    static let operators: [(String, String)] = [
      ("1 + 2 * 3", "(+ 1 (* 2 3))"),
      ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
      ("1 - 2 - 3", "(- (- 1 2) 3)"),
      ("a / b % c @ d", "(@ (% (/ a b) c) d)"),
      ("2 ^ 3 ^ 2", "(^ 2 (^ 3 2))"),
      ("-2 ^ 2", "(- (^ 2 2))"),
      ("2 ^ -1", "(^ 2 (- 1))"),
      ("2 ^ -x ^ 2", "(^ 2 (- (^ x 2)))"),
      ("-a * b", "(* (- a) b)"),
      ("a * -b", "(* a (- b))"),
      ("- - a", "(- (- a))"),
      ("a - -b", "(- a (- b))"),
      ("not a == b", "(not (== a b))"),
      ("not a and b", "(and (not a) b)"),
      ("not not a", "(not (not a))"),
      ("a or b and c", "(or a (and b c))"),
      ("a and not b or c", "(or (and a (not b)) c)"),
      ("a < b == c >= d", "(>= (== (< a b) c) d)"),
      ("a != b <= c > d", "(> (<= (!= a b) c) d)"),
      ("a..<b+1", "(..< a (+ b 1))"),
      ("0...n - 1", "(... 0 (- n 1))"),
      ("a..<b == c", "(== (..< a b) c)"),
      ("x < 0..<5", "(< x (..< 0 5))"),
      ("-1...-2", "(... (- 1) (- 2))"),
      ("a @ b.T + c", "(+ (@ a (. b T)) c)"),
      ("1 +\n 2", "(+ 1 2)"),
      ("a and\nb", "(and a b)"),
    ]

    @Test(arguments: operators)
    func precedence(source: String, expected: String) {
      expectDump(source, expected)
    }

    static let postfix: [(String, String)] = [
      ("f()", "(call f)"),
      ("f(1, 2)", "(call f 1 2)"),
      ("f(1, b: 2, c: 3,)", "(call f 1 b: 2 c: 3)"),
      ("f(x)(y)", "(call (call f x) y)"),
      ("adam(lr: 0.05)", "(call adam lr: 0.05)"),
      ("f(\n  1,\n  k: 2\n)", "(call f 1 k: 2)"),
      ("t[0]", "(index t 0)"),
      ("t[-1]", "(index t (- 1))"),
      ("t[1, 2]", "(index t 1 2)"),
      ("t[:, 0]", "(index t (: _ _) 0)"),
      ("t[1:]", "(index t (: 1 _))"),
      ("t[:2]", "(index t (: _ 2))"),
      ("t[1:-1, :]", "(index t (: 1 (- 1)) (: _ _))"),
      ("t[2..<5]", "(index t (..< 2 5))"),
      ("t[i,]", "(index t i)"),
      ("r.name", "(. r name)"),
      ("t.T", "(. t T)"),
      ("net.dense1.weight", "(. (. net dense1) weight)"),
      ("h.loss[-1]", "(index (. h loss) (- 1))"),
      ("data.x[0].shape", "(. (index (. data x) 0) shape)"),
      ("f(a)[0].b(c)", "(call (. (index (call f a) 0) b) c)"),
      ("-f(x)^2", "(- (^ (call f x) 2))"),
      ("[1, 2][0]", "(index [1 2] 0)"),
      ("{a: 1}.a", "(. (record a: 1) a)"),
      ("\"s\".size", "(. \"s\" size)"),
      ("split(d, 0.8)[0]", "(index (call split d 0.8) 0)"),
    ]

    @Test(arguments: postfix)
    func postfixChains(source: String, expected: String) {
      expectDump(source, expected)
    }

    static let compound: [(String, String)] = [
      ("fn (x) { x + 1 }", "(fn (x) (block (+ x 1)))"),
      ("fn () { }", "(fn () (block))"),
      ("fn (a, b = 2,) {\n  a\n  b\n}", "(fn (a b=2) (block a b))"),
      ("(fn (x) { x })(3)", "(call (fn (x) (block x)) 3)"),
      ("if c { 1 }", "(if c (block 1))"),
      ("if c { 1 } else { 2 }", "(if c (block 1) (block 2))"),
      (
        "if a { 1 } else if b { 2 } else { 3 }",
        "(if a (block 1) (block (if b (block 2) (block 3))))"
      ),
      (
        "if a {\n  1\n}\nelse if b {\n  2\n}\nelse {\n  3\n}",
        "(if a (block 1) (block (if b (block 2) (block 3))))"
      ),
      ("if a { 1 } else if b { 2 }", "(if a (block 1) (block (if b (block 2))))"),
      ("1 + if c { 2 } else { 3 }", "(+ 1 (if c (block 2) (block 3)))"),
      ("if x > 0 { x } else { -x }", "(if (> x 0) (block x) (block (- x)))"),
      ("if c\n{ 1 }", "(if c (block 1))"),
      ("if {a: 1}.a { 2 }", "(if (. (record a: 1) a) (block 2))"),
      ("model(2) { dense(1) }", "(model 2 (block (call dense 1)))"),
      ("model([1, 8, 8]) {\n  conv2d(4, 3)\n  flatten\n}",
       "(model [1 8 8] (block (call conv2d 4 3) flatten))"),
      ("train net on data { epochs: 5 }", "(train net data epochs: 5)"),
      (
        "train net on data {\n  loss: mse\n  optimizer: adam(lr: 0.05)\n  epochs: 500\n}",
        "(train net data loss: mse optimizer: (call adam lr: 0.05) epochs: 500)"
      ),
      ("train net on data { loss: mse; epochs: 2, batch: 1; }",
       "(train net data loss: mse epochs: 2 batch: 1)"),
      ("train net on data {}", "(train net data)"),
      ("train nets[0] on data[0..<100] {\n}", "(train (index nets 0) (index data (..< 0 100)))"),
      ("train net on data\n{ epochs: 1 }", "(train net data epochs: 1)"),
      ("train net on split(d)[0] { epochs: 1 }.loss",
       "(. (train net (index (call split d) 0) epochs: 1) loss)"),
    ]

    @Test(arguments: compound)
    func compoundExpressions(source: String, expected: String) {
      expectDump(source, expected)
    }
  }
}

// MARK: - Statements

extension ParserTests {
  @Suite struct Statements {
    static let statements: [(String, String)] = [
      ("let x = 1", "(let x 1)"),
      ("let (a, b) = pair", "(let (a b) pair)"),
      ("let (tr, te,) = standardize(tr, te)", "(let (tr te) (call standardize tr te))"),
      ("let x =\n  1 + 2", "(let x (+ 1 2))"),
      ("x = 2", "(= x 2)"),
      ("x += 1", "(+= x 1)"),
      ("x -= 1", "(-= x 1)"),
      ("x *= 2", "(*= x 2)"),
      ("x /= 2", "(/= x 2)"),
      ("net.dense1.weight = t", "(= (. (. net dense1) weight) t)"),
      ("t[0, 1] = 5", "(= (index t 0 1) 5)"),
      ("fn sq(x) { x * x }", "(fn sq (x) (block (* x x)))"),
      ("fn f(a, b = 1) {\n  return a + b\n}", "(fn f (a b=1) (block (return (+ a b))))"),
      ("fn f()\n{\n}", "(fn f () (block))"),
      ("fn f() { return }", "(fn f () (block (return)))"),
      ("fn f() { return; 1 }", "(fn f () (block (return) 1))"),
      ("fn f() {\n  return\n}", "(fn f () (block (return)))"),
      ("for x in xs { print(x) }", "(for x xs (block (call print x)))"),
      ("for (k, v) in r {\n  k\n}", "(for (k v) r (block k))"),
      ("for i in 0..<10 { }", "(for i (..< 0 10) (block))"),
      ("while i < 3 { i += 1 }", "(while (< i 3) (block (+= i 1)))"),
      ("while true { break; continue }", "(while true (block (break) (continue)))"),
      ("import \"other.nn\"", "(import \"other.nn\")"),
      ("model net(2) {\n  dense(8, tanh)\n  dense(1, sigmoid)\n}",
       "(model net 2 (block (call dense 8 tanh) (call dense 1 sigmoid)))"),
      ("fn (x) { x }", "(fn (x) (block x))"),
      ("model(2) { relu }", "(model 2 (block relu))"),
      ("1; 2;; 3", "1\n2\n3"),
      ("\n\n1\n\n2\n", "1\n2"),
      ("# comment\nx # trailing\n", "x"),
      ("", ""),
      (";", ""),
      ("a\nb\nc", "a\nb\nc"),
      ("{a: 1}", "(record a: 1)"),
      ("print(\"final loss {h.loss[-1]}\")",
       "(call print (str \"final loss \" (index (. h loss) (- 1))))"),
      ("let f = fn (x) {\n  let y = x\n  y\n}", "(let f (fn (x) (block (let y x) y)))"),
    ]

    @Test(arguments: statements)
    func statement(source: String, expected: String) {
      expectDump(source, expected)
    }
  }
}

// MARK: - Model bodies

extension ParserTests {
  @Suite struct Models {
    static let models: [(String, String)] = [
      ("model m(2) { d1 = dense(8) }", "(model m 2 (block (layer d1 (call dense 8))))"),
      ("model m(2) {\n  relu\n  dropout(0.5)\n}",
       "(model m 2 (block relu (call dropout 0.5)))"),
      ("model m(2) {\n  residual {\n    dense(2)\n    relu\n  }\n}",
       "(model m 2 (block (blocklayer residual () (block (call dense 2) relu))))"),
      ("model m(2) { residual(2, k: 1) { dense(2) } }",
       "(model m 2 (block (blocklayer residual (2 k: 1) (block (call dense 2)))))"),
      ("model m(2) { r = residual { dense(2) } }",
       "(model m 2 (block (blocklayer r residual () (block (call dense 2)))))"),
      ("model m(2) { r = residual(1) { x = relu } }",
       "(model m 2 (block (blocklayer r residual (1) (block (layer x relu)))))"),
      (
        "model m(4) {\n  let w = 8\n  for i in 0..<3 {\n    h = dense(w)\n  }\n}",
        "(model m 4 (block (let w 8) (for i (..< 0 3) (block (layer h (call dense w))))))"
      ),
      (
        "model m(4) {\n  if deep {\n    a = relu\n  } else {\n    b = tanh\n  }\n}",
        "(model m 4 (block (if deep (block (layer a relu)) (block (layer b tanh)))))"
      ),
      (
        "model m(4) {\n  fn make() {\n    x = 1\n  }\n}",
        "(model m 4 (block (fn make () (block (= x 1)))))"
      ),
      ("model m(4) { net.dense1.weight = w }",
       "(model m 4 (block (= (. (. net dense1) weight) w)))"),
      ("model m(4) { n += 1 }", "(model m 4 (block (+= n 1)))"),
      ("model m(4) { dense(f(if c { x = 1 } else { 2 })) }",
       "(model m 4 (block (call dense (call f (if c (block (= x 1)) (block 2))))))"),
      ("model m(4) { model(2) { x = relu } }",
       "(model m 4 (block (model 2 (block (layer x relu)))))"),
      ("x = 1", "(= x 1)"),
      ("let f = fn () { model(2) { a = relu } }",
       "(let f (fn () (block (model 2 (block (layer a relu))))))"),
      (
        "model seed_net(2) {\n"
          + "  dense(2, sigmoid, weight: [[0.1, 0.2], [0.3, 0.4]], bias: [0.1, 0.2])\n}",
        "(model seed_net 2 (block (call dense 2 sigmoid weight: [[0.1 0.2] [0.3 0.4]] "
          + "bias: [0.1 0.2])))"
      ),
    ]

    @Test(arguments: models)
    func modelBody(source: String, expected: String) {
      expectDump(source, expected)
    }
  }
}

// MARK: - Ranges

extension ParserTests {
  @Suite struct Ranges {
    /// Each case: source, and the text the first statement's node covers.
    static let cases: [(String, String)] = [
      ("1 + 2 * 3  # c", "1 + 2 * 3"),
      ("(1 + 2) * 3", "(1 + 2) * 3"),
      ("f(a, b: 2)\n", "f(a, b: 2)"),
      ("t[1:, 0].T", "t[1:, 0].T"),
      ("-x ^ 2", "-x ^ 2"),
      ("let x = [1, 2]", "let x = [1, 2]"),
      ("x += 1", "x += 1"),
      ("fn f(x) {\n  x\n}\n", "fn f(x) {\n  x\n}"),
      ("for i in xs { }", "for i in xs { }"),
      ("return", "return"),
      ("import \"a.nn\"", "import \"a.nn\""),
      ("if a { 1 }\nelse { 2 }", "if a { 1 }\nelse { 2 }"),
      ("train n on d { epochs: 1 }", "train n on d { epochs: 1 }"),
      ("\"a {x} b\"", "\"a {x} b\""),
    ]

    @Test(arguments: cases)
    func statementRange(source: String, covered: String) {
      let result = parse(source)
      #expect(result.diagnostics.isEmpty)
      let range = result.program.statements.first?.range
      #expect(range.map(result.program.source.text) == covered)
    }

    @Test func nestedRanges() {
      let result = parse("let y = f(a + b)[0]")
      guard case .letBinding(_, let value)? = result.program.statements.first?.kind,
        case .index(let base, _) = value.kind,
        case .call(_, let arguments) = base.kind
      else {
        Issue.record("unexpected tree: \(ASTDump.dump(result.program))")
        return
      }
      let source = result.program.source
      #expect(source.text(value.range) == "f(a + b)[0]")
      #expect(source.text(base.range) == "f(a + b)")
      #expect(source.text(arguments[0].range) == "a + b")
    }

    @Test func modelLayerRanges() {
      let result = parse("model m(2) {\n  r = residual(1) {\n    relu\n  }\n  d = dense(2)\n}")
      guard case .model(let model)? = result.program.statements.first?.kind,
        model.body.statements.count == 2
      else {
        Issue.record("unexpected tree: \(ASTDump.dump(result.program))")
        return
      }
      let source = result.program.source
      #expect(source.text(model.body.statements[0].range) == "r = residual(1) {\n    relu\n  }")
      #expect(source.text(model.body.statements[1].range) == "d = dense(2)")
    }
  }
}

// MARK: - Errors

/// A source, the diagnostics it must give, and whether the REPL should read more.
struct ErrorCase: Sendable, CustomTestStringConvertible {
  var source: String
  var expected: [ExpectedError]
  var isIncomplete = false

  var testDescription: String { source.debugDescription }
}

extension ParserTests {
  @Suite struct Errors {
    static let cases: [ErrorCase] = [
      ErrorCase(source: "1 + )", expected: [.init(1, 5, "expected an expression, found ')'")]),
      ErrorCase(
        source: "(1 +", expected: [.init(1, 5, "expected an expression, found end of input")],
        isIncomplete: true),
      ErrorCase(
        source: "fn f() {", expected: [.init(1, 8, "expected '}' to close '{' opened at line 1")],
        isIncomplete: true),
      ErrorCase(
        source: "fn f() {\n  if x {\n", expected: [
          .init(2, 8, "expected '}' to close '{' opened at line 2")
        ], isIncomplete: true),
      ErrorCase(
        source: "f(1,\n  2", expected: [.init(1, 2, "expected ')' to close '(' opened at line 1")],
        isIncomplete: true),
      ErrorCase(
        source: "let x =", expected: [.init(1, 8, "expected an expression, found end of input")],
        isIncomplete: true),
      ErrorCase(
        source: "while x", expected: [.init(1, 8, "expected '{', found end of input")],
        isIncomplete: true),
      ErrorCase(
        source: "\"a {x", expected: [.init(1, 1, "unterminated string")], isIncomplete: true),
      ErrorCase(source: "}", expected: [.init(1, 1, "unexpected '}'")]),
      ErrorCase(source: "a\n}\nb", expected: [.init(2, 1, "unexpected '}'")]),
      ErrorCase(source: "x = y = z", expected: [.init(1, 7, "unexpected '='")]),
      ErrorCase(source: "foo)", expected: [.init(1, 4, "unexpected ')'")]),
      ErrorCase(source: "let x = 1 2", expected: [.init(1, 11, "unexpected '2'")]),
      ErrorCase(
        source: "let = 1",
        expected: [.init(1, 5, "expected a name or '(' after 'let', found '='")]),
      ErrorCase(source: "let (a b) = c",
        expected: [.init(1, 8, "expected ')' to close '(' opened at line 1")]),
      ErrorCase(
        source: "let (a, a) = c", expected: [.init(1, 9, "duplicate name 'a' in pattern")]),
      ErrorCase(
        source: "else { 1 }", expected: [.init(1, 1, "expected an expression, found 'else'")]),
      ErrorCase(source: "f(x) = 1", expected: [.init(1, 1, "cannot assign to a function call")]),
      ErrorCase(source: "1 + 2 = 3",
        expected: [.init(1, 1, "cannot assign to the result of an operator")]),
      ErrorCase(source: "3 += 1", expected: [.init(1, 1, "cannot assign to a literal")]),
      ErrorCase(source: "(a, b) = c", expected: [
        .init(1, 1, "cannot assign to a tuple (to destructure, write 'let (a, b) = …')")
      ]),
      ErrorCase(
        source: "f(a: 1, 2)", expected: [.init(1, 9, "positional argument after named arguments")]),
      ErrorCase(source: "f(a: 1, a: 2)", expected: [.init(1, 9, "duplicate argument 'a'")]),
      ErrorCase(source: "fn f(a, a) { }", expected: [.init(1, 9, "duplicate parameter 'a'")]),
      ErrorCase(source: "{a: 1, a: 2}", expected: [.init(1, 8, "duplicate field 'a'")]),
      ErrorCase(source: "let x = f(a: 1, 2) + )",
        expected: [.init(1, 17, "positional argument after named arguments")]),
      ErrorCase(source: "import \"{x}.nn\"", expected: [
        .init(1, 8, "the path after 'import' must be a plain string, without interpolation")
      ]),
      ErrorCase(source: "import x",
        expected: [.init(1, 8, "expected a file path string after 'import', found 'x'")]),
      ErrorCase(source: "a..<b..<c",
        expected: [.init(1, 6, "'..<' cannot follow '..<': ranges do not chain; use parentheses")]),
      ErrorCase(source: "a == not b", expected: [
        .init(1, 6, "expected an expression, found 'not'; put 'not …' in parentheses here")
      ]),
      ErrorCase(
        source: "f(1 2)", expected: [.init(1, 5, "expected ')' to close '(' opened at line 1")]),
      ErrorCase(source: "let t = [1, 2\nlet y = 3",
        expected: [.init(2, 1, "expected ']' to close '[' opened at line 1")]),
      ErrorCase(source: "{a: 1 b: 2}",
        expected: [.init(1, 7, "expected '}' to close '{' opened at line 1")]),
      ErrorCase(source: "{1, 2}", expected: [.init(1, 2, "expected a field name, found '1'")]),
      ErrorCase(source: "{a 1}",
        expected: [.init(1, 4, "expected ':' after the field name 'a', found '1'")]),
      ErrorCase(
        source: "a.1", expected: [.init(1, 3, "expected a member name after '.', found '1'")]),
      ErrorCase(source: "a.", expected: [
        .init(1, 3, "expected a member name after '.', found end of input")
      ], isIncomplete: true),
      ErrorCase(source: "fn (x) x", expected: [.init(1, 8, "expected '{', found 'x'")]),
      ErrorCase(source: "fn f x", expected: [
        .init(1, 6, "expected '(' after the function name, found 'x'")
      ]),
      ErrorCase(source: "let f = fn g() { }", expected: [
        .init(1, 12, "expected '(' after 'fn', found 'g'")
      ]),
      ErrorCase(source: "for x xs { }", expected: [
        .init(1, 7, "expected 'in' after the loop variable, found 'xs'")
      ]),
      ErrorCase(source: "train net data { }", expected: [
        .init(1, 11, "expected 'on' after the model in 'train', found 'data'")
      ]),
      ErrorCase(source: "train net on data\nx", expected: [
        .init(2, 1, "expected '{' and the training options, found 'x'")
      ]),
      ErrorCase(source: "model m { }", expected: [
        .init(1, 9, "expected '(' and the input shape after the model name, found '{'")
      ]),
      ErrorCase(source: "model m(2) { dense(2) + 1 { relu } }", expected: [
        .init(1, 27, "unexpected '{': a block layer starts with its kind, as in 'residual {' or "
          + "'name = residual(…) {'")
      ]),
      ErrorCase(source: "t[]", expected: [.init(1, 3, "expected an expression, found ']'")]),
      ErrorCase(source: "()", expected: [.init(1, 2, "expected an expression, found ')'")]),
      ErrorCase(source: "\"{}\"", expected: [.init(1, 3, "expected an expression, found '}'")]),
      ErrorCase(source: "\"a {x y} b\"", expected: [
        .init(1, 7, "expected '}' to close the interpolation '{' in the string opened at line 1")
      ]),
      // Several bad statements: each is reported once, the good ones in between survive.
      ErrorCase(
        source: "let = 1\nf(1 2)\nok(1)\ny = ]\nz = 3 3\n",
        expected: [
          .init(1, 5, "expected a name or '(' after 'let', found '='"),
          .init(2, 5, "expected ')' to close '(' opened at line 2"),
          .init(4, 5, "expected an expression, found ']'"),
          .init(5, 7, "unexpected '3'"),
        ]),
      ErrorCase(
        source: "fn f() {\n  let = 1\n  g(\n}\nh(]\nk",
        expected: [
          .init(2, 7, "expected a name or '(' after 'let', found '='"),
          .init(4, 1, "expected an expression, found '}'"),
          .init(5, 3, "expected an expression, found ']'"),
        ]),
    ]

    @Test(arguments: cases)
    func diagnostics(_ testCase: ErrorCase) {
      let result = parse(testCase.source)
      #expect(errors(of: result) == testCase.expected)
      #expect(result.isIncomplete == testCase.isIncomplete)
    }

    /// Source → the statements that survive the errors.
    static let recoveries: [(String, String)] = [
      ("let = 1\nf(1 2)\nok(1)\ny = ]\nz = 3 3\n", "(call ok 1)"),
      ("fn f() {\n  let = 1\n  g()\n}\nh()", "(fn f () (block (call g)))\n(call h)"),
      (
        "fn f() {\n  let r = {a: 1 b: 2}\n  ok\n}\nnext",
        "(fn f () (block ok))\nnext"
      ),
      ("a\n}\nb", "a\nb"),
      ("let x = }\ny", "y"),
      ("1 + )\n2", "2"),
      ("x $ y\nz", "z"),
      // The lexer keeps line breaks inside an open `[`, so the rest is one statement.
      ("let t = [1, 2\nlet y = 3\nz", ""),
      ("model m(2) {\n  dense(2) + 1 { relu }\n  relu\n}", "(model m 2 (block relu))"),
      ("good(1)\n(1 +", "(call good 1)"),
    ]

    @Test(arguments: recoveries)
    func recovery(source: String, expected: String) {
      let result = parse(source)
      #expect(!result.diagnostics.isEmpty)
      #expect(ASTDump.dump(result.program) == expected)
    }

    static let incomplete: [(String, Bool)] = [
      ("(1 +", true), ("fn f() {", true), ("\"abc", true), ("[1, 2", true), ("f(1,", true),
      ("let x =", true), ("if x", true), ("if x { 1 } else", true),
      ("model m(2) {\n dense(2)", true),
      ("\"a {x", true), ("1 +", true), ("{a: 1,", true), ("train n on d {", true),
      ("1 + )", false), ("}", false), ("let = 1", false), ("f(1 2", false), ("x $", false),
      ("1", false), ("fn f() {\n  let = 1\n", false), ("a..<b..<", false),
    ]

    @Test(arguments: incomplete)
    func incompleteInput(source: String, expected: Bool) {
      let result = parse(source)
      #expect(result.isIncomplete == expected)
      if !expected && source != "1" { #expect(!result.diagnostics.isEmpty) }
    }

    @Test func invalidCharactersAreReportedOnlyByTheLexer() {
      let result = parse("let x = 1 $ 2\nlet $ = 3\ny")
      #expect(result.diagnostics.count == 2)
      #expect(result.diagnostics.allSatisfy { $0.code == .invalidCharacter })
      #expect(ASTDump.dump(result.program) == "y")
    }

    @Test func diagnosticsAreInSourceOrderWithCodes() {
      let result = parse("x $\n1 + )\n(")
      let codes = result.diagnostics.map(\.code)
      #expect(codes == [.invalidCharacter, .unexpectedToken, .unexpectedEndOfInput])
    }
  }
}

// MARK: - Limits

extension ParserTests {
  @Suite struct Limits {
    static let deep = 100_000

    /// Pathological nesting: each must give exactly one `.nestingTooDeep` and no crash.
    static let tooDeep: [String] = [
      String(repeating: "(", count: deep),
      String(repeating: "(", count: deep) + "1" + String(repeating: ")", count: deep),
      String(repeating: "[", count: deep),
      String(repeating: "{a: ", count: deep),
      String(repeating: "-", count: deep) + "1",
      String(repeating: "not ", count: deep) + "x",
      String(repeating: "2 ^ ", count: deep) + "2",
      String(repeating: "fn () { ", count: deep),
      String(repeating: "if x { ", count: deep),
      String(repeating: "while x { ", count: deep),
      String(repeating: "f(", count: deep),
      String(repeating: "t[", count: deep),
      String(repeating: "train ", count: deep),
      String(repeating: "model(", count: deep),
      String(repeating: "\"{", count: deep),
      String(repeating: "model m(2) { residual { ", count: 1_000),
      // A chain builds a tree as deep as it is long, which later stages walk recursively.
      "x" + String(repeating: "[0]", count: deep),
      "x" + String(repeating: ".y", count: deep),
      "f" + String(repeating: "()", count: deep),
      "if a { 1 }" + String(repeating: " else if a { 1 }", count: deep) + " else { 2 }",
    ]

    @Test(arguments: tooDeep.indices)
    func deepNestingGivesOneDiagnostic(index: Int) {
      let result = parse(Self.tooDeep[index])
      let nesting = result.diagnostics.filter { $0.code == .nestingTooDeep }
      #expect(nesting.count == 1)
      // Past `Parser.maxSyntaxErrors` unterminated strings, a note counts the rest.
      #expect(result.diagnostics.filter {
        $0.code != .unterminatedString && $0.severity != .note
      }.count == 1)
    }

    /// A stream of errors stops at `Parser.maxSyntaxErrors`, in source order, with a note
    /// counting the rest: lexer and parser errors alike, past the cap or never stored.
    @Test func syntaxErrorsStopAtTheCapWithACountOfTheRest() {
      let result = parse(String(repeating: "$\n)\n", count: 300))
      let errors = result.diagnostics.filter { $0.severity == .error }
      #expect(errors.count == Parser.maxSyntaxErrors)
      let starts = errors.compactMap { $0.location?.range.start }
      #expect(starts == starts.sorted())
      #expect(result.diagnostics.last?.severity == .note)
      #expect(result.diagnostics.last?.message
        == "500 more syntax errors not shown: stopped after the first 100")
      #expect(!result.isIncomplete)
    }

    /// A flat chain is not nesting: 10,000 operands parse (253 used to be "nesting is too
    /// deep"), and a chain past `maxChainLength` is one diagnostic of its own.
    @Test func aLongFlatChainIsNotNesting() {
      let long = parse("1" + String(repeating: " + 1", count: Parser.maxChainLength))
      #expect(long.diagnostics.isEmpty)
      let mixed = parse("1" + String(repeating: " + 2 * 3 - 1", count: Parser.maxChainLength / 2))
      #expect(mixed.diagnostics.isEmpty)
      let tooLong = parse("a" + String(repeating: " + a", count: Self.deep))
      #expect(tooLong.diagnostics.map(\.code) == [.expressionTooLong])
      #expect(tooLong.diagnostics.first?.message
        == "this expression chains more than 10000 operators; split it into parts held in "
          + "variables")
    }

    @Test func nestingJustUnderTheLimitParses() {
      let depth = Parser.maxNestingDepth - 2
      let text = String(repeating: "(", count: depth) + "1" + String(repeating: ")", count: depth)
      let result = parse(text)
      #expect(result.diagnostics.isEmpty)
      #expect(ASTDump.dump(result.program) == "1")
    }

    /// Long sequences are arrays in the tree, not nesting.
    static let long: [String] = [
      String(repeating: "x\n", count: 20_000),
      "[" + String(repeating: "1, ", count: 20_000) + "]",
      "f(" + String(repeating: "1, ", count: 20_000) + ")",
      "{" + (0..<5_000).map { "a\($0): 1" }.joined(separator: ", ") + "}",
      "fn f() {\n" + String(repeating: "  x = x + 1\n", count: 20_000) + "}",
      // Chains well inside the limit.
      "a" + String(repeating: " + a", count: 200),
      "x" + String(repeating: ".y[0]", count: 100),
      "if a { 1 }" + String(repeating: " else if a { 1 }", count: 200) + " else { 2 }",
    ]

    @Test(arguments: long.indices)
    func longFlatInputParses(index: Int) {
      let result = parse(Self.long[index])
      #expect(result.diagnostics.isEmpty)
    }

    /// Every prefix of a script (a REPL line being typed) parses without trapping.
    @Test func everyPrefixOfAScriptParses() {
      let script = """
        model net(2) {
          d = dense(8, tanh)
          residual(1) { dense(8); relu }
          for i in 0..<2 { if i > 0 { x = relu } else { gelu } }
        }
        let h = train net on data { loss: mse, epochs: 5 }
        print("loss {h.loss[-1]:.3}", t[:, 0], f(a, b: -2 ^ -1))
        fn f(a, b = 1) { return a..<b }
        """
      let scalars = Array(script.unicodeScalars)
      for end in 0...scalars.count {
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars[..<end])
        _ = parse(text)
      }
    }
  }
}

// MARK: - Robustness

extension ParserTests {
  @Suite struct Robustness {
    static let vocabulary = [
      "let", "fn", "model", "for", "in", "while", "if", "else", "train", "on", "return",
      "break", "continue", "import", "x", "f", "residual", "1", "2.5", "\"s\"", "\"a {", "} b\"",
      "(", ")", "[", "]", "{", "}", ",", ":", ";", "\n", "+", "-", "*", "^", "..<", "...", "=",
      "+=", ".", "not", "and", "or", "==", "@", "$", "true", "nil",
    ]

    /// Random token soup, from a fixed seed: the parser never traps or hangs, every diagnostic
    /// lies inside the source, and a statement reports at most one syntax error per line of
    /// input (no cascades).
    @Test func randomTokenSequencesNeverTrap() {
      var state: UInt64 = 0x9E37_79B9_7F4A_7C15
      func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
      }
      for _ in 0..<3_000 {
        let count = 1 + next(40)
        let text = (0..<count).map { _ in Self.vocabulary[next(Self.vocabulary.count)] }
          .joined(separator: " ")
        let result = parse(text)
        let size = result.program.source.bytes.count
        for diagnostic in result.diagnostics {
          let range = diagnostic.location?.range ?? SourceRange(start: -1, end: -1)
          #expect(range.start >= 0 && range.end <= size, "\(text.debugDescription)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
        let syntax = result.diagnostics.filter {
          [.unexpectedToken, .unexpectedEndOfInput].contains($0.code)
        }
        // `;` also separates statements, so count those too.
        let statements = lines + text.filter { $0 == ";" }.count
        #expect(syntax.count <= statements + text.filter { $0 == "}" }.count,
                "\(text.debugDescription)")
      }
    }
  }
}
