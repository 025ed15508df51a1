/// Bounds that keep a runaway script from taking the interpreter down with it. Each is a named
/// constant with its reason, as in Wren's `MAX_LOCALS`.
enum Limits {
  /// Nested calls of script functions. The tree-walking evaluator recurses on the native stack
  /// for every call; the interpreter runs on a thread with `evaluationStackSize` bytes, and this
  /// bound keeps deep recursion far below it (about 60 KiB of stack per level at the worst
  /// expression nesting the parser allows).
  static let maxCallDepth = 1_000
  /// The evaluator's own stack: large so that `maxCallDepth` is reached long before it is.
  static let evaluationStackSize = 1 << 30
  /// Stack kept free below the deepest call, for the work one call level may do without
  /// calling again (see `LargeStack.floor`): about 60 KiB for the deepest expression, a few
  /// hundred KiB to print or release a value nested `maxValueNesting` deep, with room to spare.
  static let stackReserve = 2 << 20
  /// Call frames shown as notes under an error raised inside functions: the innermost ones tell
  /// the story; a runaway recursion would otherwise print a thousand of them.
  static let maxFrameNotes = 12
  /// Scalars a compiled plan may hold for one batch, summed over every layer's output (a
  /// training plan keeps a few such buffers per layer). 2^28 floats is 1 GiB: far past what a
  /// CPU trains at interactive speed, and a bound that turns `net(zeros(1e6, 1e3))` into a
  /// diagnostic rather than an exhausted machine.
  static let maxActivationElements = 1 << 28
  /// Levels of lists and records inside one another (see `Nesting`). Python's default
  /// recursion limit: deeper data belongs in a tensor, and every walk over a value (release,
  /// printing, `==`, encoding) recurses this deep at most, within any thread's stack.
  static let maxValueNesting = 1_000
  /// Elements of a list built by one operation (ranges turned into lists, repetition).
  static let maxListCount = 1 << 26
  /// Bytes the lexer and parser take per byte of source, at the most (tokens, the tree and
  /// their ranges; a 200 MB file once asked for 2.9 GB): checked against the memory limit
  /// before a file is parsed.
  static let parserBytesPerSourceByte = 16
  /// Bytes `load_csv` holds per byte of the file, at the most: a value takes at least two bytes
  /// of text (a digit and a delimiter) and becomes a 4-byte float, kept once while read and
  /// once in the data set's tensors.
  static let csvBytesPerFileByte = 4
  /// Bytes a tensor takes beyond its elements (its storage object and shape), for lists of
  /// many small tensors (`list(t)` makes one per row).
  static let tensorOverheadBytes = 96

}
