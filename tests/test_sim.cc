// Unit tests of the survey simulator (tools/sim) as a whole: determinism,
// schedule, pointing and WCS, headers, truth CSV and wire frames. Small frames
// keep every case well under a second.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "instrument.h"
#include "sim_fixtures.h"
#include "survey.h"
#include "wcs.h"

using namespace blink;
using namespace blink::sim;
using namespace blink::sim::testing;

namespace {

double card(const SimExposure& e, const std::string& key) {
  for (const FitsCard& c : e.cards) {
    if (c.key == key) {
      if (auto* d = std::get_if<double>(&c.value)) return *d;
      if (auto* l = std::get_if<long>(&c.value)) return double(*l);
    }
  }
  FAIL("no card " << key);
  return 0;
}

Wcs header_wcs(const SimExposure& e) {
  auto bytes = to_fits(e);
  REQUIRE(bytes);
  auto fits = decode_fits(bytes->data(), bytes->size());
  REQUIRE(fits);
  auto wcs = Wcs::from_header(fits->header, fits->header_cards);
  REQUIRE(wcs);
  return *wcs;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Sum of `image` within `radius` of (x, y).

}  // namespace

TEST_CASE("sim: the same seed renders identical pixels and truth", "[sim]") {
  auto a = render_all(small_config(5));
  auto b = render_all(small_config(5));
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].exposure_id == b[i].exposure_id);
    CHECK(a[i].image.pixels == b[i].image.pixels);
    REQUIRE(a[i].truth.size() == b[i].truth.size());
    for (size_t k = 0; k < a[i].truth.size(); ++k) {
      CHECK(a[i].truth[k].kind == b[i].truth[k].kind);
      CHECK(a[i].truth[k].x == b[i].truth[k].x);
      CHECK(a[i].truth[k].expected_snr == Approx(b[i].truth[k].expected_snr).margin(0));
    }
  }
}

TEST_CASE("sim: different seeds render different skies", "[sim]") {
  auto a = render_all(small_config(5));
  auto b = render_all(small_config(6));
  REQUIRE(a.size() == b.size());
  CHECK(a[1].image.pixels != b[1].image.pixels);
  CHECK(a[1].exposure_id != b[1].exposure_id);  // the seed is part of the id
}

TEST_CASE("sim: pixels do not depend on the thread count", "[sim]") {
  SimConfig one = small_config(8, 512), two = one;
  one.threads = 1;
  two.threads = 3;
  SurveySimulator a(one), b(two);
  auto ea = a.render(1), eb = b.render(1);
  REQUIRE(ea);
  REQUIRE(eb);
  CHECK(ea->image.pixels == eb->image.pixels);
}

TEST_CASE("sim: an exposure renders the same alone as in sequence", "[sim]") {
  auto all = render_all(small_config(9));
  SurveySimulator sim(small_config(9));
  auto last = sim.render(int(all.size()) - 1);
  REQUIRE(last);
  CHECK(last->image.pixels == all.back().image.pixels);
}

TEST_CASE("sim: references come first, then science in time order", "[sim]") {
  SimConfig c = small_config(2, 128);
  c.fields = 3;
  c.bands = {"g", "r"};
  c.ccds = 2;
  c.epochs = 2;
  c.transient_density = 0;
  SurveySimulator sim(c);
  REQUIRE(sim.total_exposures() == 3 * 2 * 2 * 3);
  std::map<std::string, int> refs;
  bool science_seen = false;
  double last_mjd = 0;
  std::vector<std::string> fields_in_order;
  SimExposure e;
  while (sim.next(e)) {
    std::string key = e.field + "/" + e.band + "/" + std::to_string(e.ccd);
    if (e.kind == "reference") {
      CHECK_FALSE(science_seen);
      refs[key]++;
    } else {
      science_seen = true;
      CHECK(refs[key] == 1);
      CHECK(e.mjd_obs >= last_mjd);
      last_mjd = e.mjd_obs;
      fields_in_order.push_back(e.field);
    }
  }
  CHECK(refs.size() == 12);
  // Fields interleave within an epoch rather than running one after another.
  REQUIRE(fields_in_order.size() == 24);
  CHECK(fields_in_order[0] == "F0001");
  CHECK(fields_in_order[4] == "F0002");
  CHECK(fields_in_order[12] == "F0001");
}

TEST_CASE("sim: the FITS header WCS maps truth to pixels within the injected error", "[sim]") {
  for (double error : {0.0, 0.2}) {
    SimConfig c = small_config(11, 384);
    c.wcs_error_px = error;
    auto exposures = render_all(c);
    for (const SimExposure& e : exposures) {
      auto bytes = to_fits(e);
      REQUIRE(bytes);
      auto fits = decode_fits(bytes->data(), bytes->size());
      REQUIRE(fits);
      CHECK(fits->image.pixels == e.image.pixels);
      CHECK(*fits->gain == Approx(kGain));
      CHECK(*fits->saturate == Approx(kSaturate));
      CHECK(*fits->magzp == Approx(e.magzp));
      auto wcs = Wcs::from_header(fits->header, fits->header_cards);
      REQUIRE(wcs);
      double worst = 0;
      for (const TruthRow& r : e.truth) {
        auto p = wcs->to_pixel({r.ra, r.dec});
        REQUIRE(p);
        worst = std::max(worst, std::hypot(p->x - r.x, p->y - r.y));
      }
      INFO(e.exposure_id << " error " << error);
      CHECK(worst < (error == 0 ? 0.01 : 1.0));
    }
  }
}

