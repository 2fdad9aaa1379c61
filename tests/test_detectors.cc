// Unit tests of each detector stage on small synthetic images.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "align.h"
#include "background.h"
#include "bad_pixels.h"
#include "cosmic.h"
#include "cosmic_veto.h"
#include "detect.h"
#include "fft_convolve.h"
#include "filters.h"
#include "noise_correlation.h"
#include "pattern_match.h"
#include "pipeline.h"
#include "prepared_image.h"
#include "psf_match.h"
#include "sources.h"
#include "synthetic_scene.h"

using namespace blink;
using namespace blink::testing;

TEST_CASE("image: a freed large plane's memory serves the next plane of its size, filled as asked") {
  set_plane_cache_limit(size_t(768) << 20);  // AddressSanitizer builds start with none
  const float* first = nullptr;
  {
    Image a(2048, 2048, 5.0f);
    first = a.pixels.data();
  }
  Image b(2048, 2048, 1.0f);
  CHECK(b.pixels.data() == first);
  CHECK(b.at(100, 100) == 1.0f);
  CHECK(b.at(2047, 2047) == 1.0f);
  set_plane_cache_limit(0);  // releases what is kept; later planes come fresh
  Image c(1024, 1024);
  CHECK(c.at(5, 5) == 0.0f);
}

TEST_CASE("fits: encode then decode keeps pixels and header facts") {
  Image img(40, 30);
  for (size_t i = 0; i < img.size(); ++i) img.pixels[i] = float(i) * 0.5f;
  auto bytes = encode_fits(img, {{"GAIN", 1.7, ""}, {"RDNOISE", 4.5, ""}, {"SATURATE", 50000.0, ""}});
  REQUIRE(bytes);
  auto back = decode_fits(bytes->data(), bytes->size());
  REQUIRE(back);
  CHECK(back->image.width == 40);
  CHECK(back->image.height == 30);
  CHECK(back->image.at(7, 3) == img.at(7, 3));
  CHECK(*back->gain == Approx(1.7));
  CHECK(*back->read_noise == Approx(4.5));
  CHECK(*back->saturate == Approx(50000));
}

TEST_CASE("fits: Rice tile-compressed image in an extension decodes") {
  Image img(64, 64);
  for (size_t i = 0; i < img.size(); ++i) img.pixels[i] = float(1000 + (i * 7919) % 97);
  auto bytes = encode_fits(img, {}, FitsCompression::kRice);
  INFO(bytes.status().message());
  REQUIRE(bytes);
  CHECK(bytes->size() < img.size() * sizeof(float));  // compressed, and no trailing padding
  auto back = decode_fits(bytes->data(), bytes->size());
  REQUIRE(back);
  CHECK(back->image.width == 64);
  CHECK(std::abs(back->image.at(10, 10) - img.at(10, 10)) < 30);
}

TEST_CASE("fits: truncated payload is refused with a reason") {
  Image img(100, 100, 1.0f);
  auto bytes = encode_fits(img, {});
  REQUIRE(bytes);
  auto r = decode_fits(bytes->data(), bytes->size() / 2);
  REQUIRE_FALSE(r);
  CHECK_FALSE(r.status().message().empty());
  auto junk = decode_fits("hello", 5);
  REQUIRE_FALSE(junk);
  CHECK_THAT(junk.status().message(), Catch::Contains("2880"));
}

namespace {

// An IMAGE extension of 32-bit floats with the given EXTNAME, as FITS bytes.
std::vector<uint8_t> float_extension(const Image& img, const std::string& extname) {
  std::string header;
  auto card = [&](const std::string& text) { header += text + std::string(80 - text.size(), ' '); };
  auto value = [&](const std::string& key, const std::string& v) {
    std::string k = key + std::string(8 - key.size(), ' ');
    card(k + "= " + std::string(20 - std::min<size_t>(20, v.size()), ' ') + v);
  };
  card("XTENSION= 'IMAGE   '");
  value("BITPIX", "-32");
  value("NAXIS", "2");
  value("NAXIS1", std::to_string(img.width));
  value("NAXIS2", std::to_string(img.height));
  value("PCOUNT", "0");
  value("GCOUNT", "1");
  card("EXTNAME = '" + extname + "'");
  card("END");
  header.resize((header.size() + 2879) / 2880 * 2880, ' ');
  std::vector<uint8_t> out(header.begin(), header.end());
  for (float v : img.pixels) {
    uint32_t u;
    std::memcpy(&u, &v, 4);
    for (int b = 3; b >= 0; --b) out.push_back(uint8_t(u >> (8 * b)));  // FITS is big-endian
  }
  out.resize((out.size() + 2879) / 2880 * 2880, 0);
  return out;
}

}  // namespace

