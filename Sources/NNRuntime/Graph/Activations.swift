// The activations, each declared once: its case, its language name, its hyperparameter, its
// help, its initialisation family, which value its gradient reads, and its scalar function and
// derivative (which ActivationKernels.swift runs). Everything else is derived from this file:
// the names a script and a model description use (`Activation.named`), the language's
// activation built-ins (one per `Activation.all`), dense and conv2d's default initialiser.
//
// A new activation is a new case here: the compiler then names every switch below that lacks
// it (`kind`, then a `Kind` case and `Kind.declaration`, `parameterValue`,
// `gradientUsesOutput`, `withForward`, `withBackward`), and nothing outside this file changes.

/// An element-wise (softmax: row-wise) nonlinearity.
public enum Activation: Hashable, Sendable {
  case identity, relu, sigmoid, tanh
  /// Over the last axis.
  case softmax
  /// The exact erf form, as PyTorch's default.
  case gelu
  /// x · sigmoid(x), as PyTorch's SiLU (also called swish).
  case silu
  case elu(alpha: Double)
  case leakyRelu(alpha: Double)

  /// The activations without their hyperparameters: one case per activation, so `allCases`
  /// lists them all.
  public enum Kind: CaseIterable, Sendable {
    case identity, relu, sigmoid, tanh, softmax, gelu, silu, elu, leakyRelu
  }

  /// Which activation this is, without its hyperparameter.
  public var kind: Kind {
    switch self {
    case .identity: .identity
    case .relu: .relu
    case .sigmoid: .sigmoid
    case .tanh: .tanh
    case .softmax: .softmax
    case .gelu: .gelu
    case .silu: .silu
    case .elu: .elu
    case .leakyRelu: .leakyRelu
    }
  }

  /// The hyperparameter's value, for the activations that have one.
  public var parameterValue: Double? {
    switch self {
    case .elu(let alpha), .leakyRelu(let alpha): alpha
    case .identity, .relu, .sigmoid, .tanh, .softmax, .gelu, .silu: nil
    }
  }
}

/// What is declared about one activation; see `Activation.Kind.declaration`.
public struct ActivationDeclaration: Sendable {
  /// Its one hyperparameter: the argument label, the default and one line of help.
  public struct Parameter: Sendable {
    /// The argument label (also the key in model descriptions).
    public let name: String
    /// The value when it is not given.
    public let fallback: Double
    /// One line of help.
    public let help: String
  }

  /// The name a script and a model description use.
  public let name: String
  /// The hyperparameter, if it has one.
  public let parameter: Parameter?
  /// One sentence of help.
  public let summary: String
  /// One or two lines of `.nn` that run as they stand.
  public let example: String
  /// The weight initialiser of a dense or conv2d layer that it follows: `.he` for the rectifier
  /// family, `.xavier` otherwise.
  public let initializer: Initializer
  /// Whether it works along the last axis (softmax) rather than element by element.
  public let rowWise: Bool
  let make: @Sendable (Double) -> Activation

  /// The activation with hyperparameter `value` (ignored by one without a parameter).
  public func activation(_ value: Double? = nil) -> Activation {
    make(value ?? parameter?.fallback ?? 0)
  }
}

