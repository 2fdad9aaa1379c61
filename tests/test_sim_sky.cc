// Tests of what the simulator puts into its images: noise, photometry,
// injected transients, variables and asteroids, detector artefacts, and the
// PSF and galaxy profiles. Small frames keep each case well under a second.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "artefacts.h"
#include "gaussian_mixture.h"
#include "instrument.h"
#include "photometry.h"
#include "psf_render.h"
#include "sim_fixtures.h"
#include "survey.h"
#include "wcs.h"

using namespace blink;
using namespace blink::sim;
using namespace blink::sim::testing;

namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// Sum of `image` within `radius` of (x, y).
double aperture_sum(const Image& image, double x, double y, double radius) {
  double sum = 0;
  for (int j = int(y - radius) - 1; j <= int(y + radius) + 1; ++j) {
    for (int i = int(x - radius) - 1; i <= int(x + radius) + 1; ++i) {
      if (image.contains(i, j) && std::hypot(i - x, j - y) <= radius) sum += image.at(i, j);
    }
  }
  return sum;
}

}  // namespace

TEST_CASE("sim: background noise matches sky Poisson plus read noise", "[sim]") {
  auto exposures = render_all(small_config(13));
  const SimExposure& e = exposures[1];
  std::vector<double> v(e.image.pixels.begin(), e.image.pixels.end());
  const double sky = median(v);
  // Differences of horizontal neighbours cancel the sky gradient; the median
  // absolute difference ignores the few pixels on stars.
  std::vector<double> dev;
  for (int y = 0; y < e.image.height; ++y) {
    for (int x = 0; x + 1 < e.image.width; x += 2)
      dev.push_back(std::fabs(e.image.at(x + 1, y) - e.image.at(x, y)));
  }
  const double measured = 1.4826 * median(dev) / std::sqrt(2.0);
  const double predicted = std::sqrt(sky / kGain + (kReadNoise / kGain) * (kReadNoise / kGain));
  INFO("sky " << sky << " measured " << measured << " predicted " << predicted);
  CHECK(sky > 700);
  CHECK(sky < 1700);
  CHECK(measured == Approx(predicted).epsilon(0.10));
}

TEST_CASE("sim: a bright transient adds the flux its magnitude and MAGZP promise", "[sim]") {
  SimConfig with = small_config(14, 512), without = with;
  without.transient_density = 0;
  SurveySimulator a(with), b(without);
  auto ea = a.render(1), eb = b.render(1);
  REQUIRE(ea);
  REQUIRE(eb);
  Image diff(ea->image.width, ea->image.height);
  for (size_t i = 0; i < diff.size(); ++i)
    diff.pixels[i] = ea->image.pixels[i] - eb->image.pixels[i];
  int checked = 0;
  for (const TruthRow& r : ea->truth) {
    if (!starts_with(r.kind, "transient") || r.mag > 19.5) continue;
    const double flux = std::pow(10.0, -0.4 * (r.mag - ea->magzp));
    const double measured = aperture_sum(diff, r.x, r.y, 6 * ea->seeing_fwhm_px);
    INFO(r.kind << " mag " << r.mag << " flux " << flux << " measured " << measured);
    CHECK(measured == Approx(flux).epsilon(0.10));
    ++checked;
  }
  CHECK(checked >= 1);
}

TEST_CASE("sim: transients scale with area, keep off edges and saturation", "[sim]") {
  SimConfig c = small_config(15, 1024);
  c.epochs = 3;
  auto exposures = render_all(c);
  for (const SimExposure& e : exposures) {
    int transients = 0;
    for (const TruthRow& r : e.truth) {
      if (!starts_with(r.kind, "transient")) continue;
      ++transients;
      CHECK(r.x >= kBorderPx);
      CHECK(r.y >= kBorderPx);
      CHECK(r.x <= e.image.width - 1 - kBorderPx);
      CHECK(r.y <= e.image.height - 1 - kBorderPx);
      CHECK(r.mag >= 16.5);
      CHECK(r.mag <= 23.5);
      for (int dy = -7; dy <= 7; ++dy) {
        for (int dx = -7; dx <= 7; ++dx) {
          int x = int(std::lround(r.x)) + dx, y = int(std::lround(r.y)) + dy;
          if (e.image.contains(x, y)) CHECK(e.image.at(x, y) < kSaturate);
        }
      }
    }
    if (e.kind == "reference") {
      CHECK(transients == 0);
    } else {
      CHECK(transients >= 8);  // 30 per 2048^2 is 7.5 here: the floor applies
      CHECK(transients <= 10);
    }
  }
}

