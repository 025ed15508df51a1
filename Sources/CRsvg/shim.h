// librsvg parses an SVG and draws it with cairo, which encodes the PNG: nn draws every
// picture once, as SVG, and rasterises that for `file: "….png"`.
#include <librsvg/rsvg.h>
#include <cairo.h>
