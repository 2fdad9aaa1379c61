#include "fits_io.h"

#include <fitsio.h>
#include <malloc.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

namespace blink {
namespace {

std::string cfitsio_error(int status) {
  char text[FLEN_STATUS] = {0};
  fits_get_errstatus(status, text);
  // Drain CFITSIO's global message stack so the next call starts clean.
  char msg[FLEN_ERRMSG];
  std::string detail;
  while (fits_read_errmsg(msg)) {
    if (detail.empty()) detail = msg;
  }
  std::string out = std::string(text) + " (CFITSIO status " + std::to_string(status) + ")";
  if (!detail.empty()) out += ": " + detail;
  return out;
}

// Owns an open fitsfile and closes it however the function exits.
class FitsHandle {
 public:
  FitsHandle() = default;
  ~FitsHandle() {
    if (f_) {
      int status = 0;
      fits_close_file(f_, &status);
    }
  }
  FitsHandle(const FitsHandle&) = delete;
  FitsHandle& operator=(const FitsHandle&) = delete;
  fitsfile** out() { return &f_; }
  fitsfile* get() const { return f_; }
  void release_closed() { f_ = nullptr; }

 private:
  fitsfile* f_ = nullptr;
};

// CFITSIO reads back parts of a compressed memfile it has not written yet, so
// grown memory must be zeroed or it decodes garbage (seen as random failures).
void* zeroing_realloc(void* p, size_t n) {
  size_t old = p ? malloc_usable_size(p) : 0;
  void* q = std::realloc(p, n);
  if (q && n > old) std::memset(static_cast<char*>(q) + old, 0, n - old);
  return q;
}

std::optional<double> read_double_key(fitsfile* f, const char* key) {
  int status = 0;
  double value = 0;
  fits_read_key(f, TDOUBLE, key, &value, nullptr, &status);
  if (status != 0) {
    fits_clear_errmsg();
    return std::nullopt;
  }
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<double> first_key(fitsfile* f, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    if (auto v = read_double_key(f, k)) return v;
  }
  return std::nullopt;
}

// Walks the HDUs' headers and data sizes without CFITSIO. CFITSIO trusts a
// memfile's length, so a truncated payload would make it read past the end of
// the buffer; this refuses such payloads first.
Status check_fits_structure(const char* data, size_t size, size_t* length = nullptr) {
  size_t offset = 0;
  int hdu = 0;
  while (offset < size) {
    ++hdu;
    long long bitpix = 0, naxis = 0, pcount = 0, gcount = 1;
    long long axes[999] = {0};
    bool end = false;
    size_t pos = offset;
    for (; pos + 80 <= size; pos += 80) {
      std::string key(data + pos, 8);
      if (key == "END     ") {
        end = true;
        break;
      }
      if (data[pos + 8] != '=') continue;
      long long value = std::atoll(std::string(data + pos + 10, 70).c_str());
      if (key == "BITPIX  ") bitpix = value;
      else if (key == "NAXIS   ") naxis = value;
      else if (key == "PCOUNT  ") pcount = value;
      else if (key == "GCOUNT  ") gcount = value;
      else if (key.compare(0, 5, "NAXIS") == 0) {
        int n = std::atoi(key.c_str() + 5);
        if (n >= 1 && n <= 999) axes[n - 1] = value;
      }
    }
    if (!end) {
      if (hdu == 1) return Status::corrupt("FITS header has no END card within the " + std::to_string(size) + "-byte payload");
      break;  // trailing bytes after the last HDU: CFITSIO ignores them too
    }
    if (naxis < 0 || naxis > 999 || pcount < 0 || gcount < 0 || bitpix == 0) {
      return Status::corrupt("HDU " + std::to_string(hdu) + " has an invalid BITPIX/NAXIS/PCOUNT");
    }
    size_t header_end = (pos + 80 - offset + 2879) / 2880 * 2880 + offset;
    unsigned long long bytes = naxis > 0 ? 1 : 0;
    for (long long i = 0; i < naxis; ++i) {
      if (axes[i] < 0) return Status::corrupt("HDU " + std::to_string(hdu) + " has a negative axis length");
      if (axes[i] > 0 && bytes > (1ULL << 40) / (unsigned long long)axes[i]) return Status::corrupt("HDU axes overflow");
      bytes *= (unsigned long long)axes[i];
    }
    bytes = (unsigned long long)(std::llabs(bitpix) / 8) * (unsigned long long)gcount * (bytes + (unsigned long long)pcount);
    if (header_end + bytes > size) {
      return Status::corrupt("FITS payload is truncated: HDU " + std::to_string(hdu) + " needs " +
                             std::to_string(header_end + bytes) + " bytes, the payload has " + std::to_string(size));
    }
    offset = header_end + (bytes + 2879) / 2880 * 2880;
    if (length) *length = std::min(offset, size);
  }
  return Status::ok();
}

// How an uncertainty extension's pixels become a variance, by EXTNAME.
enum class Uncertainty { kNone, kSigma, kVariance, kInverseVariance };

Uncertainty uncertainty_kind(fitsfile* f) {
  int status = 0;
  char value[FLEN_VALUE] = {0};
  fits_read_key(f, TSTRING, "EXTNAME", value, nullptr, &status);
  if (status != 0) {
    fits_clear_errmsg();
    return Uncertainty::kNone;
  }
  std::string name(value);
  for (char& c : name) c = char(std::toupper(static_cast<unsigned char>(c)));
  while (!name.empty() && name.back() == ' ') name.pop_back();
  if (name == "ERR" || name == "SIGMA" || name == "NOISE" || name == "STDDEV") return Uncertainty::kSigma;
  if (name == "VAR" || name == "VARIANCE") return Uncertainty::kVariance;
  if (name == "IVAR" || name == "INVVAR") return Uncertainty::kInverseVariance;
  return Uncertainty::kNone;
}

// Uncertainty pixels to variance in place; non-positive or non-finite
// values become NaN (no data).
void to_variance(Image& v, Uncertainty kind) {
  for (float& x : v.pixels) {
    if (kind == Uncertainty::kSigma) x = x > 0 ? x * x : NAN;
    else if (kind == Uncertainty::kInverseVariance) x = 1.0f / x;
    if (!(x > 0) || !std::isfinite(x)) x = NAN;
  }
}

// The first uncertainty extension after HDU `after` with the image's shape, as a variance.
Result<std::optional<Image>> read_variance(fitsfile* f, int after, int nhdu, long width, long height) {
  int status = 0;
  for (int h = after + 1; h <= nhdu; ++h) {
    int type = 0;
    fits_movabs_hdu(f, h, &type, &status);
    if (status != 0) return Status::corrupt("moving to HDU " + std::to_string(h) + ": " + cfitsio_error(status));
    if (type != IMAGE_HDU && !fits_is_compressed_image(f, &status)) continue;
    Uncertainty kind = uncertainty_kind(f);
    if (kind == Uncertainty::kNone) continue;
    int bitpix = 0, naxis = 0;
    long naxes[3] = {0, 0, 0};
    fits_get_img_param(f, 3, &bitpix, &naxis, naxes, &status);
    if (status != 0) return Status::corrupt("reading image parameters of HDU " + std::to_string(h) + ": " + cfitsio_error(status));
    if (naxes[0] != width || naxes[1] != height || !(naxis == 2 || (naxis == 3 && naxes[2] == 1))) {
      return Status::invalid("uncertainty image in HDU " + std::to_string(h) + " is " + std::to_string(naxes[0]) +
                             "x" + std::to_string(naxes[1]) + ", the science image " + std::to_string(width) + "x" +
                             std::to_string(height));
    }
    Image v(static_cast<int>(width), static_cast<int>(height));
    long first[3] = {1, 1, 1};
    float nullval = NAN;
    int anynull = 0;
    fits_read_pix(f, TFLOAT, first, long(v.size()), &nullval, v.pixels.data(), &anynull, &status);
    if (status != 0) return Status::corrupt("reading the uncertainty image in HDU " + std::to_string(h) + ": " + cfitsio_error(status));
    to_variance(v, kind);
    return std::optional<Image>(std::move(v));
  }
  return std::optional<Image>();
}

}  // namespace

Result<FitsImage> decode_fits(const void* data, size_t size, const DecodeLimits& limits) {
  if (size == 0) return Status::corrupt("FITS payload is empty");
  if (size < 2880) {
    return Status::corrupt("FITS payload is " + std::to_string(size) +
                           " bytes, shorter than one 2880-byte header block");
  }
  if (std::memcmp(data, "SIMPLE  =", 9) != 0) {
    return Status::corrupt("payload does not start with a FITS SIMPLE card");
  }
  if (Status st = check_fits_structure(static_cast<const char*>(data), size); !st) return st;
  // CFITSIO reads whole 2880-byte records: a payload whose length is not a
  // multiple of 2880 (final padding missing) is read from a zero-padded copy,
  // never past its end (found by tests/fuzz/fuzz_fits.cc).
  std::vector<uint8_t> padded;
  if (size % 2880 != 0) {
    padded.assign((size + 2879) / 2880 * 2880, 0);
    std::memcpy(padded.data(), data, size);
    data = padded.data();
    size = padded.size();
  }
  // CFITSIO wants a mutable pointer but does not write to a READONLY memfile.
  void* mem = const_cast<void*>(data);
  size_t memsize = size;
  FitsHandle fits;
  int status = 0;
  fits_open_memfile(fits.out(), "exposure.fits", READONLY, &mem, &memsize, 0, nullptr, &status);
  if (status != 0) return Status::corrupt("opening FITS: " + cfitsio_error(status));

  int nhdu = 0;
  fits_get_num_hdus(fits.get(), &nhdu, &status);
  if (status != 0) return Status::corrupt("counting HDUs: " + cfitsio_error(status));

  // Find the first HDU holding a 2-D image with pixels (fpack puts it in HDU 2).
  int chosen = 0;
  int naxis = 0;
  long naxes[3] = {0, 0, 0};
  int bitpix = 0;
  for (int h = 1; h <= nhdu && chosen == 0; ++h) {
    int type = 0;
    fits_movabs_hdu(fits.get(), h, &type, &status);
    if (status != 0) return Status::corrupt("moving to HDU " + std::to_string(h) + ": " + cfitsio_error(status));
    bool is_image = type == IMAGE_HDU || fits_is_compressed_image(fits.get(), &status);
    if (!is_image) continue;
    fits_get_img_param(fits.get(), 3, &bitpix, &naxis, naxes, &status);
    if (status != 0) return Status::corrupt("reading image parameters of HDU " + std::to_string(h) + ": " + cfitsio_error(status));
    if (naxis == 0) continue;  // an empty primary before the image extension
    chosen = h;
  }
  if (chosen == 0) return Status::corrupt("no image HDU with pixels (NAXIS is 0 everywhere)");
  if (naxis != 2 && !(naxis == 3 && naxes[2] == 1)) {
    return Status::invalid("image in HDU " + std::to_string(chosen) + " has NAXIS=" +
                           std::to_string(naxis) + "; Blink needs a 2-D image");
  }
  // CFITSIO's own reading of the header decides where the data lies; the check
  // above can read a mangled header differently (found by tests/fuzz/fuzz_fits.cc).
  LONGLONG head_start = 0, data_start = 0, data_end = 0;
  fits_get_hduaddrll(fits.get(), &head_start, &data_start, &data_end, &status);
  if (status != 0) return Status::corrupt("locating the data of HDU " + std::to_string(chosen) + ": " + cfitsio_error(status));
  if (data_end > LONGLONG(size)) {
    return Status::corrupt("FITS payload is truncated: HDU " + std::to_string(chosen) + " needs " +
                           std::to_string(data_end) + " bytes, the payload has " + std::to_string(size));
  }
  switch (bitpix) {
    case BYTE_IMG: case SHORT_IMG: case LONG_IMG: case LONGLONG_IMG: case FLOAT_IMG: case DOUBLE_IMG:
      break;
    default:
      return Status::invalid("unsupported BITPIX " + std::to_string(bitpix));
  }
  if (naxes[0] <= 0 || naxes[1] <= 0) {
    return Status::invalid("image is " + std::to_string(naxes[0]) + "x" + std::to_string(naxes[1]) +
                           " pixels; both sides must be positive");
  }
  if (naxes[0] > limits.max_side || naxes[1] > limits.max_side ||
      int64_t(naxes[0]) * int64_t(naxes[1]) > limits.max_pixels) {
    return Status::invalid("image is " + std::to_string(naxes[0]) + "x" + std::to_string(naxes[1]) +
                           " pixels, over the limit of " + std::to_string(limits.max_pixels) + " pixels");
  }

  FitsImage out;
  char* header = nullptr;
  int nkeys = 0;
  fits_hdr2str(fits.get(), 0, nullptr, 0, &header, &nkeys, &status);
  if (status != 0) return Status::corrupt("reading header: " + cfitsio_error(status));
  out.header.assign(header);
  out.header_cards = nkeys;
  fits_free_memory(header, &status);

  out.gain = first_key(fits.get(), {"GAIN", "EGAIN"});
  out.read_noise = first_key(fits.get(), {"RDNOISE", "READNOIS", "RON"});
  out.saturate = first_key(fits.get(), {"SATURATE", "SATURATN", "SATLEVEL"});
  out.magzp = first_key(fits.get(), {"MAGZP", "MAGZPT", "ZP"});

  out.image = Image(int(naxes[0]), int(naxes[1]));
  long first[3] = {1, 1, 1};
  float nullval = NAN;  // undefined integer pixels (BLANK) read as NaN
  int anynull = 0;
  fits_read_pix(fits.get(), TFLOAT, first, long(out.image.size()), &nullval, out.image.pixels.data(),
                &anynull, &status);
  if (status != 0) {
    return Status::corrupt("reading " + std::to_string(naxes[0]) + "x" + std::to_string(naxes[1]) +
                           " pixels: " + cfitsio_error(status));
  }
  auto variance = read_variance(fits.get(), chosen, nhdu, naxes[0], naxes[1]);
  if (!variance) return variance.status();
  out.variance = std::move(*variance);
  return out;
}

Result<std::vector<uint8_t>> encode_fits(const Image& image, const std::vector<FitsCard>& cards,
                                         FitsCompression compression) {
  if (image.width <= 0 || image.height <= 0) return Status::invalid("cannot encode an empty image");
  // Room for the whole file up front: one allocation in the common case.
  size_t memsize = (image.size() * sizeof(float) / 2880 + 8 + cards.size() / 36) * 2880;
  void* mem = std::calloc(memsize, 1);
  if (!mem) return Status::internal("out of memory encoding FITS");
  FitsHandle fits;
  int status = 0;
  fits_create_memfile(fits.out(), &mem, &memsize, 2880 * 64, zeroing_realloc, &status);
  if (status != 0) {
    std::free(mem);
    return Status::internal("creating in-memory FITS: " + cfitsio_error(status));
  }
  long naxes[2] = {image.width, image.height};
  if (compression == FitsCompression::kRice) {
    // An empty primary HDU, then the tile-compressed image extension.
    fits_create_img(fits.get(), BYTE_IMG, 0, nullptr, &status);
    fits_set_compression_type(fits.get(), RICE_1, &status);
  }
  fits_create_img(fits.get(), FLOAT_IMG, 2, naxes, &status);
  for (const FitsCard& c : cards) {
    char* comment = c.comment.empty() ? nullptr : const_cast<char*>(c.comment.c_str());
    char* key = const_cast<char*>(c.key.c_str());
    if (auto* d = std::get_if<double>(&c.value)) {
      double v = *d;
      fits_update_key(fits.get(), TDOUBLE, key, &v, comment, &status);
    } else if (auto* l = std::get_if<long>(&c.value)) {
      long v = *l;
      fits_update_key(fits.get(), TLONG, key, &v, comment, &status);
    } else if (auto* s = std::get_if<std::string>(&c.value)) {
      fits_update_key(fits.get(), TSTRING, key, const_cast<char*>(s->c_str()), comment, &status);
    } else {
      int v = std::get<bool>(c.value) ? 1 : 0;
      fits_update_key(fits.get(), TLOGICAL, key, &v, comment, &status);
    }
  }
  long first[2] = {1, 1};
  fits_write_pix(fits.get(), TFLOAT, first, long(image.size()), const_cast<float*>(image.pixels.data()),
                 &status);
  fits_close_file(fits.get(), &status);
  fits.release_closed();
  if (status != 0) {
    std::free(mem);
    return Status::internal("encoding FITS: " + cfitsio_error(status));
  }
  // The buffer is larger than the file (zero-filled room to grow): the HDUs say where it ends.
  size_t file_size = 0;
  if (Status st = check_fits_structure(static_cast<const char*>(mem), memsize, &file_size); !st || file_size == 0) {
    std::free(mem);
    return Status::internal("encoded FITS does not parse back: " + st.message());
  }
  std::vector<uint8_t> bytes(static_cast<uint8_t*>(mem), static_cast<uint8_t*>(mem) + file_size);
  std::free(mem);
  return bytes;
}

Result<FitsImage> read_fits_file(const std::string& path, const DecodeLimits& limits) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error("cannot open " + path);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto r = decode_fits(bytes.data(), bytes.size(), limits);
  if (!r) return r.status().with_context(path);
  return r;
}

Status read_noise_map(const std::string& path, FitsImage& image) {
  auto noise = read_fits_file(path);
  if (!noise) return noise.status().with_context("reading the noise map " + path);
  if (noise->image.width != image.image.width || noise->image.height != image.image.height) {
    return Status::invalid("noise map " + path + " is " + std::to_string(noise->image.width) + "x" +
                           std::to_string(noise->image.height) + ", the image " + std::to_string(image.image.width) +
                           "x" + std::to_string(image.image.height));
  }
  to_variance(noise->image, Uncertainty::kSigma);
  image.variance = std::move(noise->image);
  return Status::ok();
}

Status write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::io_error("cannot create " + path);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  if (!out) return Status::io_error("short write to " + path);
  return Status::ok();
}

}  // namespace blink
