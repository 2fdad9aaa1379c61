#include "kernel_list.h"

#include <cmath>
#include <sstream>
#include <vector>

namespace blink::bench {
namespace {

// "key = v1, v2, ..." -> the numbers after '='; trailing '\' continues a line.
std::vector<double> numbers_after_equals(const std::string& line) {
  std::vector<double> out;
  size_t eq = line.find('=');
  if (eq == std::string::npos) return out;
  std::string rest = line.substr(eq + 1);
  for (char& ch : rest)
    if (ch == ',' || ch == '\\' || ch == '#') ch = ' ';
  std::istringstream in(rest);
  double v;
  while (in >> v) out.push_back(v);
  return out;
}

std::string trimmed(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

struct Basis {
  std::string type;
  std::vector<double> image, coeff;
};

}  // namespace

Result<KernelSummary> parse_kernel_list(const std::string& text) {
  std::vector<Basis> bases;
  Basis cur;
  bool in_kernel = false, in_image = false;
  std::istringstream in(text);
  std::string raw;
  while (std::getline(in, raw)) {
    std::string line = trimmed(raw);
    if (in_image) {
      // Continuation rows of "#image = a, b, \" look like "#   c, d, \".
      std::string body = line.size() > 1 && line[0] == '#' ? line.substr(1) : line;
      for (char& ch : body)
        if (ch == ',' || ch == '\\') ch = ' ';
      std::istringstream row(body);
      double v;
      while (row >> v) cur.image.push_back(v);
      in_image = !line.empty() && line.back() == '\\';
      continue;
    }
    if (line.rfind("[kernel]", 0) == 0) {
      cur = Basis{};
      in_kernel = true;
    } else if (line == "[end]" && in_kernel) {
      bases.push_back(cur);
      in_kernel = false;
    } else if (in_kernel && line.rfind("type", 0) == 0) {
      size_t eq = line.find('=');
      cur.type = eq == std::string::npos ? "" : trimmed(line.substr(eq + 1));
    } else if (in_kernel && line.rfind("#image", 0) == 0) {
      cur.image = numbers_after_equals(line);
      in_image = line.back() == '\\';
    } else if (in_kernel && line.rfind("coeff", 0) == 0) {
      cur.coeff = numbers_after_equals(line);
    }
  }
  if (bases.empty()) return Status::corrupt("kernel list: no [kernel] block");

  KernelSummary out;
  out.terms = int(bases.size());
  for (Basis& b : bases) {
    if (b.type == "identity") b.image = {1.0};
    if (b.type == "background") continue;
    const int side = int(std::lround(std::sqrt(double(b.image.size()))));
    if (b.image.empty() || side * side != int(b.image.size()) || side % 2 == 0)
      return Status::corrupt("kernel list: a '" + b.type + "' kernel has no square #image");
    if (b.coeff.empty()) return Status::corrupt("kernel list: a '" + b.type + "' kernel has no coefficients");
    out.half_size = std::max(out.half_size, side / 2);
  }
  const int n = 2 * out.half_size + 1;
  out.kernel = Image(n, n);
  for (const Basis& b : bases) {
    if (b.type == "background") continue;
    const int side = int(std::lround(std::sqrt(double(b.image.size())))), off = out.half_size - side / 2;
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) out.kernel.at(x + off, y + off) += float(b.coeff[0] * b.image[y * side + x]);
  }
  for (float v : out.kernel.pixels) out.sum += v, out.sum_sq += double(v) * v;
  return out;
}

}  // namespace blink::bench
