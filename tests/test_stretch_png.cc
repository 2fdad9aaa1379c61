// Cutouts for people: display stretches (detectors/stretch) and the PNG
// encoder (daemon/png_writer), decoded back with libpng's own read API.
#include <algorithm>
#include <catch2/catch.hpp>
#include <png.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "png_writer.h"
#include "stretch.h"

using namespace blink;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Sky of 1000 with Gaussian noise of sigma 10 and a bright star in the middle.
Image star_on_sky(int size = 63) {
  Image img(size, size);
  std::mt19937 rng(42);
  std::normal_distribution<float> noise(0, 10);
  const double c = (size - 1) / 2.0;
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x)
      img.at(x, y) = 1000 + noise(rng) +
                     float(50000 * std::exp(-((x - c) * (x - c) + (y - c) * (y - c)) / (2 * 2.0 * 2.0)));
  return img;
}

struct Decoded {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;
  std::string error;
};

// libpng's simplified read API, asked for 8-bit grey whatever the file holds.
Decoded decode_png(const std::string& bytes) {
  Decoded d;
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    d.error = image.message;
    return d;
  }
  image.format = PNG_FORMAT_GRAY;
  d.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, d.pixels.data(), 0, nullptr)) {
    d.error = image.message;
    return d;
  }
  d.width = int(image.width);
  d.height = int(image.height);
  return d;
}

}  // namespace

TEST_CASE("stretch: zscale ignores a few bright outliers and follows contrast", "[cutouts]") {
  // 1000 pixels (all sampled): 900 spread evenly over 89.5..110.5, 100 at 10000.
  Image img(50, 20);
  for (int i = 0; i < 1000; ++i)
    img.pixels[size_t(i)] = i < 900 ? float(90 + 20.0 * i / 899 + (i % 2 ? 0.5 : -0.5)) : 10000.f;
  // The line through the sorted ramp rises ~21/899 per rank from a median near 101.1;
  // the limits are median -/+ that slope / contrast over each half, within the samples.
  DisplayLimits z = zscale_limits(img);
  REQUIRE(z.valid);
  CHECK(z.low == Approx(89.5f));
  CHECK(z.high > 140);
  CHECK(z.high < 156);

  ZscaleParams full_contrast;
  full_contrast.contrast = 1.0;
  DisplayLimits z1 = zscale_limits(img, full_contrast);
  CHECK(z1.low > 89.5f);
  CHECK(z1.low < 92);
  CHECK(z1.high > 110);
  CHECK(z1.high < 116);
}

TEST_CASE("stretch: zscale on sky noise brackets the sky and ignores the star", "[cutouts]") {
  DisplayLimits z = zscale_limits(star_on_sky());
  REQUIRE(z.valid);
  CHECK(z.low > 940);
  CHECK(z.low < 990);
  CHECK(z.high > 1010);
  CHECK(z.high < 1080);
}

TEST_CASE("stretch: zscale of a stamp with no finite pixel is not valid", "[cutouts]") {
  CHECK_FALSE(zscale_limits(Image(5, 5, kNaN)).valid);
}

TEST_CASE("stretch: a linear zscale render is black below, white above, grey between", "[cutouts]") {
  Image img = star_on_sky();
  auto grey = render_stamp(img, StretchKind::kZscale);
  REQUIRE(grey);
  CHECK(grey->width == 63);
  CHECK(grey->height == 63);
  CHECK(grey->at(31, 31) == 255);  // the star's core is above the upper limit
  img.at(0, 0) = 0;                // far below the sky
  CHECK(render_stamp(img, StretchKind::kZscale)->at(0, 0) == 0);
}

TEST_CASE("stretch: asinh keeps a bright core below white more than linear does", "[cutouts]") {
  Image img = star_on_sky();
  auto linear = render_stamp(img, StretchKind::kZscale);
  auto asinh = render_stamp(img, StretchKind::kAsinh);
  REQUIRE(linear);
  REQUIRE(asinh);
  // Linear zscale saturates the star's wings; asinh still grades them.
  int saturated_linear = 0, saturated_asinh = 0;
  for (size_t i = 0; i < linear->size(); ++i) {
    saturated_linear += linear->pixels[i] == 255;
    saturated_asinh += asinh->pixels[i] == 255;
  }
  CHECK(saturated_asinh < saturated_linear);
  CHECK(asinh->at(31, 31) > asinh->at(34, 31));  // the core is brighter than its wing
}

TEST_CASE("stretch: symmetric maps zero to mid-grey, negative dark, positive bright", "[cutouts]") {
  Image diff(21, 21);
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0, 5);
  for (float& p : diff.pixels) p = noise(rng);
  diff.at(10, 10) = 0;
  diff.at(3, 3) = -1000;  // a deep negative residual
  diff.at(17, 17) = 1000; // a bright positive one
  auto grey = render_stamp(diff, StretchKind::kSymmetric);
  REQUIRE(grey);
  CHECK(grey->at(10, 10) == kMidGrey);
  CHECK(grey->at(3, 3) == 0);
  CHECK(grey->at(17, 17) == 255);

  // A flat zero stamp is all mid-grey, not black.
  auto flat = render_stamp(Image(4, 4, 0.f), StretchKind::kSymmetric);
  REQUIRE(flat);
  for (uint8_t p : flat->pixels) CHECK(p == kMidGrey);
}

