#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The element-wise update loops, one per rule. Each mirrors the single-tensor path of
// torch.optim (torch/optim/{sgd,adam,rmsprop,adagrad}.py, 2.x; NAdam's is in NAdam.swift):
// the same operations in the same order, with Python-float hyper-parameters rounded to the
// element type as PyTorch's CPU kernels round their scalar arguments. `addcmul(a, x, y, value: v)` is `a + v·x·y` and
// `addcdiv(a, x, y, value: v)` is `a + v·x / y`, as in ATen's CPU kernels.

/// The buffers and per-step values one update works on.
struct OptimizerKernelContext<U: BinaryFloatingPoint> {
  var parameters: UnsafeMutablePointer<U>
  var gradients: UnsafePointer<U>
  /// The rule's state buffers, `count` scalars each, in the order each kernel documents.
  var state: UnsafeMutablePointer<U>
  var count: Int
  /// The 1-based number of this step.
  var step: Int
  var learningRate: Double
  /// The rule's one scalar of state kept in float32 (NAdam's `mu_product`; 1 when unused).
  var product: UnsafeMutablePointer<Float>

  /// The state buffer at `slot`.
  func buffer(_ slot: Int) -> UnsafeMutablePointer<U> { state + slot * count }
}

/// Applies one step of `rule` to every scalar of `context`.
func applyOptimizerUpdate<U: BinaryFloatingPoint>(
  _ rule: OptimizerRule, _ context: OptimizerKernelContext<U>
) {
  switch rule {
  case let .sgd(momentum, dampening, nesterov, weightDecay):
    sgdUpdate(context, momentum: momentum, dampening: dampening, nesterov: nesterov,
              weightDecay: weightDecay)
  case let .adam(beta1, beta2, eps, weightDecay, amsgrad):
    adamUpdate(context, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
               amsgrad: amsgrad, decoupled: false)
  case let .adamw(beta1, beta2, eps, weightDecay, amsgrad):
    adamUpdate(context, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
               amsgrad: amsgrad, decoupled: true)
  case let .rmsprop(alpha, eps, momentum, centered, weightDecay):
    rmspropUpdate(context, alpha: alpha, eps: eps, momentum: momentum, centered: centered,
                  weightDecay: weightDecay)
  case let .adagrad(eps, lrDecay, weightDecay, _):
    adagradUpdate(context, eps: eps, lrDecay: lrDecay, weightDecay: weightDecay)
  case let .nadam(beta1, beta2, eps, weightDecay, momentumDecay):
    nadamUpdate(context, beta1: beta1, beta2: beta2, eps: eps, weightDecay: weightDecay,
                momentumDecay: momentumDecay)
  }
}

/// Runs `body` with `flag` as a compile-time constant, so that after inlining each branch on
/// it inside `body`'s loop folds away. LLVM does not unswitch these loops by itself, and a
/// loop-invariant branch left inside a loop stops it from being vectorised (4–10× slower).
@inline(__always)
func unswitch(_ flag: Bool, _ body: (Bool) -> Void) {
  if flag { body(true) } else { body(false) }
}

/// ATen's `lerp(a, b, w)`, whose form depends on whether |w| < 0.5 (`small`, computed once per
/// step): each form is exact at its own end, and matching it keeps Float results within
/// rounding of PyTorch's.
@inline(__always)
func lerp<U: BinaryFloatingPoint>(_ start: U, _ end: U, _ weight: U, small: Bool) -> U {
  small ? start + weight * (end - start) : end - (end - start) * (1 - weight)
}

/// The square root of a value that is mathematically ≥ 0 (a mean square, a sum of squares).
///
/// On Linux `squareRoot()` becomes a libm call that sets errno for negative input, and that
/// call stops LLVM from vectorising the loop. With the argument visibly non-negative LLVM
/// emits plain `sqrtps`/`sqrtpd`. NaN still propagates; only a negative input, which PyTorch
/// would turn into NaN, gives 0 instead.
@inline(__always)
func rootOfNonNegative<U: BinaryFloatingPoint>(_ value: U) -> U {
  (value < 0 ? 0 : value).squareRoot()
}

/// `torch.maximum`: NaN if either is NaN (Swift's `max` would drop a NaN).
@inline(__always)
private func maximumPropagatingNaN<U: BinaryFloatingPoint>(_ a: U, _ b: U) -> U {
  b > a || b.isNaN ? b : a
}

// MARK: - SGD

/// State: slot 0 is the momentum buffer (only when momentum ≠ 0).
private func sgdUpdate<U: BinaryFloatingPoint>(
  _ context: OptimizerKernelContext<U>, momentum: Double, dampening: Double, nesterov: Bool,
  weightDecay: Double
) {
  let p = context.parameters, g = context.gradients, count = context.count
  let decay = U(weightDecay), mu = U(momentum), keep = U(1 - dampening)
  let negativeRate = U(-context.learningRate)
  guard momentum != 0 else {
    unswitch(weightDecay != 0) { decayed in
      for i in 0..<count {
        let grad = decayed ? g[i] + decay * p[i] : g[i]
        p[i] = p[i] + negativeRate * grad
      }
    }
    return
  }
  let buffer = context.buffer(0)
  // PyTorch creates the buffer as a copy of the first gradient: no dampening on step 1.
  unswitch(context.step == 1) { first in
    unswitch(nesterov) { nesterov in
      unswitch(weightDecay != 0) { decayed in
        for i in 0..<count {
          let grad = decayed ? g[i] + decay * p[i] : g[i]
          let b = first ? grad : buffer[i] * mu + keep * grad
          buffer[i] = b
          p[i] = p[i] + negativeRate * (nesterov ? grad + mu * b : b)
        }
      }
    }
  }
}

