// Objects and their past: matching by position, upper limits, tracklets.
#include <catch2/catch.hpp>

#include "association.h"

using namespace blink;

namespace {

constexpr double kArcsec = 1.0 / 3600.0;

PreviousDetection detection(std::string object, std::string exposure, double mjd, double ra, double dec,
                            double mag = 20, double rb = 0.9) {
  PreviousDetection p;
  p.object_id = std::move(object);
  p.candidate_id = p.exposure_id = std::move(exposure);
  p.candidate_id += ":0";
  p.mjd = mjd, p.ra = ra, p.dec = dec, p.mag = mag, p.real_bogus = rb;
  return p;
}

}  // namespace

TEST_CASE("association: separation_arcsec is right across RA 0 and at high declination") {
  CHECK(separation_arcsec(359.9999, 0, 0.0001, 0) == Approx(0.72).epsilon(1e-3));
  CHECK(separation_arcsec(10, 80, 10 + 1.0 / 3600 / std::cos(80 * M_PI / 180), 80) == Approx(1.0).epsilon(1e-3));
}

TEST_CASE("association: a detection within the radius joins the object, one outside starts a new one") {
  std::vector<PreviousDetection> recent = {detection("objA", "e1", 100.0, 150.0, 2.0),
                                           detection("objA", "e2", 101.0, 150.0 + 0.3 * kArcsec, 2.0)};
  std::vector<ExposureCoverage> coverage = {{"e1", "r", 100.0, 22}, {"e2", "r", 101.0, 22},
                                            {"e3", "g", 102.0, 21.5}, {"old", "r", 50.0, 23}};
  std::vector<NewDetection> now = {{"e4:0", 150.0 + 0.5 * kArcsec, 2.0 + 0.4 * kArcsec, 19.5},
                                   {"e4:1", 150.0 + 2.5 * kArcsec, 2.0, 19.5}};
  auto h = associate(now, 103.0, recent, coverage);
  REQUIRE(h.size() == 2);
  CHECK(h[0].object_id == "objA");
  CHECK_FALSE(h[0].new_object);
  REQUIRE(h[0].detections.size() == 2);
  CHECK(h[0].detections[0].exposure_id == "e1");  // oldest first
  // e3 covered it without a detection; "old" is beyond the 30-day look-back.
  REQUIRE(h[0].non_detections.size() == 1);
  CHECK(h[0].non_detections[0].exposure_id == "e3");
  CHECK(h[0].non_detections[0].limiting_mag == 21.5);

  CHECK(h[1].object_id == "e4:1");
  CHECK(h[1].new_object);
  CHECK(h[1].detections.empty());
  CHECK(h[1].non_detections.size() == 3);
}

TEST_CASE("association: the look-back and the radius are options") {
  std::vector<PreviousDetection> recent = {detection("objA", "e1", 60.0, 10.0, -30.0)};
  std::vector<NewDetection> now = {{"e9:0", 10.0, -30.0 + 1.5 * kArcsec, 20}};
  AssociationOptions o;
  CHECK(associate(now, 100.0, recent, {}, o)[0].new_object);  // 40 days ago, 1.5": no
  o.lookback_days = 60;
  CHECK(associate(now, 100.0, recent, {}, o)[0].new_object);  // still 1.5" > 1"
  o.radius_arcsec = 2;
  CHECK(associate(now, 100.0, recent, {}, o)[0].object_id == "objA");
}

TEST_CASE("association: three detections on a straight line at constant speed make a tracklet") {
  // 42"/hour east and north, exposures 20 minutes apart.
  const double ra0 = 200.0, dec0 = 10.0, cosd = std::cos(dec0 * M_PI / 180);
  auto at = [&](double hours) {
    return std::make_pair(ra0 + 42.0 * hours * kArcsec / cosd, dec0 + 42.0 * hours * kArcsec);
  };
  auto [ra1, dec1] = at(0);
  auto [ra2, dec2] = at(1.0 / 3);
  auto [ra3, dec3] = at(2.0 / 3);
  const double mjd = 60000.5, hour = 1.0 / 24;
  std::vector<PreviousDetection> recent = {
      detection("m1", "e1", mjd, ra1, dec1, 19.0), detection("m2", "e2", mjd + hour / 3, ra2, dec2, 19.1),
      // A static source seen twice and a faint unrelated one do not join.
      detection("s", "e1", mjd, ra0 + 0.01, dec0, 19.0), detection("s", "e2", mjd + hour / 3, ra0 + 0.01, dec0, 19.0),
      detection("faint", "e2", mjd + hour / 3, ra2 + 20 * kArcsec, dec2, 22.5)};
  std::vector<ExposureCoverage> coverage = {{"e1", "r", mjd, 22}, {"e2", "r", mjd + hour / 3, 22}};
  auto h = associate({{"e3:0", ra3, dec3, 19.05}}, mjd + 2 * hour / 3, recent, coverage);
  REQUIRE(h[0].tracklet.size() == 2);
  CHECK(h[0].tracklet[0].candidate_id == "e1:0");
  CHECK(h[0].tracklet[1].candidate_id == "e2:0");
  CHECK(h[0].motion_arcsec_per_hour == Approx(42.0 * std::sqrt(2.0)).epsilon(0.01));
  CHECK(h[0].missed_tonight == 2);
  CHECK(h[0].new_object);
}

TEST_CASE("association: a static source seen earlier tonight links no tracklet and misses nothing") {
  const double mjd = 60000.5;
  std::vector<PreviousDetection> recent = {detection("s", "e1", mjd, 30.0, 5.0),
                                           detection("other", "e1", mjd, 30.0 + 30 * kArcsec, 5.0)};
  std::vector<ExposureCoverage> coverage = {{"e1", "r", mjd, 22}};
  auto h = associate({{"e2:0", 30.0, 5.0, 20}}, mjd + 0.01, recent, coverage);
  CHECK(h[0].object_id == "s");
  CHECK(h[0].tracklet.empty());
  CHECK(h[0].missed_tonight == 0);
}

TEST_CASE("association: a shallow earlier exposure does not count as a miss") {
  const double mjd = 60000.5;
  std::vector<ExposureCoverage> coverage = {{"e1", "r", mjd, 19.0}, {"e0", "r", mjd - 0.02, 21.0}};
  auto h = associate({{"e2:0", 30.0, 5.0, 20.0}}, mjd + 0.01, {}, coverage);
  CHECK(h[0].missed_tonight == 1);
  CHECK(h[0].non_detections.size() == 2);
}