TEST_CASE("fits: an uncertainty extension becomes the variance, whatever form it takes") {
  Image img(40, 30, 10.0f), unc(40, 30, 2.0f);
  unc.at(5, 5) = -1;  // an unmeasured pixel
  auto primary = encode_fits(img, {});
  REQUIRE(primary);
  struct Form {
    std::string extname;
    float value;     // what the extension holds for a variance of 4
  };
  for (const Form& f : {Form{"ERR", 2.0f}, Form{"VARIANCE", 4.0f}, Form{"IVAR", 0.25f}}) {
    INFO(f.extname);
    Image u = unc;
    for (float& v : u.pixels) v = v > 0 ? f.value : v;
    std::vector<uint8_t> bytes = *primary;
    auto ext = float_extension(u, f.extname);
    bytes.insert(bytes.end(), ext.begin(), ext.end());
    auto back = decode_fits(bytes.data(), bytes.size());
    INFO(back.status().message());
    REQUIRE(back);
    REQUIRE(back->variance);
    CHECK(back->variance->at(10, 10) == Approx(4.0));
    CHECK(std::isnan(back->variance->at(5, 5)));
  }
  // An extension of another name is not an uncertainty; one of the wrong size is refused.
  std::vector<uint8_t> other = *primary;
  auto ext = float_extension(unc, "MASK");
  other.insert(other.end(), ext.begin(), ext.end());
  auto plain = decode_fits(other.data(), other.size());
  REQUIRE(plain);
  CHECK_FALSE(plain->variance);
  std::vector<uint8_t> wrong = *primary;
  ext = float_extension(Image(20, 30, 2.0f), "ERR");
  wrong.insert(wrong.end(), ext.begin(), ext.end());
  auto refused = decode_fits(wrong.data(), wrong.size());
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.status().message(), Catch::Contains("uncertainty"));
}

TEST_CASE("noise correlation: smoothed noise's correlation is measured and predicts a kernel's effect") {
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0, 1);
  Image white(512, 512);
  for (float& v : white.pixels) v = n(rng);
  // Smoothing by [1 2 1]/4 on each axis: rho(1,0) = 2/3, rho(2,0) = 1/6, rho(1,1) = 4/9.
  const std::vector<float> k = {0.25f, 0.5f, 0.25f};
  Image coadd = separable_convolve(white, k, k, 1);
  Image variance(512, 512, 0.375f * 0.375f);
  Mask mask(512, 512, 0);
  for (float& v : coadd.pixels) v += 0.3f;  // a background left over: the structure function ignores it
  NoiseCorrelation c = measure_noise_correlation(coadd, variance, mask, 2);
  CHECK(c.at(0, 0) == 1.0f);
  CHECK(c.at(1, 0) == Approx(2.0 / 3).margin(0.03));
  CHECK(c.at(0, -1) == Approx(2.0 / 3).margin(0.03));
  CHECK(c.at(2, 0) == Approx(1.0 / 6).margin(0.03));
  CHECK(c.at(1, 1) == Approx(4.0 / 9).margin(0.03));
  CHECK(std::abs(c.at(2, 2) - 1.0 / 36) < 0.03);
  // The variance after a further blur is what the factor predicts, not k^2 alone.
  for (float& v : coadd.pixels) v -= 0.3f;
  auto g = gaussian_kernel_1d(1.0);
  Image blurred = separable_convolve(coadd, g, g, 1);
  Image kernel(int(g.size()), int(g.size()));
  double k2 = 0;
  for (size_t y = 0; y < g.size(); ++y)
    for (size_t x = 0; x < g.size(); ++x) k2 += double(kernel.at(int(x), int(y)) = g[x] * g[y]) * g[x] * g[y];
  double sum2 = 0;
  size_t count = 0;
  for (int y = 20; y < 492; ++y)
    for (int x = 20; x < 492; ++x) sum2 += double(blurred.at(x, y)) * blurred.at(x, y), ++count;
  const double measured = sum2 / count / (0.375 * 0.375);
  CHECK(measured == Approx(k2 * c.convolution_factor(kernel)).epsilon(0.05));
  CHECK(measured > 1.5 * k2);
  // White noise stays white.
  NoiseCorrelation wc = measure_noise_correlation(white, Image(512, 512, 1.0f), mask, 2);
  CHECK(std::abs(wc.at(1, 0)) < 0.02);
  CHECK(wc.convolution_factor(kernel) == Approx(1.0).margin(0.05));
}

TEST_CASE("sources: in a field of galaxies the PSF is the narrowest tight clump, not the median") {
  std::vector<Source> catalogue;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> broad(3.5, 20), star(2.4, 2.6);
  for (int i = 0; i < 80; ++i) catalogue.push_back({.x = 100.0 + i, .y = 100, .snr = 50, .fwhm = broad(rng), .isolation = 50});
  for (int i = 0; i < 12; ++i) catalogue.push_back({.x = 300.0 + i, .y = 300, .snr = 80, .fwhm = star(rng), .isolation = 50});
  PsfEstimate psf = estimate_psf(catalogue);
  CHECK(psf.fwhm == Approx(2.5).margin(0.1));
  // A star field keeps its median: the occasional narrow outlier does not pull it.
  std::vector<Source> stars;
  std::normal_distribution<double> width(3.0, 0.1);
  for (int i = 0; i < 100; ++i) stars.push_back({.x = 10.0 * i, .y = 5, .snr = 50, .fwhm = width(rng), .isolation = 50});
  for (int i = 0; i < 5; ++i) stars.push_back({.x = 10.0 * i, .y = 500, .snr = 50, .fwhm = 1.2, .isolation = 50});
  CHECK(estimate_psf(stars).fwhm == Approx(3.0).margin(0.1));
}