TEST_CASE("stretch: a reference rendered with the science limits shades equal values equally",
          "[cutouts]") {
  Image science = star_on_sky();
  Image reference(63, 63);
  for (size_t i = 0; i < reference.size(); ++i) reference.pixels[i] = 1000 + float(i % 7) - 3;
  reference.at(31, 31) = science.at(31, 31);
  reference.at(0, 0) = science.at(0, 0);
  for (StretchKind kind : {StretchKind::kZscale, StretchKind::kAsinh, StretchKind::kSymmetric}) {
    DisplayLimits limits = stretch_limits(science, kind);
    REQUIRE(limits.valid);
    auto own = render_stamp(science, kind);
    auto same = render_stamp(science, kind, 1, limits);
    auto ref = render_stamp(reference, kind, 1, limits);
    REQUIRE(own);
    REQUIRE(same);
    REQUIRE(ref);
    CHECK(own->pixels == same->pixels);
    CHECK(ref->at(31, 31) == own->at(31, 31));
    CHECK(ref->at(0, 0) == own->at(0, 0));
  }
  // Limits from a stamp with nothing finite render finite pixels mid-grey.
  auto grey = render_stamp(reference, StretchKind::kZscale, 1, stretch_limits(Image(3, 3, kNaN), StretchKind::kZscale));
  REQUIRE(grey);
  CHECK(grey->at(5, 5) == kMidGrey);
}

TEST_CASE("stretch: NaN pixels are the fixed grey and do not move the limits", "[cutouts]") {
  Image img = star_on_sky(21);
  Image holed = img;
  for (int x = 0; x < 21; ++x) holed.at(x, 0) = kNaN;  // a row off the image's edge
  holed.at(5, 5) = std::numeric_limits<float>::infinity();
  for (StretchKind kind : {StretchKind::kZscale, StretchKind::kAsinh, StretchKind::kSymmetric}) {
    auto grey = render_stamp(holed, kind);
    REQUIRE(grey);
    for (int x = 0; x < 21; ++x) CHECK(grey->at(x, 0) == kNanGrey);
    CHECK(grey->at(5, 5) == kNanGrey);
  }
  // Only the finite pixels count: the limits equal those of the finite pixels alone.
  Image finite_only(21, 20);
  for (int y = 1; y < 21; ++y)
    for (int x = 0; x < 21; ++x) finite_only.at(x, y - 1) = img.at(x, y);
  holed.at(5, 5) = img.at(5, 5);
  DisplayLimits a = zscale_limits(holed), b = zscale_limits(finite_only);
  CHECK(a.low == b.low);
  CHECK(a.high == b.high);

  auto all_nan = render_stamp(Image(3, 3, kNaN), StretchKind::kZscale);
  REQUIRE(all_nan);
  for (uint8_t p : all_nan->pixels) CHECK(p == kNanGrey);
}

TEST_CASE("stretch: upscale repeats each pixel in a block, and is bounded", "[cutouts]") {
  Image img(3, 2);
  img.pixels = {0, 1, 2, 3, 4, 5};
  auto grey = render_stamp(img, StretchKind::kZscale, 4);
  auto plain = render_stamp(img, StretchKind::kZscale, 1);
  REQUIRE(grey);
  REQUIRE(plain);
  CHECK(grey->width == 12);
  CHECK(grey->height == 8);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 12; ++x) CHECK(grey->at(x, y) == plain->at(x / 4, y / 4));
  CHECK_FALSE(render_stamp(img, StretchKind::kZscale, 0));
  CHECK_FALSE(render_stamp(img, StretchKind::kZscale, kMaxUpscale + 1));
  CHECK_FALSE(render_stamp(Image(), StretchKind::kZscale));
}

TEST_CASE("png: an encoded stamp decodes back to the same size and pixels", "[cutouts]") {
  auto grey = render_stamp(star_on_sky(), StretchKind::kAsinh, 4);
  REQUIRE(grey);
  auto png = encode_png_grey(*grey);
  REQUIRE(png);
  REQUIRE(png->size() > 8);
  CHECK(png->compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  Decoded d = decode_png(*png);
  INFO(d.error);
  REQUIRE(d.error.empty());
  CHECK(d.width == 252);
  CHECK(d.height == 252);
  CHECK(std::equal(d.pixels.begin(), d.pixels.end(), grey->pixels.begin(), grey->pixels.end()));
}

TEST_CASE("png: an empty or inconsistent image is refused", "[cutouts]") {
  CHECK(encode_png_grey(GreyImage()).status().code() == Status::Code::kInvalidArgument);
  GreyImage wrong(4, 4);
  wrong.pixels.resize(3);
  CHECK(encode_png_grey(wrong).status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("png: an error libpng raises comes back as a Status", "[cutouts]") {
  // Wider than libpng's default user limit (1,000,000 columns): png_set_IHDR
  // reports it through the error callback, which must longjmp back cleanly.
  GreyImage too_wide(1000001, 1, 7);
  auto png = encode_png_grey(too_wide);
  REQUIRE_FALSE(png);
  CHECK(png.status().code() == Status::Code::kInternal);
  CHECK_THAT(png.status().message(), Catch::StartsWith("encoding PNG: "));
}
