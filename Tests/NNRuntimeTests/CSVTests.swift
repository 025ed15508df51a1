import Testing
@testable import NNRuntime

// RFC 4180 parsing and the errors a malformed file gives, each with its line and column.

private func load(
  _ text: String, delimiter: Character = ",", header: Bool = true, target: CSVTarget = .last,
  classes: Int? = nil
) throws(DataError) -> Dataset {
  try CSV.load(text: text, delimiter: delimiter.asciiValue!, header: header, target: target,
               classes: classes)
}

private func error(
  _ text: String, header: Bool = true, target: CSVTarget = .last, classes: Int? = nil
) -> DataError? {
  do {
    _ = try load(text, header: header, target: target, classes: classes)
    return nil
  } catch {
    return error
  }
}

// MARK: - Parsing

@Test func headerAndLastColumnTarget() throws {
  let data = try load("a,b,y\n1,2,3\n4,5,6\n")
  #expect(data.x == Tensor(shape: [2, 2], scalars: [1, 2, 4, 5]))
  #expect(data.y == Tensor(shape: [2, 1], scalars: [3, 6]))
  #expect(data.classes == nil)
}

@Test func quotedFieldsMayHoldDelimitersQuotesAndLineBreaks() throws {
  let text = "\"a,1\",\"say \"\"hi\"\"\",\"multi\nline\"\n\"1\",\" 2 \",3\n4,5,\"6\"\n"
  let data = try load(text, target: .name("multi\nline"))
  #expect(data.x == Tensor(shape: [2, 2], scalars: [1, 2, 4, 5]))
  #expect(data.y == Tensor(shape: [2, 1], scalars: [3, 6]))
  #expect(try load(text, target: .name("say \"hi\"")).y.scalars == [2, 5])
  #expect(try load(text, target: .name("a,1")).y.scalars == [1, 4])
}

@Test func lineEndingsMayBeCRLFOrLFAndTheLastMayBeMissing() throws {
  let expected = Tensor(shape: [2, 1], scalars: [1, 3])
  for text in ["h,y\r\n1,2\r\n3,4\r\n", "h,y\n1,2\n3,4", "h,y\r1,2\r3,4\r", "h,y\r\n1,2\n3,4"] {
    #expect(try load(text).x == expected, "\(text.debugDescription)")
  }
}

@Test func blankLinesAndAByteOrderMarkAreSkipped() throws {
  let data = try load("\u{FEFF}a,y\n\n1,2\n   \n3,4\n\n")
  #expect(data.n == 2)
  #expect(data.y.scalars == [2, 4])
}

@Test func trailingDelimiterMakesAnEmptyLastField() {
  #expect(error("a,b\n1,\n") == DataError("empty cell: a value is missing", line: 2, column: 2))
}

@Test func numbersMayBeSignedScientificOrPadded() throws {
  let data = try load("a,y\n -1.5e2 ,+3\n.5,0.25\n")
  #expect(data.x.scalars == [-150, 0.5])
  #expect(data.y.scalars == [3, 0.25])
}

@Test func otherDelimitersAndNoHeader() throws {
  let data = try load("1\t2\t3\n4\t5\t6\n", delimiter: "\t", header: false, target: .index(0))
  #expect(data.x == Tensor(shape: [2, 2], scalars: [2, 3, 5, 6]))
  #expect(data.y.scalars == [1, 4])
  let semicolons = try load("a;b\n1;2\n", delimiter: ";")
  #expect(semicolons.y.scalars == [2])
}

@Test func targetByIndexCountsNegativeFromTheEnd() throws {
  let text = "a,b,c\n1,2,3\n"
  #expect(try load(text, target: .index(-3)).y.scalars == [1])
  #expect(try load(text, target: .index(1)).x.scalars == [1, 3])
  #expect(try load(text, target: .name("b")).y.scalars == [2])
}

@Test func classesMakeOneIndexPerRow() throws {
  let data = try load("a,label\n0.5,2\n1.5,0\n", classes: 3)
  #expect(data.y == Tensor(shape: [2], scalars: [2, 0]))
  #expect(data.classes == 3)
}

