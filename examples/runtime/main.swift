// A network built, trained and run with NNRuntime alone (docs/runtime.md): an MLP from layer
// declarations learns XOR, then predicts it.
import NNRuntime

var random = RandomGenerator(seed: 7)
let network = try NetworkBuilder.build(
  input: [2], [Dense(units: 8, activation: .tanh), Dense(units: 1, activation: .sigmoid)],
  random: &random)

let data = TrainingData(x: Tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1]),
                        y: Tensor(shape: [4, 1], scalars: [0, 1, 1, 0]))
let sgd = OptimizerRule.sgd(momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0)
let trainer = try Trainer(
  network: network,
  configuration: TrainingConfiguration(epochs: 500, optimizer: sgd, learningRate: 0.5),
  optimizerState: OptimizerState<Float>(rule: sgd, count: network.parameterCount),
  lossNode: { (graph: inout Graph, prediction: NodeID, target: NodeID) throws(GraphError)
    -> NodeID in try graph.add(.loss(.mse), [prediction, target]) },
  weightMask: network.weightMask)
let history = try trainer.train(data, validation: nil, random: &random, progress: { _ in },
                                shouldStop: { false })

let (loss, predictions) = try trainer.evaluate(data)
print("parameters", network.parameterNames.joined(separator: " "))
print("epochs", history.epochs, "final loss", (loss * 1e4).rounded() / 1e4)
for row in 0..<4 {
  let x = data.x.scalars[(2 * row)..<(2 * row + 2)].map { Int($0) }
  print("xor(\(x[0]), \(x[1])) =", (predictions.scalars[row] * 100).rounded() / 100)
}