TEST_CASE("wcs: a TAN header maps pixels to the sky and back") {
  Image img(100, 100);
  auto bytes = encode_fits(img, tan_wcs_cards({150.0, 2.0}, {50, 50}, 1.0, 0.0));
  auto fits = decode_fits(bytes->data(), bytes->size());
  REQUIRE(fits);
  auto wcs = Wcs::from_header(fits->header, fits->header_cards);
  REQUIRE(wcs);
  auto sky = wcs->to_sky({50, 50});
  REQUIRE(sky);
  CHECK(sky->ra == Approx(150.0));
  CHECK(sky->dec == Approx(2.0));
  auto east = wcs->to_sky({60, 50});
  CHECK(angular_separation_arcsec(*sky, *east) == Approx(10.0).epsilon(0.01));
  CHECK(east->ra < sky->ra);  // east is to the left: x up means RA down
  auto px = wcs->to_pixel(*east);
  CHECK(px->x == Approx(60).margin(1e-6));
  CHECK(wcs->pixel_scale_arcsec({50, 50}) == Approx(1.0).epsilon(0.01));
}

TEST_CASE("wcs: a header without WCS is refused with a reason") {
  Image img(10, 10);
  auto bytes = encode_fits(img, {});
  auto fits = decode_fits(bytes->data(), bytes->size());
  auto wcs = Wcs::from_header(fits->header, fits->header_cards);
  REQUIRE_FALSE(wcs);
  CHECK_FALSE(wcs.status().message().empty());
}

TEST_CASE("background: a sloped sky and its noise are recovered under stars") {
  Scene sc;
  sc.width = sc.height = 256;
  auto stars = random_stars(60, 256, 256, 3);
  Image img = render(sc, stars);
  for (int y = 0; y < 256; ++y)
    for (int x = 0; x < 256; ++x) img.at(x, y) += float(0.5 * x);  // 0..128 ADU gradient
  Mask mask(256, 256, 0);
  BackgroundMap bg = estimate_background(img, mask, 32, 1);
  double expected_rms = std::sqrt(1000 / 2.0 + 6.25);
  CHECK(bg.global_rms == Approx(expected_rms).epsilon(0.1));
  CHECK(bg.level.at(128, 128) == Approx(1000 + 64).margin(4));
  CHECK(bg.level.at(200, 40) == Approx(1000 + 100).margin(5));
}

TEST_CASE("sources: stars are found and the PSF width is measured") {
  Scene sc;
  sc.fwhm = 3.5;
  auto stars = random_stars(50, 256, 256, 5, 20000, 200000);
  Image img = render(sc, stars);
  Mask mask(256, 256, 0);
  BackgroundMap bg = estimate_background(img, mask, 32, 1);
  for (size_t i = 0; i < img.size(); ++i) img.pixels[i] -= bg.level.pixels[i];
  auto found = extract_sources(img, bg.rms, mask, SourceOptions{}, 1);
  CHECK(found.size() >= 40);
  PsfEstimate psf = estimate_psf(found);
  CHECK(psf.fwhm == Approx(3.5).epsilon(0.08));
  CHECK(psf.elongation < 1.15);
}

TEST_CASE("cosmic: a single hot pixel is flagged, a star is not") {
  Scene sc;
  sc.fwhm = 3.0;
  Image img = render(sc, {{100, 100, 50000}});
  for (float& v : img.pixels) v -= 1000;
  img.at(50, 60) += 3000;
  Image rms(256, 256, float(std::sqrt(500.0 + 6.25)));
  Image var(256, 256);
  for (size_t i = 0; i < var.size(); ++i) var.pixels[i] = rms.pixels[i] * rms.pixels[i] + std::max(img.pixels[i], 0.0f) / 2;
  Mask mask(256, 256, 0);
  flag_cosmic_rays(img, var, mask, 3.0, kMaskCosmicRay);
  CHECK((mask.at(50, 60) & kMaskCosmicRay) != 0);
  CHECK((mask.at(100, 100) & kMaskCosmicRay) == 0);
  inpaint_masked(img, mask, kMaskCosmicRay);
  CHECK(std::abs(img.at(50, 60)) < 5 * rms.at(50, 60));
}