// MARK: - Adam and AdamW

/// State: slot 0 the first moment, slot 1 the second, slot 2 the running maximum of the
/// second (amsgrad only).
private func adamUpdate<U: BinaryFloatingPoint>(
  _ context: OptimizerKernelContext<U>, beta1: Double, beta2: Double, eps: Double,
  weightDecay: Double, amsgrad: Bool, decoupled: Bool
) {
  let p = context.parameters, g = context.gradients, count = context.count
  let m = context.buffer(0), v = context.buffer(1)
  let vMax = amsgrad ? context.buffer(2) : v
  let lr = context.learningRate
  let step = Double(context.step)
  let biasCorrection1 = 1 - pow(beta1, step)
  let biasCorrection2 = 1 - pow(beta2, step)
  let negativeStepSize = U(-(lr / biasCorrection1))
  let correction2Root = U(biasCorrection2.squareRoot())
  let decay = U(weightDecay), shrink = U(1 - lr * weightDecay)
  let weight1 = U(1 - beta1), b2 = U(beta2), weight2 = U(1 - beta2), epsilon = U(eps)
  unswitch(weightDecay != 0 && !decoupled) { coupledDecay in
    unswitch(weightDecay != 0 && decoupled) { decoupledDecay in
      unswitch(amsgrad) { amsgrad in
        unswitch(abs(weight1) < 0.5) { small in
          for i in 0..<count {
            var param = p[i]
            var grad = g[i]
            if decoupledDecay { param = param * shrink }
            if coupledDecay { grad = grad + decay * param }
            let first = lerp(m[i], grad, weight1, small: small)
            m[i] = first
            let second = v[i] * b2 + weight2 * grad * grad
            v[i] = second
            var normaliser = second
            if amsgrad {
              normaliser = maximumPropagatingNaN(vMax[i], second)
              vMax[i] = normaliser
            }
            let denominator = rootOfNonNegative(normaliser) / correction2Root + epsilon
            p[i] = param + negativeStepSize * first / denominator
          }
        }
      }
    }
  }
}

// MARK: - RMSprop

/// State: slot 0 the mean square, then the mean gradient (centered only), then the momentum
/// buffer (momentum > 0 only).
private func rmspropUpdate<U: BinaryFloatingPoint>(
  _ context: OptimizerKernelContext<U>, alpha: Double, eps: Double, momentum: Double,
  centered: Bool, weightDecay: Double
) {
  let p = context.parameters, g = context.gradients, count = context.count
  let squareAverage = context.buffer(0)
  let gradientAverage = centered ? context.buffer(1) : squareAverage
  let momentumBuffer = momentum > 0 ? context.buffer(centered ? 2 : 1) : squareAverage
  let decay = U(weightDecay), a = U(alpha), weight = U(1 - alpha), epsilon = U(eps)
  let mu = U(momentum), negativeRate = U(-context.learningRate)
  unswitch(weightDecay != 0) { decayed in
    unswitch(centered) { centered in
      unswitch(momentum > 0) { hasMomentum in
        unswitch(abs(weight) < 0.5) { small in
          for i in 0..<count {
            let grad = decayed ? g[i] + decay * p[i] : g[i]
            let square = squareAverage[i] * a + weight * grad * grad
            squareAverage[i] = square
            var average: U
            if centered {
              let mean = lerp(gradientAverage[i], grad, weight, small: small)
              gradientAverage[i] = mean
              // Mathematically square ≥ mean²; rounding can break that by an ulp, and PyTorch
              // then takes the root of a negative number (NaN). Clamping changes only that.
              average = rootOfNonNegative(square + -1 * mean * mean)
            } else {
              average = rootOfNonNegative(square)
            }
            average = average + epsilon
            if hasMomentum {
              let b = momentumBuffer[i] * mu + grad / average
              momentumBuffer[i] = b
              p[i] = p[i] + negativeRate * b
            } else {
              p[i] = p[i] + negativeRate * grad / average
            }
          }
        }
      }
    }
  }
}

// MARK: - Adagrad

/// State: slot 0 the sum of squared gradients (starting at the initial accumulator value).
private func adagradUpdate<U: BinaryFloatingPoint>(
  _ context: OptimizerKernelContext<U>, eps: Double, lrDecay: Double, weightDecay: Double
) {
  let p = context.parameters, g = context.gradients, count = context.count
  let sum = context.buffer(0)
  let decayedRate = context.learningRate / (1 + Double(context.step - 1) * lrDecay)
  let negativeRate = U(-decayedRate), decay = U(weightDecay), epsilon = U(eps)
  unswitch(weightDecay != 0) { decayed in
    for i in 0..<count {
      let grad = decayed ? g[i] + decay * p[i] : g[i]
      let total = sum[i] + 1 * grad * grad
      sum[i] = total
      p[i] = p[i] + negativeRate * grad / (rootOfNonNegative(total) + epsilon)
    }
  }
}