// MARK: - Errors

@Test func notANumberNamesLineAndColumn() {
  #expect(error("a,b,y\n1,2,3\n4,abc,6\n")
    == DataError("not a number: \"abc\"", line: 3, column: 2))
  #expect(error("a,y\n1,nan\n") == DataError("not a number: \"nan\"", line: 2, column: 2))
}

@Test func linesAreCountedThroughQuotedLineBreaks() {
  #expect(error("\"a\nb\",y\n\"1\n\",2\nx,3\n")
    == DataError(#"not a number: "1\u{A}""#, line: 3, column: 1))
  #expect(error("a,y\n\"1\n2\",3\n4,z\n")
    == DataError(#"not a number: "1\u{A}2""#, line: 2, column: 1))
}

@Test func raggedRowsNameTheLineAndBothCounts() {
  #expect(error("a,b,y\n1,2,3\n4,5\n")
    == DataError("this line has 2 fields, but the header has 3", line: 3))
  #expect(error("1,2\n3,4,5\n", header: false)
    == DataError("this line has 3 fields, but the first line has 2", line: 2))
}

@Test func emptyFilesAndHeaderOnlyFilesAreErrors() {
  #expect(error("") == DataError("the file is empty"))
  #expect(error("\n\n") == DataError("the file is empty"))
  #expect(error("a,b\n")
    == DataError("the file has a header line but no rows of data", line: 1))
}

@Test func unknownTargetsListTheColumns() {
  #expect(error("a,b\n1,2\n", target: .name("c"))
    == DataError("there is no column named \"c\"; the columns are \"a\", \"b\""))
  #expect(error("a,b\n1,2\n", target: .index(2))
    == DataError("there is no column 2 in a file of 2 columns; the columns are \"a\", \"b\""))
  #expect(error("1,2\n", header: false, target: .index(-3))
    == DataError("there is no column -3 in a file of 2 columns; the columns are 0 to 1"))
  #expect(error("1,2\n", header: false, target: .name("a"))?.message.contains("no header") == true)
}

@Test func labelsMustBeWholeNumbersBelowClasses() {
  #expect(error("a,y\n1,0\n2,5\n", classes: 3)
    == DataError("label 5 is not below classes: 3", line: 3, column: 2))
  #expect(error("a,y\n1,1.5\n", classes: 3)
    == DataError("label 1.5 is not a whole number", line: 2, column: 2))
  #expect(error("a,y\n1,-1\n", classes: 3)
    == DataError("label -1 is negative", line: 2, column: 2))
}

@Test func malformedQuotesAreErrors() {
  #expect(error("a,y\n1,\"2\n") == DataError("a quoted field is never closed", line: 2, column: 2))
  #expect(error("a,y\n\"1\"x,2\n")
    == DataError("unexpected text after the closing quote of a field", line: 2, column: 1))
}

@Test func oneColumnIsNotEnough() {
  #expect(error("y\n1\n")?.message.contains("only 1 column") == true)
}

@Test func errorsDescribeThemselvesWithTheirLocation() {
  #expect(DataError("bad", line: 3, column: 2).description == "3:2: bad")
  #expect(DataError("bad", line: 3).description == "3: bad")
  #expect(DataError("bad").description == "bad")
}

@Test func plainDecimalsParseExactlyAsDoubleDoes() throws {
  let cells = ["0", "-0", "7", "0.1", "-2.5", "123456789012345", "0.000000000000001", "3.",
               ".25", "+4.75", "1e3", "12345678901234567", "0x1p3", " 9.5 "]
  let text = "h,y\n" + cells.map { "\($0),0" }.joined(separator: "\n")
  let data = try load(text)
  for (row, cell) in cells.enumerated() {
    let expected = Float(Double(cell.trimmingCharacters(in: " "))!)
    #expect(data.x[flat: row].bitPattern == expected.bitPattern, "\(cell)")
  }
}

private extension String {
  func trimmingCharacters(in set: Character) -> String {
    String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
  }
}