namespace {

// A segment of charge with a Gaussian cross-section (FWHM `width`), pixel
// integrated on a 5x5 grid, `peak` ADU along its spine: a particle's track.
void add_track(Image& img, double x, double y, double length, double angle, double width, double peak) {
  const double s = width / 2.3548, half = length / 2, ux = std::cos(angle), uy = std::sin(angle);
  const int r = int(half + 4 * s) + 2;
  for (int yy = int(y) - r; yy <= int(y) + r; ++yy)
    for (int xx = int(x) - r; xx <= int(x) + r; ++xx) {
      double acc = 0;
      for (int j = 0; j < 5; ++j)
        for (int i = 0; i < 5; ++i) {
          double dx = xx - 0.4 + 0.2 * i - x, dy = yy - 0.4 + 0.2 * j - y;
          double along = std::clamp(dx * ux + dy * uy, -half, half);
          double ex = dx - along * ux, ey = dy - along * uy;
          acc += std::exp(-0.5 * (ex * ex + ey * ey) / (s * s));
        }
      img.at(xx, yy) += float(peak * acc / 25);
    }
}

// Pixels of `truth` (noiseless added charge) above `sigma` times the noise that `mask` does not flag.
int unflagged_above(const Image& truth, const Image& variance, const Mask& mask, double sigma) {
  int n = 0;
  for (size_t i = 0; i < truth.size(); ++i)
    if (truth.pixels[i] > sigma * std::sqrt(variance.pixels[i]) && !(mask.pixels[i] & kMaskCosmicRay)) ++n;
  return n;
}

// Flagged pixels within `radius` of any star.
int flagged_on_stars(const Mask& mask, const std::vector<Star>& stars, double radius) {
  int n = 0;
  for (int y = 0; y < mask.height; ++y)
    for (int x = 0; x < mask.width; ++x)
      if (mask.at(x, y) & kMaskCosmicRay)
        for (const Star& s : stars)
          if (std::hypot(x - s.x, y - s.y) < radius) {
            ++n;
            break;
          }
  return n;
}

}  // namespace

TEST_CASE("cosmic: long and wide tracks and round hits narrower than the PSF are flagged whole; stars are not") {
  Scene sc;
  sc.width = sc.height = 384;
  sc.fwhm = 3.2;
  auto stars = random_stars(120, sc.width, sc.height, 11, 5000, 400000);
  std::erase_if(stars, [](const Star& s) {  // the hits clear of stars: this tests shapes, not blends
    return std::hypot(s.x - 100, s.y - 300) < 20 || std::hypot(s.x - 300, s.y - 80) < 15 ||
           std::hypot(s.x - 200, s.y - 200) < 12;
  });
  Image img = render(sc, stars);
  // Hits a Laplacian alone misses: a grazing track 2 px wide (62% of the
  // PSF) and 16 long, a faint one, and a round hit 70% of the PSF wide.
  Image hits(sc.width, sc.height);
  add_track(hits, 100, 300, 16, 0.4, 2.0, 4000);
  add_track(hits, 300, 80, 10, 2.0, 1.4, 600);
  add_gaussian(hits, 200, 200, 2.0 * M_PI * std::pow(0.7 * 3.2 / 2.3548, 2) * 3000, 0.7 * 3.2);
  for (size_t i = 0; i < img.size(); ++i) img.pixels[i] += hits.pixels[i];
  PipelineOptions opt;
  StageTimings t;
  auto p = prepare_image(as_fits(img, sc, 0, 0), opt, t, "");
  REQUIRE(p);
  CHECK(p->psf.fwhm == Approx(3.2).epsilon(0.1));
  INFO("flagged pixels " << p->cosmic_pixels);
  CHECK(unflagged_above(hits, p->variance, p->mask, 4.0) == 0);
  CHECK(flagged_on_stars(p->mask, stars, 2 * sc.fwhm) == 0);
  // What was flagged was filled in from around it: no trace of the hits is left.
  for (auto [x, y] : {std::pair{100, 300}, {300, 80}, {200, 200}}) CHECK(std::abs(p->image.at(x, y)) < 5 * p->sky_rms);
}

TEST_CASE("cosmic: stars smeared by a tracking error are not taken for hits along their sharp axis") {
  Scene sc;
  sc.width = sc.height = 384;
  auto stars = random_stars(150, sc.width, sc.height, 12, 5000, 600000);
  // Each star 5.5 px wide along x and 2.6 px along y, as in a frame where the mount drifted.
  Image img(sc.width, sc.height, float(sc.sky));
  for (const Star& st : stars)
    for (double dx = -1.5; dx <= 1.51; dx += 0.5) add_gaussian(img, st.x + dx, st.y, st.flux / 7, 2.6);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> n01(0, 1);
  for (float& v : img.pixels) v += float(std::sqrt(v / sc.gain + 6.25) * n01(rng));
  PipelineOptions opt;
  StageTimings t;
  auto p = prepare_image(as_fits(img, sc, 0, 0), opt, t, "");
  REQUIRE(p);
  CHECK(flagged_on_stars(p->mask, stars, 8) == 0);
}

