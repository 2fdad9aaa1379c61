#include "png_writer.h"

#include <png.h>

#include <csetjmp>
#include <cstring>

namespace blink {
namespace {

// What the libpng callbacks write to. Owned by encode_png_grey, outside the
// frame that calls setjmp, so a longjmp skips no C++ destructor.
struct PngSink {
  std::string bytes;
  char error[200] = {};
};

void on_error(png_structp png, png_const_charp message) {
  auto* sink = static_cast<PngSink*>(png_get_error_ptr(png));
  std::strncpy(sink->error, message ? message : "unknown libpng error", sizeof sink->error - 1);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // nothing a caller could act on

void on_write(png_structp png, png_bytep data, png_size_t length) {
  static_cast<PngSink*>(png_get_io_ptr(png))->bytes.append(reinterpret_cast<const char*>(data), length);
}

void on_flush(png_structp) {}

// Holds only trivially destructible locals: libpng may longjmp back to the
// setjmp here from any call below. Returns false with sink->error set.
bool write_png(PngSink* sink, const uint8_t* pixels, png_uint_32 width, png_uint_32 height) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, on_error, on_warning);
  if (png == nullptr) {
    std::strncpy(sink->error, "cannot create the libpng write state", sizeof sink->error - 1);
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    std::strncpy(sink->error, "cannot create the libpng info state", sizeof sink->error - 1);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, sink, on_write, on_flush);
  png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (png_uint_32 y = 0; y < height; ++y)
    png_write_row(png, const_cast<png_bytep>(pixels + size_t(y) * width));  // libpng only reads it
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

}  // namespace

Result<std::string> encode_png_grey(const GreyImage& image) {
  if (image.width <= 0 || image.height <= 0)
    return Status::invalid("encoding PNG: the image is empty");
  if (image.size() != size_t(image.width) * size_t(image.height))
    return Status::invalid("encoding PNG: " + std::to_string(image.size()) + " pixels for " +
                           std::to_string(image.width) + "x" + std::to_string(image.height));
  PngSink sink;
  sink.bytes.reserve(image.size() / 2 + 128);
  if (!write_png(&sink, image.pixels.data(), png_uint_32(image.width), png_uint_32(image.height)))
    return Status::internal(std::string("encoding PNG: ") + sink.error);
  return std::move(sink.bytes);
}

}  // namespace blink
