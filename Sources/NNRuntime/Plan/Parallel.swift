/// Splits loops over the threads the plan may use (the BLAS's thread count).
enum Parallel {
  /// How many threads a split loop uses (1 when nn runs on one thread).
  static var width: Int { 1 }

  /// Runs `body` over `0..<count` cut into at most `width` contiguous, disjoint ranges of at
  /// least `grain` indices each, on the pool's threads and the caller's, and returns when all
  /// ranges are done. One thread (or a count below 2·grain) runs `body(0..<count)` inline.
  /// `body` must not allocate, throw or call `forEach` again.
  static func forEach(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    if count > 0 { body(0..<count) }
  }
}