TEST_CASE("cosmic veto: new sources narrower than the nearby stars are hits; transients of the PSF's width are not") {
  Scene sc;
  sc.width = sc.height = 512;
  auto stars = random_stars(200, sc.width, sc.height, 21, 20000, 400000);
  // New sources on a grid clear of the stars: transients as wide as the PSF
  // at S/N 10-40 (the sky noise is 22.5 ADU; a PSF-wide source's S/N is its
  // flux / 102), and round hits 75% of its width, about as bright.
  std::vector<std::pair<double, double>> spots;
  for (int gy = 0; gy < 8; ++gy)
    for (int gx = 0; gx < 8; ++gx) spots.emplace_back(40 + 62 * gx, 40 + 62 * gy);
  std::erase_if(spots, [&](const auto& p) {
    for (const Star& st : stars)
      if (std::hypot(st.x - p.first, st.y - p.second) < 15) return true;
    return false;
  });
  REQUIRE(spots.size() >= 30);
  Image img = render(sc, stars);
  std::vector<std::pair<double, double>> transients, hits;
  std::vector<double> snrs;
  for (size_t i = 0; i < spots.size(); ++i) {
    const auto [x, y] = spots[i];
    if (i % 3 == 2) {
      const double snr = 15 + 25.0 * double(i % 7) / 6;
      add_gaussian(img, x, y, snr * 102 * 0.75, 0.75 * sc.fwhm);
      hits.emplace_back(x, y);
    } else {
      const double snr = 10 + 30.0 * double(i % 11) / 10;
      add_gaussian(img, x, y, snr * 102, sc.fwhm);
      transients.emplace_back(x, y);
      snrs.push_back(snr);
    }
  }
  PipelineOptions opt;
  StageTimings t;
  auto p = prepare_image(as_fits(img, sc, 0, 0), opt, t, "");
  REQUIRE(p);
  Image science = img;
  for (float& v : science.pixels) v -= float(sc.sky);
  const CosmicVeto veto(science, p->sources, p->psf.fwhm);
  for (size_t i = 0; i < transients.size(); ++i) {
    INFO("transient at " << transients[i].first << ", " << transients[i].second << " S/N " << snrs[i]);
    CHECK_FALSE(veto.is_hit(transients[i].first, transients[i].second, snrs[i]));
  }
  for (const auto& [x, y] : hits) {
    INFO("hit at " << x << ", " << y);
    CHECK(veto.is_hit(x, y, 15));
  }
  // Where the PSF is undersampled, widths say nothing: no veto.
  const CosmicVeto blind(science, p->sources, 1.8);
  for (const auto& [x, y] : hits) CHECK_FALSE(blind.is_hit(x, y, 40));
}

namespace {

// A 128x128 difference image of zeros, nothing masked.
DifferenceImage blank_difference(double psf_fwhm, float variance) {
  DifferenceImage d;
  d.psf_fwhm = psf_fwhm;
  d.diff = Image(128, 128);
  d.variance = Image(128, 128, variance);
  d.mask = Mask(128, 128, 0);
  return d;
}

}  // namespace

TEST_CASE("detect: a peak where the reference was filled in is no candidate; one on a filled science pixel is") {
  DifferenceImage d = blank_difference(3.0, 100.0f);
  std::mt19937_64 rng(4);
  std::normal_distribution<double> n01(0, 1);
  for (float& v : d.diff.pixels) v = float(10 * n01(rng));
  add_gaussian(d.diff, 40, 64, 3000, 3.0);
  add_gaussian(d.diff, 90, 64, 3000, 3.0);
  for (int y = 62; y <= 66; ++y)
    for (int x = 38; x <= 42; ++x) d.mask.at(x, y) = kMaskReferenceFilled;
  for (int y = 62; y <= 66; ++y)
    for (int x = 88; x <= 92; ++x) d.mask.at(x, y) = kMaskCosmicRay;
  const Significance s = significance_image(d, 1);
  const auto found = find_detections(d, s, DetectionOptions{});
  REQUIRE(found.size() == 1);
  CHECK(found[0].x == Approx(90).margin(1));
}

TEST_CASE("detect: a source between pixel centres is judged by the significance at its summit") {
  // Significance peaks as a matched filter makes them (sigma 1.44 px, for a
  // PSF of 2.4 px FWHM), centred half a pixel off in x and y: the grid
  // samples them 11% low.
  const DifferenceImage d = blank_difference(2.4, 1.0f);
  Significance s;
  s.z = Image(128, 128);
  auto add_peak = [&](double x0, double y0, double height) {
    for (int y = 0; y < 128; ++y)
      for (int x = 0; x < 128; ++x)
        s.z.at(x, y) += float(height * std::exp(-0.5 * ((x - x0) * (x - x0) + (y - y0) * (y - y0)) / (1.44 * 1.44)));
  };
  add_peak(40.5, 60.5, 5.4);  // 4.8 on the grid: found
  add_peak(90.5, 60.5, 4.8);  // 4.3 on the grid, and below 5 at its summit too: not
  const auto found = find_detections(d, s, DetectionOptions{});
  REQUIRE(found.size() == 1);
  CHECK(found[0].x == Approx(40.5).margin(0.6));
  CHECK(found[0].snr == Approx(5.4).epsilon(0.02));
}

