// An example host: a Swift program that embeds nn, hands it data, trains a model in a script
// and reads the trained weights back.
import NNScript

let interpreter = Interpreter(options: InterpreterOptions(output: { print($0, terminator: "") }))
// A data source of the host's, callable from scripts: XOR from a pretend sensor.
interpreter.register(function: "sensor_data", parameters: []) { _ in
  .dataset(x: .tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])!,
           y: .tensor(shape: [4, 1], scalars: [0, 1, 1, 0])!)!
}
interpreter.define("learning_rate", .number(0.05))
try interpreter.run("""
  seed(0)
  model net(2) { dense(8, tanh); dense(1, sigmoid) }
  train net on sensor_data() { optimizer: adam(lr: learning_rate), epochs: 300, progress: false }
  print("predictions {net(sensor_data().x)}")
  let trained = net.dense2.weight
  """, name: "embedded.nn")
print("dense2.weight as [Float]:", interpreter.value(named: "trained")!.tensor!.scalars)
