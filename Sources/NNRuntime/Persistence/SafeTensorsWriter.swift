extension SafeTensorsFile {
  /// The bytes of a safetensors file holding `tensors` as F32 with `metadata`, laid out as the
  /// reference writer lays them out: tensors sorted by name, data packed in that order, the
  /// header compact JSON with `__metadata__` first (its keys sorted), padded with spaces to a
  /// multiple of 8 bytes so the data starts aligned.
  ///
  /// Names must be unique (a programming error otherwise: a model's parameter names are).
  public static func serialize(
    _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String]? = nil
  ) -> [UInt8] {
    let sorted = tensors.sorted { $0.name < $1.name }
    for (previous, next) in zip(sorted, sorted.dropFirst()) {
      precondition(previous.name != next.name, "two tensors named \(next.name)")
    }
    var header = "{"
    var first = true
    if let metadata {
      let fields = metadata.keys.sorted().map {
        JSONValue.quote($0) + ":" + JSONValue.quote(metadata[$0]!)
      }
      header += "\"__metadata__\":{" + fields.joined(separator: ",") + "}"
      first = false
    }
    var offset = 0
    for (name, tensor) in sorted {
      let end = offset + tensor.count * SafeTensorsDType.f32.size
      if !first { header += "," }
      first = false
      header += JSONValue.quote(name) + ":{\"dtype\":\"F32\",\"shape\":["
        + tensor.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":["
        + "\(offset),\(end)]}"
      offset = end
    }
    header += "}"
    var headerBytes = Array(header.utf8)
    headerBytes += repeatElement(UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8)

    var bytes: [UInt8] = []
    bytes.reserveCapacity(8 + headerBytes.count + offset)
    withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { bytes += $0 }
    bytes += headerBytes
    for (_, tensor) in sorted {
      tensor.withUnsafeBufferPointer { buffer in
        for value in buffer {
          withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
        }
      }
    }
    return bytes
  }
}
