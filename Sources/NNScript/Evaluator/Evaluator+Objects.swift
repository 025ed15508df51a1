import NNRuntime
import NNSyntax

extension Evaluator {
  /// `object.name` for runtime objects.
  func objectMember(_ object: any ScriptObject, _ name: Identifier) throws(Unwind) -> Value {
    switch object {
    case let model as ModelObject:
      switch name.name {
      case "params": return .record(model.parameterRecord)
      case "name": return .string(model.name)
      case "input_shape": return .list(model.network.inputShape.map { .number(Double($0)) })
      case "output_shape": return .list(model.network.outputShape.map { .number(Double($0)) })
      default:
        guard let indices = model.parameterIndices(of: name.name) else {
          throw missingMember(name, of: .object(object),
                              among: model.layerNames + MemberNames.model)
        }
        return .object(LayerReference(model: model, layerName: name.name,
                                      weight: indices.weight, bias: indices.bias))
      }
    case let layer as LayerReference:
      if let submodule = layer.submodule(name.name) { return .object(submodule) }
      guard let index = layer.parameterIndex(name.name) else {
        throw missingMember(name, of: .object(object), among: layer.memberNames)
      }
      return .tensor(layer.model.network.parameters.tensor(index))
    case let optimizer as OptimizerObject:
      switch name.name {
      case "lr": return .number(optimizer.learningRate)
      case "name": return .string(optimizer.rule.name)
      default: throw missingMember(name, of: .object(object), among: MemberNames.optimizer)
      }
    case let traced as SymbolicTensor:
      switch name.name {
      case "shape": return .list(traced.shape.map { .number(Double($0)) })
      case "T": return try traced.apply(.transpose, [traced], evaluator: self, range: name.range)
      default: throw missingMember(name, of: .object(object), among: MemberNames.traced)
      }
    case let confusion as ConfusionObject:
      guard let value = confusion.member(name.name) else {
        throw missingMember(name, of: .object(object), among: ConfusionObject.memberNames)
      }
      return value
    case let dataset as DatasetObject:
      guard let value = dataset.member(name.name) else {
        throw missingMember(name, of: .object(object), among: DatasetObject.memberNames)
      }
      return value
    default:
      throw missingMember(name, of: .object(object), among: [])
    }
  }

  /// `object.name = value`: a layer's parameters (shape-checked) and an optimizer's `lr`.
  func setObjectMember(
    _ object: any ScriptObject, _ name: Identifier, _ value: Value, range: SourceRange
  ) throws(Unwind) {
    switch object {
    case let layer as LayerReference:
      guard let index = layer.parameterIndex(name.name) else {
        throw missingMember(name, of: .object(object), among: layer.memberNames)
      }
      guard let tensor = value.asTensor, !value.isList || tensor.rank > 0 else {
        throw failure(.typeMismatch, "a parameter is set to a tensor, not a \(value.typeName)",
                      at: range)
      }
      let store = layer.model.network.parameters
      let expected = store.shapes[index]
      guard tensor.shape == expected else {
        throw failure(.shapeMismatch,
                      "\(layer.model.name).\(layer.layerName).\(name.name) has shape "
                        + "\(shapeText(expected)); the new value has shape "
                        + shapeText(tensor.shape), at: range)
      }
      store.assign(index, tensor)
    case let optimizer as OptimizerObject where name.name == "lr":
      guard case .number(let lr) = value, lr >= 0, lr.isFinite else {
        throw failure(.invalidArgument, "a learning rate is a number ≥ 0", at: range)
      }
      optimizer.learningRate = lr
    default:
      throw failure(.invalidOperation,
                    "cannot set '\(name.name)' of a \(object.typeName)", at: name.range)
    }
  }
}