extension Activation.Kind {
  /// The declaration of this activation.
  public var declaration: ActivationDeclaration {
    switch self {
    case .identity:
      declare("identity", "Returns its input unchanged; bare, a layer that does nothing.",
              "print(identity([1, 2]))") { _ in .identity }
    case .relu:
      declare("relu",
              "Computes max(x, 0) of each element; bare, it is a relu layer or activation.",
              "print(relu([-1, 0, 2]))", initializer: .he) { _ in .relu }
    case .sigmoid:
      declare("sigmoid",
              "Computes 1/(1 + e^-x) of each element; bare, it is a sigmoid layer.",
              "print(sigmoid([-1, 0, 1]))") { _ in .sigmoid }
    case .tanh:
      declare("tanh", "Computes tanh of each element; bare, it is a tanh layer or activation.",
              "print(tanh([-1, 0, 1]))") { _ in .tanh }
    case .softmax:
      declare("softmax",
              "Normalises exponentials along an axis (the last by default); bare, a layer.",
              "print(softmax([[1, 2, 3]], axis: -1))", rowWise: true) { _ in .softmax }
    case .gelu:
      // gelu and silu behave like relu away from 0, so their layers draw He weights too.
      declare("gelu",
              "The exact (erf) GELU: computes it on a tensor; bare, a layer or activation.",
              "print(gelu([-1, 0, 1]))", initializer: .he) { _ in .gelu }
    case .silu:
      declare("silu",
              "Computes x·sigmoid(x) of each element; bare, it is a silu layer or activation.",
              "print(silu([-1, 0, 2]))", initializer: .he) { _ in .silu }
    case .elu:
      declare("elu", "ELU with alpha (1 by default): computes it on a tensor, or is a layer.",
              "print(elu([-1, 1], alpha: 0.5))", alpha: 1, initializer: .he) {
        .elu(alpha: $0)
      }
    case .leakyRelu:
      declare("leaky_relu",
              "Leaky ReLU with slope alpha (0.01 by default) below zero, or a layer.",
              "let m = model(2) { dense(4, leaky_relu(alpha: 0.2)); dense(1) }\n"
                + "print(m([1, 2]))", alpha: 0.01, initializer: .he) { .leakyRelu(alpha: $0) }
    }
  }

  private func declare(
    _ name: String, _ summary: String, _ example: String, alpha: Double? = nil,
    initializer: Initializer = .xavier, rowWise: Bool = false,
    _ make: @escaping @Sendable (Double) -> Activation
  ) -> ActivationDeclaration {
    ActivationDeclaration(
      name: name,
      parameter: alpha.map { .init(name: "alpha", fallback: $0, help: "slope parameter") },
      summary: summary, example: example, initializer: initializer, rowWise: rowWise,
      make: make)
  }
}

extension Activation {
  /// Every activation, each with its default hyperparameter, in declaration order.
  public static let all: [Activation] = Kind.allCases.map { $0.declaration.activation() }

  /// The activation a script or a model description names, with its default hyperparameter.
  public static func named(_ name: String) -> Activation? {
    byName[name]
  }

  /// The names of every activation, sorted.
  public static let names: [String] = byName.keys.sorted()

  private static let byName: [String: Activation] = Dictionary(
    uniqueKeysWithValues: all.map { ($0.name, $0) })

  /// Its declaration.
  public var declaration: ActivationDeclaration { kind.declaration }

  /// The name a script uses for it.
  public var name: String { declaration.name }

  /// Activations whose layers default to He initialisation: the rectifier and its smooth
  /// variants.
  public var isReLUFamily: Bool { declaration.initializer == .he }

  /// Whether every output lies in [0, 1], so a loss that takes probabilities (bce) can read
  /// it: sigmoid's, and softmax's rows too (each entry is a probability).
  public var outputsProbabilities: Bool {
    switch self {
    case .sigmoid, .softmax: true
    case .identity, .relu, .tanh, .gelu, .silu, .elu, .leakyRelu: false
    }
  }

  /// Whether the derivative is computed from the activation's output rather than its input.
  /// Reading the output lets the plan fuse the pre-activation away even when training.
  var gradientUsesOutput: Bool {
    switch self {
    case .sigmoid, .tanh, .softmax, .relu, .identity: true
    // With alpha > 0 the sign of the output is the sign of the input, so the output suffices.
    case .elu(let alpha): alpha > 0
    case .leakyRelu(let alpha): alpha >= 0
    case .gelu, .silu: false
    }
  }