TEST_CASE("sim: hot pixels sit at the same detector pixels in every exposure of a ccd", "[sim]") {
  auto exposures = render_all(small_config(16, 512));
  auto hot = [](const SimExposure& e) {
    std::vector<std::pair<int, int>> at;
    for (const TruthRow& r : e.truth) {
      if (r.kind == kKindHotPixel) at.push_back({int(r.x), int(r.y)});
    }
    return at;
  };
  const auto ref = hot(exposures[0]);
  REQUIRE(ref.size() >= 5);
  for (const SimExposure& e : exposures) CHECK(hot(e) == ref);
  // Bright ones stand out of the sky in the reference and in the science image.
  for (const TruthRow& r : exposures[1].truth) {
    if (r.kind != kKindHotPixel || r.mag > exposures[1].magzp - 2.5 * std::log10(2000)) continue;
    for (const SimExposure& e : exposures) {
      CHECK(e.image.at(int(r.x), int(r.y)) > e.image.at(int(r.x) + 3, int(r.y)) + 500);
    }
  }
}

TEST_CASE("sim: saturated stars are clipped at SATURATE with trails along columns", "[sim]") {
  // References are 4x deeper, so a 1024^2 reference nearly always has some.
  int trails = 0;
  for (uint64_t seed = 20; seed < 24 && trails == 0; ++seed) {
    SurveySimulator sim(small_config(seed, 1024));
    auto ref = sim.render(0);
    REQUIRE(ref);
    CHECK(*std::max_element(ref->image.pixels.begin(), ref->image.pixels.end()) <=
          float(kSaturate));
    for (const TruthRow& r : ref->truth) {
      if (r.kind != kKindSaturatedStar) continue;
      const int x = int(std::lround(r.x)), y = int(std::lround(r.y));
      CHECK(ref->image.at(x, y) == float(kSaturate));
      int up = 0, side = 0;
      while (ref->image.contains(x, y + up + 1) && ref->image.at(x, y + up + 1) >= float(kSaturate))
        ++up;
      while (ref->image.contains(x + side + 1, y) &&
             ref->image.at(x + side + 1, y) >= float(kSaturate))
        ++side;
      if (up > side + 2) ++trails;
    }
  }
  CHECK(trails >= 1);
}

TEST_CASE("sim: bleeding conserves charge and spreads along the column", "[sim]") {
  Image img(41, 101, 1000.0f);
  img.at(20, 50) = 400000.0f;
  img.at(21, 50) = 100000.0f;
  double before = 0;
  for (float v : img.pixels) before += v;
  auto runs = predict_saturation(img, 60000);
  bleed_and_clip(img, 60000);
  double after = 0;
  for (float v : img.pixels) after += v;
  CHECK(after == Approx(before).epsilon(1e-6));
  CHECK(*std::max_element(img.pixels.begin(), img.pixels.end()) == 60000.0f);
  // 340000 ADU of excess, half each way, fills 59000 ADU of room per pixel.
  CHECK(img.at(20, 52) == 60000.0f);
  CHECK(img.at(20, 48) == 60000.0f);
  CHECK(img.at(20, 53) == Approx(1000 + 170000 - 2 * 59000));
  CHECK(img.at(22, 50) == 1000.0f);
  // The prediction used for placing transients agrees with what happened.
  int predicted = 0, actual = 0;
  for (const SaturatedRun& r : runs) predicted += r.y1 - r.y0 + 1;
  for (float v : img.pixels) actual += v >= 60000.0f;
  CHECK(predicted == actual);
  CHECK(near_saturation(runs, 25, 50, 8));
  CHECK_FALSE(near_saturation(runs, 35, 50, 8));
}

TEST_CASE("sim: cosmic rays are sharp and differ between exposures", "[sim]") {
  SimConfig c = small_config(17, 512);
  c.keep_expected = true;
  auto exposures = render_all(c);
  std::vector<std::pair<int, int>> first;
  for (const SimExposure& e : exposures) {
    int sharp = 0, rays = 0;
    for (const TruthRow& r : e.truth) {
      if (r.kind != kKindCosmicRay) continue;
      ++rays;
      if (e.kind == "science" && first.size() < 3) first.push_back({int(r.x), int(r.y)});
      // The brightest pixel of the track towers over the noiseless sky there.
      double peak = 0;
      for (int dy = -6; dy <= 6; ++dy) {
        for (int dx = -6; dx <= 6; ++dx) {
          int x = int(r.x) + dx, y = int(r.y) + dy;
          if (e.image.contains(x, y))
            peak = std::max(peak, double(e.image.at(x, y) - e.expected.at(x, y)));
        }
      }
      sharp += peak > 200;
    }
    CHECK(rays > 0);
    CHECK(sharp >= rays * 8 / 10);
  }
  // A later exposure does not repeat the first science exposure's rays.
  for (const TruthRow& r : exposures[2].truth) {
    if (r.kind == kKindCosmicRay)
      CHECK(std::find(first.begin(), first.end(), std::make_pair(int(r.x), int(r.y))) ==
            first.end());
  }
}