TEST_CASE("fft: convolution with a delta kernel is the identity and a box kernel sums") {
  Image img(50, 40);
  img.at(20, 20) = 1.0f;
  Image delta(5, 5);
  delta.at(2, 2) = 1.0f;
  Image out = fft_convolve(img, delta, 1);
  CHECK(out.at(20, 20) == Approx(1.0).margin(1e-5));
  CHECK(out.at(21, 20) == Approx(0.0).margin(1e-5));
  Image shift(5, 5);
  shift.at(3, 2) = 1.0f;  // kernel offset +1 in x moves the image +1 in x
  Image moved = fft_convolve(img, shift, 1);
  CHECK(moved.at(21, 20) == Approx(1.0).margin(1e-5));
  CHECK(fast_fft_size(1031) == 1050);
}

TEST_CASE("align: a known shift is recovered from stars when the WCS is slightly wrong") {
  Scene sc;
  auto stars = random_stars(120, 256, 256, 7, 5000, 200000);
  Image ref = render(sc, stars);
  sc.offset_x = 3.4, sc.offset_y = -2.2, sc.noise_seed = 2;
  Image sci = render(sc, stars);
  // Both WCSs claim the same pointing: the refinement must find the 3.4, -2.2 shift.
  FitsImage fref = as_fits(ref, sc, 0, 0), fsci = as_fits(sci, sc, 0, 0);
  PipelineOptions opt;
  opt.threads = 1;
  StageTimings t;
  auto pr = prepare_image(fref, opt, t, "ref_");
  auto ps = prepare_image(fsci, opt, t, "");
  REQUIRE(pr);
  REQUIRE(ps);
  auto map = PixelMap::from_wcs(&*ps->wcs, &*pr->wcs, 256, 256);
  REQUIRE(map);
  AlignmentFit fit = refine_with_stars(*map, ps->sources, pr->sources, 8.0);
  CHECK(fit.matched >= 30);
  double rx, ry;
  map->map(128, 128, rx, ry);
  CHECK(rx == Approx(128 - 3.4).margin(0.05));
  CHECK(ry == Approx(128 + 2.2).margin(0.05));
}

TEST_CASE("psf_match: a known Gaussian blur kernel is recovered") {
  Scene sharp_sc;
  sharp_sc.fwhm = 2.5;
  sharp_sc.read_noise = 1, sharp_sc.sky = 100, sharp_sc.gain = 50;  // nearly noiseless
  auto stars = random_stars(40, 256, 256, 11, 50000, 300000);
  Image sharp = render(sharp_sc, stars);
  for (float& v : sharp.pixels) v -= 100;
  // The broad image is the sharp one blurred by a Gaussian of sigma 1.5, scaled by 1.3.
  Image kernel(21, 21);
  double sum = 0;
  for (int y = 0; y < 21; ++y)
    for (int x = 0; x < 21; ++x) sum += kernel.at(x, y) = float(std::exp(-0.5 * ((x - 10) * (x - 10) + (y - 10) * (y - 10)) / 2.25));
  for (float& v : kernel.pixels) v = float(v / sum * 1.3);
  Image broad = fft_convolve(sharp, kernel, 1);
  Image var(256, 256, 1.0f);
  std::vector<StampCentre> centres;
  for (auto& s : stars)
    if (s.x > 40 && s.y > 40 && s.x < 216 && s.y < 216) centres.push_back({int(s.x), int(s.y)});
  REQUIRE(centres.size() >= 5);
  KernelBasisSpec spec = basis_for(2.5, std::sqrt(2.5 * 2.5 + std::pow(1.5 * 2.3548, 2)));
  spec.half_width = 10;
  auto sol = fit_kernel(sharp, broad, var, centres, spec, 8);
  INFO(sol.status().message());
  REQUIRE(sol);
  CHECK(sol->kernel_sum == Approx(1.3).epsilon(0.01));
  CHECK(sol->kernel.at(10, 10) == Approx(kernel.at(10, 10)).epsilon(0.03));
  CHECK(sol->kernel.at(12, 10) == Approx(kernel.at(12, 10)).epsilon(0.03));
}

