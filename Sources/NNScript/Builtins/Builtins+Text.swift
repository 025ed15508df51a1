import NNRuntime
import NNSyntax

// Text as data for character models: a vocabulary of characters, text to ids and back, and the
// shipped text (`sonnets()`). A character is what `len`, `list` and `for c in text` count: one
// extended grapheme cluster (`"\r\n"` is one character, as it is for them).

extension Builtins {
  static let text: [Builtin] = [
    Builtin("chars", [.required("text", .string, "the text")], doc: BuiltinDoc(
      "text",
      "Returns the distinct characters of a text, sorted: a vocabulary for encode and decode.",
      "print(chars(\"hello\"))")) { (context) throws(Diagnostic) in
      let text = try context.string("text")
      let distinct = Set(text.map { String($0) })
      try context.checkListBytes(distinct.count)
      return .list(distinct.sorted(by: Vocabulary.precedes).map { .string($0) })
    },
    Builtin("encode", [
      .required("text", .string, "the text"),
      .required("vocab", .any, "the characters: a list of one-character strings, or a string"),
    ], doc: BuiltinDoc(
      "text",
      "Turns a text into a tensor of ids: each character's index in vocab.",
      "let vocab = chars(\"hello\")\n"
      + "print(encode(\"hole\", vocab))")) { (context) throws(Diagnostic) in
      let text = try context.string("text")
      let vocabulary = try context.vocabulary("vocab")
      var ids: [Float] = []
      ids.reserveCapacity(text.utf8.count)
      for (position, character) in text.enumerated() {
        guard let id = vocabulary.ids[String(character)] else {
          throw context.error(
            .invalidArgument,
            "the character \(ValueFormatter.quote(String(character))) at index \(position) of "
              + "the text is not in the vocabulary (\(counted(vocabulary.count, "character")))",
            at: "text", hint: "make the vocabulary from all the text the model will see: "
              + "chars(text)")
        }
        ids.append(Float(id))
      }
      return .tensor(try context.runtime { () throws(TensorError) in
        _ = try Tensor.checkedAllocation([ids.count])
        return Tensor(ids)
      })
    },
    Builtin("decode", [
      .required("ids", .tensor, "a number or a vector of ids"),
      .required("vocab", .any, "the characters: a list of one-character strings, or a string"),
    ], doc: BuiltinDoc(
      "text",
      "Turns ids back into text: each id is an index in vocab.",
      "let vocab = chars(\"hello\")\n"
      + "print(decode([1, 3, 2, 0], vocab))")) { (context) throws(Diagnostic) in
      let ids = try context.tensorLike("ids")
      guard ids.rank <= 1 else {
        throw context.error(
          .shapeMismatch,
          "decode takes one id or a vector of ids, but this tensor has shape "
            + shapeText(ids.shape), at: "ids",
          hint: "decode each row: decode(ids[0], vocab)")
      }
      let vocabulary = try context.vocabulary("vocab")
      var text = ""
      for (position, x) in ids.scalars.enumerated() {
        let id = Value.element(x)
        guard let index = CallContext.exactInteger(id), index >= 0,
          index < vocabulary.count
        else {
          let which = ids.rank == 0 ? "the id" : "the id at index \(position)"
          throw context.error(
            .indexOutOfRange,
            "\(which) is \(formatNumber(id)), not a whole number in [0, \(vocabulary.count)) "
              + "for a vocabulary of \(counted(vocabulary.count, "character"))", at: "ids")
        }
        text += vocabulary.characters[index]
      }
      return .string(text)
    },
    Builtin("sonnets", [], doc: BuiltinDoc(
      "data",
      "Returns 36 of Shakespeare's sonnets (1609, public domain) as one text, about 22 KB.",
      "print(len(sonnets()))")) { (context) throws(Diagnostic) in
      switch DatasetResources.sonnets {
      case .success(let text): return .string(text)
      case .failure(let problem): throw context.error(.fileError, problem.description)
      }
    },
  ]
}

/// A vocabulary: its characters in order and each one's id.
struct Vocabulary {
  let characters: [String]
  let ids: [String: Int]

  var count: Int { characters.count }

  /// The order of `chars`: by Unicode scalar values, as Python's `sorted(set(text))` orders
  /// single-scalar characters (`"A" < "a"`), so a vocabulary is the same on every platform.
  static func precedes(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
  }
}

extension CallContext {
  /// A vocabulary argument: a list of distinct one-character strings (what `chars` returns), or
  /// a string whose characters are distinct.
  func vocabulary(_ name: String) throws(Diagnostic) -> Vocabulary {
    let value = try require(name)
    var characters: [String] = []
    switch value {
    case .string(let text):
      characters = text.map { String($0) }
    case .list(let items):
      for (position, item) in items.enumerated() {
        guard case .string(let entry) = item, entry.count == 1 else {
          let what = if case .string(let entry) = item {
            "\(ValueFormatter.quote(entry)), a string of \(counted(entry.count, "character"))"
          } else {
            "a \(item.typeName)"
          }
          throw error(.invalidArgument,
                      "the vocabulary holds one-character strings, but its element \(position) "
                        + "is \(what)", at: name)
        }
        characters.append(entry)
      }
    default:
      throw error(.typeMismatch,
                  "the argument '\(name)' of \(builtin.name) must be a list of characters or a "
                    + "string, but this is a \(value.typeName)", at: name,
                  hint: "make one with chars(text)")
    }
    guard !characters.isEmpty else {
      throw error(.invalidArgument, "the vocabulary is empty", at: name,
                  hint: "make one with chars(text)")
    }
    var ids: [String: Int] = [:]
    for (id, character) in characters.enumerated() {
      if let first = ids[character] {
        throw error(.invalidArgument,
                    "the vocabulary holds \(ValueFormatter.quote(character)) twice, at \(first) "
                      + "and \(id)", at: name, hint: "make one with chars(text)")
      }
      ids[character] = id
    }
    return Vocabulary(characters: characters, ids: ids)
  }
}