TEST_CASE("sim: expected S/N gives a 5-sigma limit near mag 21.5-22", "[sim]") {
  std::vector<double> limits;
  for (uint64_t seed = 30; seed < 34; ++seed) {
    SimConfig c = small_config(seed, 512);
    c.epochs = 3;
    c.transient_density = 10;
    for (const SimExposure& e : render_all(c)) {
      for (const TruthRow& r : e.truth) {
        if (r.kind != kKindTransientHostless || r.expected_snr < 3 || r.expected_snr > 30) continue;
        // Sky-limited: S/N is proportional to flux and to 1/FWHM.
        limits.push_back(r.mag + 2.5 * std::log10(r.expected_snr / 5) -
                         2.5 * std::log10(3.0 / e.seeing_fwhm_px));
      }
    }
  }
  REQUIRE(limits.size() > 20);
  const double m5 = median(limits);
  INFO("5-sigma limit at 3 px seeing: " << m5);
  CHECK(m5 > 21.3);
  CHECK(m5 < 22.1);
}

TEST_CASE("sim: asteroids move along straight tracks", "[sim]") {
  SimConfig c = small_config(21, 512);
  c.epochs = 4;
  std::vector<std::pair<double, double>> track;  // arcsec east and north of the first position
  double ra0 = 0, dec0 = 0;
  for (const SimExposure& e : render_all(c)) {
    for (const TruthRow& r : e.truth) {
      if (r.kind != kKindMoving) continue;
      if (track.empty()) {
        ra0 = r.ra;
        dec0 = r.dec;
      }
      track.push_back({(r.ra - ra0) * std::cos(dec0 * M_PI / 180) * 3600, (r.dec - dec0) * 3600});
    }
  }
  REQUIRE(track.size() >= 3);  // one asteroid per frame this small
  for (size_t i = 1; i < track.size(); ++i) {
    double step =
        std::hypot(track[i].first - track[i - 1].first, track[i].second - track[i - 1].second);
    CHECK(step >= 5 - 0.5);
    CHECK(step <= 60 + 0.5);
  }
  for (size_t i = 2; i < track.size(); ++i) {
    // Equal times between epochs: equal steps on a straight line.
    CHECK(track[i].first - track[i - 1].first ==
          Approx(track[i - 1].first - track[i - 2].first).margin(0.05));
    CHECK(track[i].second - track[i - 1].second ==
          Approx(track[i - 1].second - track[i - 2].second).margin(0.05));
  }
}

TEST_CASE("sim: variable stars keep their place and change brightness", "[sim]") {
  SimConfig c = small_config(22, 2048);
  c.epochs = 2;
  c.transient_density = 0;
  SurveySimulator sim(c);
  auto e1 = sim.render(1), e2 = sim.render(2);
  REQUIRE(e1);
  REQUIRE(e2);
  std::vector<TruthRow> v1, v2;
  for (const TruthRow& r : e1->truth)
    if (r.kind == kKindVariable) v1.push_back(r);
  for (const TruthRow& r : e2->truth)
    if (r.kind == kKindVariable) v2.push_back(r);
  REQUIRE(v1.size() >= 2);  // ~1% of the few hundred stars of mag 16-21
  int changed = 0;
  for (const TruthRow& a : v1) {
    for (const TruthRow& b : v2) {
      if (angular_separation_arcsec({a.ra, a.dec}, {b.ra, b.dec}) > 0.01) continue;
      CHECK(std::fabs(a.mag - b.mag) <= 3.0);
      CHECK(a.mag >= 15.5);
      CHECK(a.expected_snr > 0);
      changed += std::fabs(a.mag - b.mag) > 0.01;
    }
  }
  CHECK(changed >= int(v1.size()) / 2);
}

