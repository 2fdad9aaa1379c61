// The benchmark's fitsh column: reading ficonv's kernel list, and ficonv
// itself on a star field blurred by a known Gaussian (skipped, with a
// warning, where Debian's fitsh package is not installed).
#include <catch2/catch.hpp>

#include <cmath>

#include "detect.h"
#include "fitsh_runner.h"
#include "kernel_list.h"
#include "subtraction.h"
#include "synthetic_scene.h"

using namespace blink;

TEST_CASE("kernel list: identity plus a discrete delta at the frame centre", "[fitsh]") {
  // As ficonv writes it; spatial terms vanish at the origin, the background is no kernel.
  const std::string text =
      "[global]\ntype   = 1\noffset =       128,       128\nscale  =       128\n[end]\n\n"
      "[kernel] # 0\ntype = background\norder = 1\ncoeff    = 5, 1, 1\n[end]\n\n"
      "[kernel] # 1\ntype = identity\norder = 1\ncoeff    =          0.5, 0.1, 0.2\n[end]\n\n"
      "[kernel] # 2\ntype = ddelta\nbasis = 1,0\n"
      "#image =          0,          0,          0, \\\n"
      "#                 0,       -0.5,        0.5, \\\n"
      "#                 0,          0,          0\n"
      "order = 1\ncoeff    = 0.4, 3, 3\n[end]\n";
  auto k = bench::parse_kernel_list(text);
  REQUIRE(k);
  CHECK(k->terms == 3);
  CHECK(k->half_size == 1);
  CHECK(k->kernel.at(1, 1) == Approx(0.3));  // 0.5 - 0.4 * 0.5
  CHECK(k->kernel.at(2, 1) == Approx(0.2));
  CHECK(k->sum == Approx(0.5));
  CHECK(k->sum_sq == Approx(0.13));
}

TEST_CASE("kernel list: a discrete kernel without its #image is refused", "[fitsh]") {
  auto k = bench::parse_kernel_list("[kernel]\ntype = ddelta\norder = 0\ncoeff = 1\n[end]\n");
  CHECK_FALSE(k);
}

TEST_CASE("ficonv: a star field blurred by a known Gaussian subtracts down to the noise", "[fitsh]") {
  auto ficonv = bench::find_on_path("ficonv");
  if (!ficonv) {
    WARN("ficonv is not on PATH (Debian package fitsh); skipping the fitsh subtraction check");
    return;
  }
  const double ref_fwhm = 2.5, sci_fwhm = 4.0, flux_ratio = 0.5;
  auto stars = testing::random_stars(150, 256, 256, 7, 3000, 300000);
  auto science_stars = stars;
  for (auto& s : science_stars) s.flux *= flux_ratio;
  testing::Scene ref_scene, sci_scene;
  ref_scene.fwhm = ref_fwhm, ref_scene.noise_seed = 1;
  sci_scene.fwhm = sci_fwhm, sci_scene.noise_seed = 2;
  Image ref = testing::render(ref_scene, stars), sci = testing::render(sci_scene, science_stars);
  // Background subtracted, as the pipeline hands the images over; the variance from the counts.
  auto remove_sky = [](Image& img, const testing::Scene& sc) {
    Image var(img.width, img.height);
    const double rn = sc.read_noise / sc.gain;
    for (size_t i = 0; i < img.size(); ++i) {
      var.pixels[i] = float(std::max(img.pixels[i], 0.0f) / sc.gain + rn * rn);
      img.pixels[i] -= float(sc.sky);
    }
    return var;
  };
  Image ref_var = remove_sky(ref, ref_scene), sci_var = remove_sky(sci, sci_scene);

  std::vector<bench::Stamp> stamps;
  for (const auto& s : stars)
    if (s.flux > 20000 && s.x > 20 && s.y > 20 && s.x < 236 && s.y < 236) stamps.push_back({s.x, s.y, 8});
  REQUIRE(stamps.size() >= 10);
  bench::FitshConfig config;
  config.ficonv = *ficonv;
  config.kernel_spec = bench::fast_kernel_spec(sci_fwhm, ref_fwhm);
  auto sub = bench::run_ficonv(sci, ref, stamps, config);
  REQUIRE(sub);

  // The Gaussian that blurs 2.5 px into 4 px, carrying half the flux.
  const double sk = std::sqrt(std::pow(sci_fwhm / 2.3548, 2) - std::pow(ref_fwhm / 2.3548, 2));
  CHECK(sub->kernel.sum == Approx(flux_ratio).epsilon(0.03));
  CHECK(sub->kernel.sum_sq == Approx(flux_ratio * flux_ratio / (4 * M_PI * sk * sk)).epsilon(0.25));

  DifferenceImage d;
  d.diff = sub->diff;
  d.variance = Image(256, 256);
  for (size_t i = 0; i < d.variance.size(); ++i)
    d.variance.pixels[i] = sci_var.pixels[i] + float(sub->kernel.sum_sq) * ref_var.pixels[i];
  const int hk = sub->kernel.half_size;
  d.mask = difference_mask(Mask(256, 256), Mask(256, 256), hk + 2, hk, false);
  d.psf_fwhm = sci_fwhm;
  Significance s = significance_image(d, 1);
  CHECK(s.pixel_noise_ratio > 0.8);
  CHECK(s.pixel_noise_ratio < 1.3);
}
