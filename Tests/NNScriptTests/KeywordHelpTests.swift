import Testing

@testable import NNScript

/// `:help` for the language's own forms: every keyword completion offers has help, and
/// `:help train` lists every option `fit` declares.
struct KeywordHelpTests {
  @Test(arguments: Interpreter.keywords + KeywordHelp.operatorSymbols)
  func everyKeywordAndOperatorHasHelp(_ name: String) {
    let text = Interpreter().help(for: name)
    #expect(text?.contains("example:") == true, "\(name): \(text ?? "nil")")
  }

  @Test func trainHelpListsEveryTrainingOption() throws {
    let text = try #require(Interpreter().help(for: "train"))
    for option in Builtins.trainingOptions {
      #expect(text.contains("\n    \(option): "), "\(option)")
    }
    #expect(text.contains(":help fit"))
  }

  @Test func aBuiltinKeepsItsOwnHelp() throws {
    let text = try #require(Interpreter().help(for: "fit"))
    #expect(text.hasPrefix("fit("))
  }
}