TEST_CASE("sim: Moffat and exponential Gaussian expansions match their profiles", "[sim]") {
  for (double beta : {2.5, 3.3, 4.5}) {
    ScaleMixture m = moffat_mixture(beta);
    double worst = 0;
    for (double r = 0; r < 15; r += 0.1) {
      double exact = (beta - 1) / M_PI * std::pow(1 + r * r, -beta);
      worst = std::max(worst, std::fabs(evaluate_circular(m, r) - exact));
    }
    CHECK(worst / ((beta - 1) / M_PI) < 1e-4);
  }
  // The exponential: to 2e-3 where it matters, and to 1e-4 of the peak
  // everywhere past the cusp (which any PSF smooths away).
  ScaleMixture x = exponential_mixture();
  for (double r = 0.5; r < 12; r += 0.25) {
    const double exact = std::exp(-r) / (2 * M_PI);
    CHECK(std::fabs(evaluate_circular(x, r) - exact) < 1e-4 / (2 * M_PI));
    if (r < 6) CHECK(evaluate_circular(x, r) == Approx(exact).epsilon(2e-3));
  }
}

TEST_CASE("sim: a rendered PSF keeps flux, centre and FWHM", "[sim]") {
  for (double fwhm : {1.8, 3.0, 8.0}) {
    for (double dx : {0.0, 0.25, 0.5}) {
      PsfModel psf;
      psf.fwhm = fwhm;
      psf.beta = 3.0;
      psf.width = psf.height = 129;
      psf.prepare();
      Image img(129, 129);
      const double x0 = 64 + dx, y0 = 64 - dx / 2;
      add_mixture(img, x0, y0, 1e6, psf.mixture_at(x0, y0), kRenderFloorAdu);
      double sum = 0, sx = 0, sy = 0;
      for (int y = 0; y < 129; ++y) {
        for (int x = 0; x < 129; ++x) {
          sum += img.at(x, y);
          sx += img.at(x, y) * x;
          sy += img.at(x, y) * y;
        }
      }
      CHECK(sum / 1e6 == Approx(1.0).epsilon(0.003));
      CHECK(sx / sum == Approx(x0).margin(0.005));
      CHECK(sy / sum == Approx(y0).margin(0.005));
    }
  }
  // FWHM from the half-maximum crossings of a large PSF (pixelisation negligible).
  PsfModel psf;
  psf.fwhm = 12;
  psf.beta = 3.5;
  psf.width = psf.height = 129;
  psf.prepare();
  Image img(129, 129);
  add_mixture(img, 64, 64, 1e6, psf.mixture_at(64, 64), kRenderFloorAdu);
  const float peak = img.at(64, 64);
  int x = 64;
  while (img.at(x + 1, 64) > peak / 2) ++x;
  double frac = (img.at(x, 64) - peak / 2) / (img.at(x, 64) - img.at(x + 1, 64));
  CHECK(2 * (x + frac - 64) == Approx(12).epsilon(0.02));
}

TEST_CASE("sim: expected S/N is the two-PSF optimum: the same PSF as before, lower for a blurrier reference", "[sim]") {
  // Sky-limited, the same noise in both images: with equal PSFs the optimum
  // is the familiar flux / sqrt(sum(P^2) (V_sci + V_ref)) form.
  auto psf_of = [](double fwhm) {
    PsfModel p;
    p.fwhm = fwhm;
    p.width = p.height = 65;
    p.prepare();
    return p;
  };
  Image expected(65, 65, 1000.0f);
  DifferenceNoise noise;
  noise.expected = &expected;
  noise.science_sky.level = 1000, noise.science_sky.width = noise.science_sky.height = 65;
  noise.reference_sky = noise.science_sky;
  noise.gain = 1;
  const PsfModel sharp = psf_of(2.5), blurry = psf_of(4.0);
  const double same = expected_snr(noise, sharp, 32, 32, 5000, 0);
  noise.reference_psf = &sharp;
  CHECK(expected_snr(noise, sharp, 32, 32, 5000, 0) == Approx(same).epsilon(0.01));
  // A blurrier reference cannot supply the sharp science's fine detail...
  noise.reference_psf = &blurry;
  const double sharper_science = expected_snr(noise, sharp, 32, 32, 5000, 0);
  CHECK(sharper_science < 0.95 * same);
  // ...while a sharper one costs little when it is matched to a blurry science.
  noise.reference_psf = &sharp;
  const double blurrier_science = expected_snr(noise, blurry, 32, 32, 5000, 0);
  noise.reference_psf = nullptr;
  CHECK(blurrier_science > 1.05 * expected_snr(noise, blurry, 32, 32, 5000, 0));
}
