// Pictures are drawn once, as SVG; a PNG is that SVG rasterised by librsvg onto a cairo image
// surface, which cairo encodes. Writing our own rasteriser (anti-aliased paths, text with real
// fonts) would be the toy the project avoids: librsvg is what GNOME renders its icons with.

import CRsvg

/// Turns SVG text into PNG bytes, and reads a PNG's size back (for checks and tests).
public enum PNGRaster {
  /// Why an SVG could not become a PNG.
  public struct Failure: Error, CustomStringConvertible {
    public let description: String
  }

  /// The PNG of `svg` drawn at `width`×`height` pixels on a white background, so that a
  /// picture with a transparent background reads the same in any viewer.
  public static func png(svg: String, width: Int, height: Int) throws(Failure) -> [UInt8] {
    guard width > 0, height > 0, width <= 1 << 14, height <= 1 << 14 else {
      throw Failure(description: "a PNG of \(width)×\(height) pixels is out of range")
    }
    var error: UnsafeMutablePointer<GError>?
    let bytes = Array(svg.utf8)
    let handle = bytes.withUnsafeBufferPointer {
      rsvg_handle_new_from_data($0.baseAddress, gsize($0.count), &error)
    }
    guard let handle else { throw failure(error, "librsvg could not read the SVG") }
    defer { g_object_unref(UnsafeMutableRawPointer(handle)) }
    guard let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width),
                                                   Int32(height)) else {
      throw Failure(description: "cairo could not make a \(width)×\(height) surface")
    }
    defer { cairo_surface_destroy(surface) }
    guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let cairo = cairo_create(surface)
    else {
      throw Failure(description: "cairo could not make a \(width)×\(height) surface")
    }
    defer { cairo_destroy(cairo) }
    cairo_set_source_rgb(cairo, 1, 1, 1)
    cairo_paint(cairo)
    var viewport = RsvgRectangle(x: 0, y: 0, width: Double(width), height: Double(height))
    guard rsvg_handle_render_document(handle, cairo, &viewport, &error) != 0 else {
      throw failure(error, "librsvg could not draw the SVG")
    }
    cairo_surface_flush(surface)
    return try encode(surface)
  }

  /// The width and height of a PNG, decoded by cairo (so a truncated or corrupt file fails).
  public static func size(png: [UInt8]) -> (width: Int, height: Int)? {
    var reader = PNGReader(bytes: png)
    let surface = withUnsafeMutablePointer(to: &reader) {
      cairo_image_surface_create_from_png_stream(readChunk, $0)
    }
    guard let surface else { return nil }
    defer { cairo_surface_destroy(surface) }
    guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS else { return nil }
    return (Int(cairo_image_surface_get_width(surface)),
            Int(cairo_image_surface_get_height(surface)))
  }

  /// The colour of one pixel of a PNG as (red, green, blue) in 0...255, for checks that a
  /// picture drew something where it should.
  public static func pixel(png: [UInt8], x: Int, y: Int) -> (UInt8, UInt8, UInt8)? {
    var reader = PNGReader(bytes: png)
    let surface = withUnsafeMutablePointer(to: &reader) {
      cairo_image_surface_create_from_png_stream(readChunk, $0)
    }
    guard let surface else { return nil }
    defer { cairo_surface_destroy(surface) }
    let width = Int(cairo_image_surface_get_width(surface))
    let height = Int(cairo_image_surface_get_height(surface))
    guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS,
      (0..<width).contains(x), (0..<height).contains(y),
      cairo_image_surface_get_format(surface) == CAIRO_FORMAT_ARGB32
        || cairo_image_surface_get_format(surface) == CAIRO_FORMAT_RGB24,
      let data = cairo_image_surface_get_data(surface)
    else { return nil }
    let stride = Int(cairo_image_surface_get_stride(surface))
    // Cairo stores native-endian 32-bit ARGB words: on little-endian machines B, G, R, A.
    let word = data.advanced(by: y * stride + x * 4).withMemoryRebound(to: UInt32.self,
                                                                        capacity: 1) { $0.pointee }
    return (UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8),
            UInt8(truncatingIfNeeded: word))
  }

  private static func encode(_ surface: OpaquePointer) throws(Failure) -> [UInt8] {
    var output: [UInt8] = []
    let status = withUnsafeMutablePointer(to: &output) {
      cairo_surface_write_to_png_stream(surface, writeChunk, $0)
    }
    guard status == CAIRO_STATUS_SUCCESS else {
      throw Failure(description: "cairo could not encode the PNG: "
                      + String(cString: cairo_status_to_string(status)))
    }
    return output
  }

  private static func failure(_ error: UnsafeMutablePointer<GError>?, _ fallback: String)
    -> Failure {
    guard let error else { return Failure(description: fallback) }
    defer { g_error_free(error) }
    guard let message = error.pointee.message else { return Failure(description: fallback) }
    return Failure(description: "\(fallback): \(String(cString: message))")
  }
}

private struct PNGReader {
  var bytes: [UInt8]
  var offset = 0
}

private func writeChunk(
  _ closure: UnsafeMutableRawPointer?, _ data: UnsafePointer<UInt8>?, _ length: UInt32
) -> cairo_status_t {
  guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
  let output = closure.assumingMemoryBound(to: [UInt8].self)
  output.pointee.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
  return CAIRO_STATUS_SUCCESS
}

private func readChunk(
  _ closure: UnsafeMutableRawPointer?, _ data: UnsafeMutablePointer<UInt8>?, _ length: UInt32
) -> cairo_status_t {
  guard let closure, let data else { return CAIRO_STATUS_READ_ERROR }
  let reader = closure.assumingMemoryBound(to: PNGReader.self)
  let count = Int(length)
  guard reader.pointee.offset + count <= reader.pointee.bytes.count else {
    return CAIRO_STATUS_READ_ERROR
  }
  reader.pointee.bytes.withUnsafeBufferPointer {
    data.update(from: $0.baseAddress! + reader.pointee.offset, count: count)
  }
  reader.pointee.offset += count
  return CAIRO_STATUS_SUCCESS
}