TEST_CASE("sim: pointings differ between epochs by up to about 10 px", "[sim]") {
  SimConfig c = small_config(12, 256);
  c.epochs = 6;
  c.wcs_error_px = 0;
  auto exposures = render_all(c);
  auto ref = header_wcs(exposures[0]);
  double largest = 0;
  for (size_t i = 1; i < exposures.size(); ++i) {
    // Where the centre of this exposure falls on the reference's pixel grid.
    auto sky = header_wcs(exposures[i]).to_sky({127.5, 127.5});
    REQUIRE(sky);
    auto p = ref.to_pixel(*sky);
    REQUIRE(p);
    const double dx = p->x - 127.5, dy = p->y - 127.5;
    CHECK(std::fabs(dx) <= 20.5);  // each pointing is within +-10 px of nominal
    CHECK(std::fabs(dy) <= 20.5);
    largest = std::max(largest, std::hypot(dx, dy));
  }
  CHECK(largest > 2.0);
}

TEST_CASE("sim: seeing varies between epochs around the reference", "[sim]") {
  SimConfig c = small_config(18, 128);
  c.epochs = 40;
  c.transient_density = 0;
  auto exposures = render_all(c);
  const double ref = exposures[0].seeing_fwhm_px;
  CHECK(ref >= 2.7);
  CHECK(ref <= 3.3);
  double lo = 10, hi = 0;
  for (size_t i = 1; i < exposures.size(); ++i) {
    double ratio = exposures[i].seeing_fwhm_px / ref;
    lo = std::min(lo, ratio);
    hi = std::max(hi, ratio);
  }
  CHECK(lo >= 0.6);
  CHECK(hi <= 1.8);
  CHECK(lo < 0.8);  // the range is really covered
  CHECK(hi > 1.6);
}

TEST_CASE("sim: references are deeper at the same zero point per second", "[sim]") {
  auto exposures = render_all(small_config(19));
  const SimExposure& ref = exposures[0];
  const SimExposure& sci = exposures[1];
  CHECK(ref.exptime_s == Approx(kReferenceDepth * sci.exptime_s));
  CHECK(card(ref, "EXPTIME") == Approx(ref.exptime_s));
  // Extinction differs by at most 0.12 mag between nights.
  CHECK(ref.magzp - sci.magzp == Approx(2.5 * std::log10(kReferenceDepth)).margin(0.121));
  for (const char* key : {"GAIN", "RDNOISE", "SATURATE", "MAGZP", "MJD-OBS", "CCDNUM", "SEEING"})
    card(sci, key);
}

TEST_CASE("sim: truth CSV has a header, one line per row and blanks for NaN", "[sim]") {
  auto exposures = render_all(small_config(23));
  std::ostringstream out;
  write_truth_header(out);
  size_t rows = 0;
  for (const SimExposure& e : exposures) {
    write_truth_rows(out, e);
    rows += e.truth.size();
  }
  std::istringstream in(out.str());
  std::string line;
  std::getline(in, line);
  CHECK(line == "exposure_id,kind,x,y,ra,dec,mag,expected_snr");
  size_t lines = 0;
  bool blank_mag = false;
  while (std::getline(in, line)) {
    ++lines;
    CHECK(std::count(line.begin(), line.end(), ',') == 7);
    if (starts_with(line.substr(line.find(',') + 1), "warm_column")) {
      blank_mag |= line.find(",,") != std::string::npos;
    }
  }
  CHECK(lines == rows);
  CHECK(blank_mag);
}

TEST_CASE("sim: the envelope carries the documented keys", "[sim]") {
  SurveySimulator sim(small_config(24));
  auto e = sim.render(1);
  REQUIRE(e);
  auto j = nlohmann::json::parse(envelope_json(*e));
  CHECK(j.at("schema") == "blink.exposure/1");
  CHECK(j.at("exposure_id") == e->exposure_id);
  CHECK(j.at("kind") == "science");
  CHECK(j.at("field") == "F0001");
  CHECK(j.at("band") == "r");
  CHECK(j.at("ccd") == 0);
  CHECK(j.at("mjd_obs").get<double>() == Approx(e->mjd_obs));
  CHECK(j.at("exptime_s").get<double>() == Approx(30.0));
}

TEST_CASE("sim: Rice-compressed FITS is smaller and decodes within the quantisation", "[sim]") {
  SimConfig c = small_config(25);
  c.compress = true;
  SurveySimulator sim(c);
  auto e = sim.render(1);
  REQUIRE(e);
  auto packed = to_fits(*e);
  REQUIRE(packed);
  e->compression = FitsCompression::kNone;
  auto plain = to_fits(*e);
  REQUIRE(plain);
  INFO("packed " << packed->size() << " bytes, plain " << plain->size());
  CHECK(packed->size() < plain->size() / 2);
  auto back = decode_fits(packed->data(), packed->size());
  REQUIRE(back);
  double worst = 0;
  for (size_t i = 0; i < e->image.size(); ++i) {
    worst = std::max(worst, double(std::fabs(back->image.pixels[i] - e->image.pixels[i])));
  }
  CHECK(worst < 15);  // a quarter of the ~25 ADU noise per quantisation step
}

TEST_CASE("sim: invalid configurations are refused with the option named", "[sim]") {
  SimConfig c = small_config();
  c.bands = {"r", "Q"};
  Status s = validate(c);
  CHECK_FALSE(s.is_ok());
  CHECK(s.message().find("'Q'") != std::string::npos);
  c = small_config();
  c.width = 64;
  CHECK_FALSE(validate(c).is_ok());
  CHECK_THROWS_AS(SurveySimulator(c), std::invalid_argument);
  CHECK(validate(small_config()).is_ok());
}