TEST_CASE("pipeline: a new point source is found with the right position and flux") {
  const std::string method = GENERATE(std::string("alard-lupton"), std::string("zogy"));
  INFO("method " << method);
  Scene sc;
  sc.width = sc.height = 384;
  auto stars = random_stars(150, 384, 384, 21, 3000, 300000);
  sc.fwhm = 3.0;
  Image ref = render(sc, stars);
  Scene ssc = sc;
  ssc.fwhm = 3.8;
  ssc.offset_x = 1.3, ssc.offset_y = 0.6, ssc.noise_seed = 9;
  auto sci_stars = stars;
  const double tx = 200.3, ty = 170.8, tflux = 20000;
  sci_stars.push_back({tx - 1.3, ty - 0.6, tflux});  // render() adds the offset back
  Image sci = render(ssc, sci_stars);
  FitsImage fref = as_fits(ref, sc, 0, 0);
  FitsImage fsci = as_fits(sci, ssc, 1.3, 0.6);  // the WCS knows about the offset
  PipelineOptions opt;
  opt.threads = 2;
  opt.method = method;
  DifferencePipeline pipe(opt);
  auto pref = pipe.prepare_reference(fref);
  REQUIRE(pref);
  auto res = pipe.process(fsci, **pref);
  REQUIRE(res);
  CHECK(res->method.rfind(method, 0) == 0);
  const Candidate* best = nullptr;
  for (const Candidate& c : res->candidates)
    if (std::hypot(c.x - tx, c.y - ty) < 1.5) best = &c;
  REQUIRE(best != nullptr);
  CHECK(best->x == Approx(tx).margin(0.3));
  CHECK(best->y == Approx(ty).margin(0.3));
  CHECK(best->flux == Approx(tflux).epsilon(0.1));
  CHECK(best->snr > 20);
  CHECK(best->real_bogus > 0.5);
  CHECK(res->noise_ratio < 1.3);
  // Everything else subtracts to noise: few other detections.
  CHECK(res->candidates.size() <= 6);
}

TEST_CASE("pipeline: ZOGY leaves no candidate on bright stars whose PSF varies within a tile; a transient is found") {
  Scene sc;
  sc.width = sc.height = 384;
  sc.fwhm = 3.0;
  auto stars = random_stars(150, 384, 384, 31, 3000, 300000);
  Image ref = render(sc, stars);
  // The science PSF widens from 3.0 px on the left to 4.2 px on the right:
  // one PSF model for the tile is 15% off at its edges, and the brightest
  // stars' residuals would stand far above their noise.
  Scene ssc = sc;
  ssc.noise_seed = 5;
  Image sci(384, 384, float(ssc.sky));
  for (const Star& st : stars) add_gaussian(sci, st.x, st.y, st.flux, 3.0 + 1.2 * st.x / 384);
  const double tx = 250.4, ty = 120.6, tflux = 4000;  // S/N about 25
  add_gaussian(sci, tx, ty, tflux, 3.0 + 1.2 * tx / 384);
  std::mt19937_64 rng(ssc.noise_seed);
  std::normal_distribution<double> n01(0, 1);
  for (float& v : sci.pixels) v += float(std::sqrt(v / ssc.gain + 6.25) * n01(rng));
  PipelineOptions opt;
  opt.threads = 2;
  opt.method = "zogy";
  DifferencePipeline pipe(opt);
  auto pref = pipe.prepare_reference(as_fits(ref, sc, 0, 0));
  REQUIRE(pref);
  auto res = pipe.process(as_fits(sci, ssc, 0, 0), **pref);
  REQUIRE(res);
  // Only the transient stands out; the stars subtract to within their
  // PSF model's measured error.
  bool found = false;
  for (const Candidate& c : res->candidates) {
    INFO("candidate at " << c.x << ", " << c.y << " S/N " << c.snr);
    if (std::hypot(c.x - tx, c.y - ty) < 1.5) {
      found = true;
      CHECK(c.snr > 15);
    } else {
      CHECK(c.snr < 7);
    }
  }
  CHECK(found);
  CHECK(res->candidates.size() <= 3);
}

TEST_CASE("pipeline: a reference star whose core a cosmic ray took, filled in, is no candidate") {
  Scene sc;
  sc.width = sc.height = 384;
  auto stars = random_stars(150, 384, 384, 41, 3000, 300000);
  std::erase_if(stars, [](const Star& st) { return std::hypot(st.x - 190, st.y - 200) < 20; });
  const Star hit_star{190.2, 200.3, 40000};  // S/N about 300 in the science
  stars.push_back(hit_star);
  Image ref = render(sc, stars);
  // Grazing tracks across the star's core: flagged as hits, the pixels they
  // cover are filled from around them, and the star's core with them.
  Image track(384, 384);
  add_track(track, hit_star.x, hit_star.y, 9, 0.3, 1.2, 30000);
  add_track(track, hit_star.x, hit_star.y, 9, 1.9, 1.2, 30000);
  for (size_t i = 0; i < ref.size(); ++i) ref.pixels[i] += track.pixels[i];
  Scene ssc = sc;
  ssc.fwhm = 3.6, ssc.noise_seed = 8;
  Image sci = render(ssc, stars);
  PipelineOptions opt;
  opt.threads = 2;
  DifferencePipeline pipe(opt);
  auto pref = pipe.prepare_reference(as_fits(ref, sc, 0, 0));
  REQUIRE(pref);
  auto res = pipe.process(as_fits(sci, ssc, 0, 0), **pref);
  REQUIRE(res);
  for (const Candidate& c : res->candidates) {
    INFO("candidate at " << c.x << ", " << c.y << " S/N " << c.snr);
    CHECK(std::hypot(c.x - hit_star.x, c.y - hit_star.y) > 5);
  }
}

