// An example host: embeds nn, hands it data, trains a model in a script, reads the weights back.
import NNScript

let interpreter = Interpreter(options: InterpreterOptions(output: { print($0, terminator: "") }))
let inputs = Value.tensor(shape: [4, 2], scalars: [0, 0, 0, 1, 1, 0, 1, 1])!
interpreter.define("probe", inputs)  // a tensor the script can use
interpreter.register(function: "sensor_data", parameters: []) { _ in  // a host data source
  .dataset(x: inputs, y: .tensor(shape: [4, 1], scalars: [0, 1, 1, 0])!)!
}
try interpreter.run("""
  seed(0)
  model net(2) { dense(8, tanh); dense(1, sigmoid) }
  train net on sensor_data() { optimizer: adam(lr: 0.05), epochs: 300, progress: false }
  print("predictions {net(probe)}")
  let trained = net.dense2.weight
  """, name: "embedded.nn")
print("dense2.weight as [Float]:", interpreter.value(named: "trained")!.tensor!.scalars)
