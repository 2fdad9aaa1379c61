#include "wcs.h"

#include <wcslib/wcs.h>
#include <wcslib/wcserr.h>
#include <wcslib/wcshdr.h>

#include <cmath>
#include <mutex>

namespace blink {
namespace {
// wcspih uses a flex parser with global state: serialise header parsing.
std::mutex& parse_mutex() {
  static std::mutex m;
  return m;
}
constexpr double kDegToRad = M_PI / 180.0;
}  // namespace

struct Wcs::WcsState {
  wcsprm* wcs = nullptr;
  int nwcs = 0;
  ~WcsState() {
    if (wcs) wcsvfree(&nwcs, &wcs);
  }
};

Status Wcs::init() {
  state_ = std::make_unique<WcsState>();
  int nreject = 0;
  int status = 0;
  {
    std::lock_guard<std::mutex> lock(parse_mutex());
    status = wcspih(const_cast<char*>(header_.c_str()), ncards_, WCSHDR_all, 0, &nreject,
                    &state_->nwcs, &state_->wcs);
  }
  if (status != 0) return Status::invalid(std::string("parsing WCS header: ") + wcshdr_errmsg[status]);
  if (state_->nwcs == 0 || state_->wcs == nullptr) return Status::invalid("header has no WCS keywords");
  wcsprm* w = state_->wcs;
  if (w->naxis != 2) return Status::invalid("WCS has " + std::to_string(w->naxis) + " axes, need 2");
  std::string c1 = w->ctype[0], c2 = w->ctype[1];
  if (c1.empty() || c2.empty() || c1.find('-') == std::string::npos) {
    return Status::invalid("WCS has no celestial CTYPE1/CTYPE2 (found '" + c1 + "', '" + c2 + "')");
  }
  wcserr_enable(1);
  status = wcsset(w);
  if (status != 0) {
    std::string msg = w->err ? w->err->msg : wcs_errmsg[status];
    return Status::invalid("setting up WCS: " + msg);
  }
  if (w->lng < 0 || w->lat < 0) return Status::invalid("WCS is not celestial (no longitude/latitude axes)");
  return Status::ok();
}

Result<Wcs> Wcs::from_header(const std::string& header, int ncards) {
  Wcs w;
  w.header_ = header;
  w.ncards_ = ncards;
  Status s = w.init();
  if (!s) return s;
  return w;
}

Wcs::Wcs(const Wcs& other) : header_(other.header_), ncards_(other.ncards_) {
  if (other.state_) init();
}
Wcs& Wcs::operator=(const Wcs& other) {
  if (this != &other) {
    header_ = other.header_;
    ncards_ = other.ncards_;
    state_.reset();
    if (other.state_) init();
  }
  return *this;
}
Wcs::Wcs(Wcs&&) noexcept = default;
Wcs& Wcs::operator=(Wcs&&) noexcept = default;
Wcs::~Wcs() = default;

Status Wcs::to_sky(const std::vector<PixelCoord>& in, std::vector<SkyCoord>& out) const {
  const size_t n = in.size();
  out.resize(n);
  if (n == 0) return Status::ok();
  std::vector<double> pix(2 * n), img(2 * n), world(2 * n), phi(n), theta(n);
  std::vector<int> stat(n);
  for (size_t i = 0; i < n; ++i) {
    pix[2 * i] = in[i].x + 1.0;  // FITS pixels are 1-based
    pix[2 * i + 1] = in[i].y + 1.0;
  }
  wcsprm* w = state_->wcs;
  int status = wcsp2s(w, int(n), 2, pix.data(), img.data(), phi.data(), theta.data(), world.data(), stat.data());
  if (status != 0 && status != 8) return Status::invalid(std::string("pixel to sky: ") + wcs_errmsg[status]);
  for (size_t i = 0; i < n; ++i) {
    if (stat[i] != 0) return Status::invalid("pixel (" + std::to_string(in[i].x) + ", " + std::to_string(in[i].y) + ") has no sky position");
    out[i] = {world[2 * i + w->lng], world[2 * i + w->lat]};
  }
  return Status::ok();
}

Status Wcs::to_pixel(const std::vector<SkyCoord>& in, std::vector<PixelCoord>& out) const {
  const size_t n = in.size();
  out.resize(n);
  if (n == 0) return Status::ok();
  std::vector<double> pix(2 * n), img(2 * n), world(2 * n), phi(n), theta(n);
  std::vector<int> stat(n);
  wcsprm* w = state_->wcs;
  for (size_t i = 0; i < n; ++i) {
    world[2 * i + w->lng] = in[i].ra;
    world[2 * i + w->lat] = in[i].dec;
  }
  int status = wcss2p(w, int(n), 2, world.data(), phi.data(), theta.data(), img.data(), pix.data(), stat.data());
  if (status != 0 && status != 9) return Status::invalid(std::string("sky to pixel: ") + wcs_errmsg[status]);
  for (size_t i = 0; i < n; ++i) {
    if (stat[i] != 0) return Status::invalid("sky position has no pixel");
    out[i] = {pix[2 * i] - 1.0, pix[2 * i + 1] - 1.0};
  }
  return Status::ok();
}

Result<SkyCoord> Wcs::to_sky(PixelCoord p) const {
  std::vector<SkyCoord> out;
  Status s = to_sky(std::vector<PixelCoord>{p}, out);
  if (!s) return s;
  return out[0];
}

Result<PixelCoord> Wcs::to_pixel(SkyCoord sky) const {
  std::vector<PixelCoord> out;
  Status s = to_pixel(std::vector<SkyCoord>{sky}, out);
  if (!s) return s;
  return out[0];
}

double Wcs::pixel_scale_arcsec(PixelCoord at) const {
  std::vector<SkyCoord> s;
  if (!to_sky({at, {at.x + 1, at.y}, {at.x, at.y + 1}}, s)) return 0;
  double dx = angular_separation_arcsec(s[0], s[1]);
  double dy = angular_separation_arcsec(s[0], s[2]);
  return std::sqrt(dx * dy);
}

std::vector<FitsCard> tan_wcs_cards(SkyCoord sky_centre, PixelCoord centre, double scale_arcsec,
                                    double rotation_deg) {
  double s = scale_arcsec / 3600.0;
  double c = std::cos(rotation_deg * kDegToRad), sn = std::sin(rotation_deg * kDegToRad);
  return {
      {"CTYPE1", std::string("RA---TAN"), "gnomonic projection"},
      {"CTYPE2", std::string("DEC--TAN"), "gnomonic projection"},
      {"CRVAL1", sky_centre.ra, "[deg] RA at reference pixel"},
      {"CRVAL2", sky_centre.dec, "[deg] Dec at reference pixel"},
      {"CRPIX1", centre.x + 1.0, "reference pixel (1-based)"},
      {"CRPIX2", centre.y + 1.0, "reference pixel (1-based)"},
      {"CD1_1", -s * c, "[deg/pixel]"},
      {"CD1_2", s * sn, "[deg/pixel]"},
      {"CD2_1", s * sn, "[deg/pixel]"},
      {"CD2_2", s * c, "[deg/pixel]"},
      {"RADESYS", std::string("ICRS"), ""},
  };
}

double angular_separation_arcsec(SkyCoord a, SkyCoord b) {
  // Haversine: accurate at the sub-arcsecond separations we match on.
  double d1 = a.dec * kDegToRad, d2 = b.dec * kDegToRad;
  double dra = (b.ra - a.ra) * kDegToRad;
  double h = std::sin((d2 - d1) / 2) * std::sin((d2 - d1) / 2) +
             std::cos(d1) * std::cos(d2) * std::sin(dra / 2) * std::sin(dra / 2);
  return 2.0 * std::asin(std::min(1.0, std::sqrt(h))) * (180.0 / M_PI) * 3600.0;
}

}  // namespace blink