  /// Runs `body` with this activation's scalar function f(x) (relu is `x < 0 ? 0 : x`, which
  /// keeps NaN and −0, as PyTorch does). One closure per activation, so a kernel's loop over
  /// `body`'s argument is compiled once per activation: a switch inside the loop would run 2–5×
  /// slower. Softmax works on rows, so ActivationKernel computes it itself and never asks.
  @inline(__always)
  func withForward<T: PlanScalar, R>(_ body: ((T) -> T) -> R) -> R {
    switch self {
    case .identity, .softmax:
      return body { x in x }
    case .relu:
      return body { x in x < 0 ? 0 : x }
    case .sigmoid:
      return body { x in NNRuntime.sigmoid(x) }
    case .tanh:
      return body { x in T.hyperbolicTangent(x) }
    case .gelu:
      let scale = T(1 / 2.0.squareRoot())
      return body { x in x * (1 + T.errorFunction(x * scale)) / 2 }
    case .silu:
      return body { x in x * NNRuntime.sigmoid(x) }
    case .elu(let alpha):
      let a = T(alpha)
      return body { x in x > 0 ? x : a * T.exponentialMinusOne(x) }
    case .leakyRelu(let alpha):
      let a = T(alpha)
      return body { x in x > 0 ? x : a * x }
    }
  }

  /// Runs `body` with this activation's dL/dx as a function of `s` (its output when
  /// `gradientUsesOutput`, else its input) and the upstream gradient `g`, compiled once per
  /// activation like `withForward`. A zero slope gives 0, not g · 0, so an infinite g stays
  /// out of the dead side. Softmax's gradient mixes a row, so ActivationGradientKernel
  /// computes it.
  @inline(__always)
  func withBackward<T: PlanScalar, R>(_ body: ((T, T) -> T) -> R) -> R {
    switch self {
    case .identity, .softmax:
      return body { _, g in g }
    case .relu:
      return body { s, g in s > 0 ? g : 0 }
    case .sigmoid:
      return body { s, g in g * s * (1 - s) }
    case .tanh:
      return body { s, g in g * (1 - s * s) }
    case .gelu:
      // d/dx x·Φ(x) = Φ(x) + x·φ(x).
      let scale = T(1 / 2.0.squareRoot())
      let density = T(1 / (2 * Double.pi).squareRoot())
      return body { x, g in
        g * ((1 + T.errorFunction(x * scale)) / 2 + x * density * T.exponential(-x * x / 2))
      }
    case .silu:
      return body { x, g in siluBackward(x, g) }
    case .elu(let alpha):
      let a = T(alpha)
      // From the output (alpha > 0): for x ≤ 0, y = α(eˣ − 1), so dy/dx = y + α.
      if gradientUsesOutput { return body { s, g in s > 0 ? g : g * (s + a) } }
      return body { x, g in x > 0 ? g : g * a * T.exponential(x) }
    case .leakyRelu(let alpha):
      let a = T(alpha)
      return body { s, g in s > 0 ? g : g * a }
    }
  }

  /// f(x) of one number.
  func forward<T: PlanScalar>(_ x: T) -> T { withForward { f in f(x) } }

  /// dL/dx of one number from its saved value and upstream gradient (see `withBackward`).
  func backward<T: PlanScalar>(_ saved: T, _ g: T) -> T { withBackward { f in f(saved, g) } }
}

/// d/dx x·σ(x) = σ(x) · (1 + x·(1 − σ(x))), with σ computed once.
@inline(__always)
private func siluBackward<T: PlanScalar>(_ x: T, _ g: T) -> T {
  let sx = sigmoid(x)
  return g * sx * (1 + x * (1 - sx))
}

/// The logistic function, written so neither branch overflows exp.
@inline(__always)
func sigmoid<T: PlanScalar>(_ x: T) -> T {
  if x >= 0 { return 1 / (1 + T.exponential(-x)) }
  let e = T.exponential(x)
  return e / (1 + e)
}
