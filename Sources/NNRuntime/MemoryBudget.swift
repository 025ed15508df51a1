import Synchronization

/// The bytes one owner (an interpreter) may hold in tensors, parameter stores, optimizer state,
/// plan arenas and scratch buffers, and the count of what it holds now.
///
/// Each allocation is charged to the budget bound to the allocating thread
/// (`MemoryBudget.current`) and released to that same budget when freed, so two owners on two
/// threads never see each other's bytes. Allocations whose size a caller can choose are asked
/// for first (`reserve`): a refusal is an error at that call instead of an allocation the
/// system cannot satisfy.
public final class MemoryBudget: Sendable {
  /// The most bytes the owner may hold, or nil for no bound beyond the machine's.
  public let limit: Int?
  private let held = Atomic<Int>(0)
  private let refused = Atomic<Int>(0)

  /// A budget of `limit` bytes (nil: count only).
  public init(limit: Int?) {
    self.limit = limit
  }

  /// The budget that allocations on this thread are charged to; nil charges nobody.
  @TaskLocal public static var current: MemoryBudget?

  /// The bytes held now.
  public var heldBytes: Int { held.load(ordering: .relaxed) }

  /// Bytes that may still be reserved (`Int.max` without a limit).
  public var availableBytes: Int {
    guard let limit else { return .max }
    return Swift.max(0, limit - heldBytes)
  }

  /// Whether `bytes` more would stay within the limit.
  public func fits(_ bytes: Int) -> Bool {
    bytes <= availableBytes
  }

  /// Charges `bytes` when they fit and returns true; returns false (charging nothing) when
  /// they would pass the limit.
  public func reserve(_ bytes: Int) -> Bool {
    guard let limit else {
      held.add(bytes, ordering: .relaxed)
      return true
    }
    var current = held.load(ordering: .relaxed)
    while true {
      guard bytes <= limit - current else { return false }
      let (exchanged, original) = held.compareExchange(
        expected: current, desired: current + bytes, ordering: .relaxed)
      if exchanged { return true }
      current = original
    }
  }

  /// Charges `bytes` whether or not they fit: for allocations that cannot fail, which the
  /// owner checks against the limit right after (`isOverLimit`).
  public func charge(_ bytes: Int) {
    held.add(bytes, ordering: .relaxed)
  }

  /// Gives back bytes charged earlier.
  public func release(_ bytes: Int) {
    held.subtract(bytes, ordering: .relaxed)
  }

  /// Bytes of the largest request refused so far that its caller could not report at once
  /// (a kernel's scratch buffer); the plan being compiled reads it and fails.
  public var refusals: Int { refused.load(ordering: .relaxed) }

  /// Records a refused request of `bytes` for the code that can report it (`refusals`).
  public func refuse(_ bytes: Int) {
    _ = refused.max(bytes, ordering: .relaxed)
  }

  /// Forgets recorded refusals once they are reported.
  public func clearRefusals() {
    refused.store(0, ordering: .relaxed)
  }

  /// Whether the bytes held are past the limit.
  public var isOverLimit: Bool {
    guard let limit else { return false }
    return heldBytes > limit
  }

  /// The bytes `count` elements of `element` take, saturating rather than overflowing.
  public static func bytes<Element>(_ count: Int, of element: Element.Type) -> Int {
    let (product, overflow) = Swift.max(count, 1).multipliedReportingOverflow(
      by: MemoryLayout<Element>.stride)
    return overflow ? .max : product
  }
}

/// Memory charged to the budget current when it was made, and given back to that same budget
/// when released: what each of the runtime's large buffers keeps beside its pointer.
struct MemoryCharge: Sendable {
  let budget: MemoryBudget?
  let bytes: Int

  /// Charges `bytes` to the current budget (over the limit too: the caller could not refuse).
  init(bytes: Int) {
    budget = MemoryBudget.current
    self.bytes = bytes
    budget?.charge(bytes)
    TensorStorage.liveBytes.add(bytes, ordering: .relaxed)
  }

  /// Charges `bytes` to the current budget when they fit; nil (nothing charged) otherwise.
  init?(reserving bytes: Int) {
    let budget = MemoryBudget.current
    if let budget, !budget.reserve(bytes) { return nil }
    self.budget = budget
    self.bytes = bytes
    TensorStorage.liveBytes.add(bytes, ordering: .relaxed)
  }

  func release() {
    budget?.release(bytes)
    TensorStorage.liveBytes.subtract(bytes, ordering: .relaxed)
  }
}

extension MemoryBudget {
  /// Why `bytes` more cannot be had, for `what` ("the plan's buffers"): the sentence every
  /// refusal of this budget uses.
  public func refusal(_ what: String, bytes: Int) -> String {
    let limitText = limit.map { describeBytes($0) } ?? "no"
    return "\(what) would take \(describeBytes(bytes)), more than the memory limit of "
      + "\(limitText) leaves (\(describeBytes(heldBytes)) in use)"
  }

  /// Nil when `bytes` more fit the current budget (or there is none); else the refusal.
  public static func refusalForCurrent(_ what: String, bytes: Int) -> String? {
    guard let budget = current, !budget.fits(bytes) else { return nil }
    return budget.refusal(what, bytes: bytes)
  }
}

/// A byte count for people: "1.5 GiB", "640 KiB", "12 bytes".
public func describeBytes(_ bytes: Int) -> String {
  let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
  guard bytes >= 1024 else { return bytes == 1 ? "1 byte" : "\(bytes) bytes" }
  var value = Double(bytes) / 1024
  var unit = 0
  while value >= 1024, unit < units.count - 1 {
    value /= 1024
    unit += 1
  }
  let rounded = (value * 10).rounded() / 10
  let text = rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
  return "\(text) \(units[unit])"
}
