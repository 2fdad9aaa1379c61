// World coordinates of an image, from its FITS header, through wcslib.
// This is the only file that talks to wcslib. Pixel coordinates are Blink's
// 0-based convention (see image.h); sky coordinates are degrees (ICRS).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fits_io.h"
#include "status.h"

struct wcsprm;

namespace blink {

struct SkyCoord {
  double ra = 0;
  double dec = 0;
};
struct PixelCoord {
  double x = 0;
  double y = 0;
};

// One celestial WCS. Not thread-safe: wcslib caches state in the struct, so
// give each thread its own copy (the copy constructor makes an independent one).
class Wcs {
 public:
  // Parses the celestial WCS in `header` (80-character cards). Fails with a
  // message naming the problem when the header has no usable WCS.
  static Result<Wcs> from_header(const std::string& header, int ncards);

  Wcs(const Wcs& other);
  Wcs& operator=(const Wcs& other);
  Wcs(Wcs&&) noexcept;
  Wcs& operator=(Wcs&&) noexcept;
  ~Wcs();

  Result<SkyCoord> to_sky(PixelCoord p) const;
  Result<PixelCoord> to_pixel(SkyCoord s) const;
  // Batch forms: one wcslib call for many points (much faster per point).
  Status to_sky(const std::vector<PixelCoord>& in, std::vector<SkyCoord>& out) const;
  Status to_pixel(const std::vector<SkyCoord>& in, std::vector<PixelCoord>& out) const;

  // Approximate pixel scale in arcseconds, from the local Jacobian at the image centre.
  double pixel_scale_arcsec(PixelCoord at) const;

 private:
  Wcs() = default;
  std::string header_;
  int ncards_ = 0;
  struct WcsState;
  std::unique_ptr<WcsState> state_;
  Status init();
};

// Header cards of a gnomonic (TAN) WCS: the sky at pixel `centre` is
// `sky_centre`; `scale_arcsec` per pixel; rotated by `rotation_deg`, east left.
std::vector<FitsCard> tan_wcs_cards(SkyCoord sky_centre, PixelCoord centre, double scale_arcsec,
                                    double rotation_deg);

// Great-circle separation in arcseconds.
double angular_separation_arcsec(SkyCoord a, SkyCoord b);

}  // namespace blink