TEST_CASE("pipeline: nothing beside saturated stars becomes a candidate when the science is blurrier") {
  Scene sc;
  sc.width = sc.height = 384;
  auto stars = random_stars(120, 384, 384, 51, 3000, 200000);
  const std::vector<std::pair<double, double>> bright = {{100.3, 100.6}, {280.7, 150.2}, {150.4, 290.8}};
  std::erase_if(stars, [&](const Star& st) {
    for (auto [x, y] : bright)
      if (std::hypot(st.x - x, st.y - y) < 25) return true;
    return false;
  });
  for (auto [x, y] : bright) stars.push_back({x, y, 3e6});  // peaks far above SATURATE (60000)
  auto clip = [](Image& img) {
    for (float& v : img.pixels) v = std::min(v, 60000.0f);
  };
  Image ref = render(sc, stars);
  clip(ref);
  Scene ssc = sc;
  ssc.fwhm = 4.5, ssc.noise_seed = 12;
  Image sci = render(ssc, stars);
  clip(sci);
  PipelineOptions opt;
  opt.threads = 2;
  opt.method = "zogy";
  DifferencePipeline pipe(opt);
  auto pref = pipe.prepare_reference(as_fits(ref, sc, 0, 0));
  REQUIRE(pref);
  auto res = pipe.process(as_fits(sci, ssc, 0, 0), **pref);
  REQUIRE(res);
  for (const Candidate& c : res->candidates)
    for (auto [x, y] : bright) {
      INFO("candidate at " << c.x << ", " << c.y << " S/N " << c.snr);
      CHECK(std::hypot(c.x - x, c.y - y) > 20);
    }
}

TEST_CASE("pattern_match: a large offset and a rotation are found without any WCS") {
  auto stars = random_stars(80, 512, 512, 31, 5000, 300000);
  std::vector<Source> ref, sci;
  const double ang = 3.0 * M_PI / 180, dx = 37.5, dy = -21.25;
  for (auto& s : stars) {
    Source r;
    r.x = s.x, r.y = s.y, r.flux = s.flux, r.snr = 100, r.fwhm = 3;
    ref.push_back(r);
    // Science sees the same stars rotated about the origin and shifted; a few are missing.
    if (s.flux < 6000) continue;
    Source q = r;
    q.x = std::cos(ang) * s.x - std::sin(ang) * s.y + dx;
    q.y = std::sin(ang) * s.x + std::cos(ang) * s.y + dy;
    sci.push_back(q);
  }
  PatternMatch pm = match_star_patterns(sci, ref);
  REQUIRE(pm.ok);
  CHECK(pm.rotation_deg == Approx(-3.0).margin(0.01));
  CHECK(pm.scale == Approx(1.0).margin(1e-4));
  // Map a science star back to its reference position.
  const Source& q = sci[5];
  double rx = pm.cx[0] + pm.cx[1] * q.x + pm.cx[2] * q.y, ry = pm.cy[0] + pm.cy[1] * q.x + pm.cy[2] * q.y;
  bool hit = false;
  for (auto& r : ref) hit = hit || std::hypot(r.x - rx, r.y - ry) < 0.01;
  CHECK(hit);
}

TEST_CASE("bad_pixels: a pixel hot in every exposure is learned, a cosmic ray is not") {
  BadPixelModel model(64, 64);
  for (int e = 0; e < 4; ++e) {
    Mask flags(64, 64, 0);
    flags.at(10, 20) = kMaskCosmicRay;          // the same detector pixel each time
    flags.at(5 + 10 * e, 40) = kMaskCosmicRay;  // a cosmic ray somewhere new
    model.observe(observe_defects(flags));
    if (e == 1) CHECK(model.mask().at(10, 20) == 0);  // too few exposures to say
  }
  Mask m = model.mask();
  CHECK(m.at(10, 20) == kMaskBadPixel);
  CHECK(m.at(5, 40) == 0);
  auto back = BadPixelModel::deserialize(model.serialize());
  REQUIRE(back);
  CHECK(back->exposures() == 4);
  CHECK(back->mask().at(10, 20) == kMaskBadPixel);
  std::vector<uint8_t> broken = model.serialize();
  broken.resize(broken.size() - 3);
  CHECK_FALSE(BadPixelModel::deserialize(broken));
}

TEST_CASE("bad_pixels: a faint warm column segment is found, stars are not") {
  Scene sc;
  sc.fwhm = 3.0;
  auto stars = random_stars(60, 256, 256, 41, 3000, 300000);
  Image img = render(sc, stars);
  for (float& v : img.pixels) v -= 1000;
  for (int y = 0; y < 120; ++y) img.at(77, y) += 25.0f;  // ~1 sigma per pixel, from row 0 to 119
  Image rms(256, 256, float(std::sqrt(1000 / 2.0 + 6.25)));
  Mask mask(256, 256, 0);
  CHECK(flag_warm_columns(img, rms, mask) == 1);
  CHECK(mask.at(77, 10) == kMaskBadPixel);
  CHECK(mask.at(77, 200) == 0);
  CHECK(mask.at(78, 10) == 0);
}
