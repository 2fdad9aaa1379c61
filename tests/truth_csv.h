// blink-sim's truth CSV, read back for the end-to-end tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace blink::testing {

struct TruthRow {
  std::string exposure_id, kind;
  double x = 0, y = 0, ra = 0, dec = 0, mag = 0, snr = 0;
};

inline std::vector<TruthRow> read_truth(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  std::map<std::string, int> col;
  {
    std::stringstream ss(line);
    std::string name;
    for (int i = 0; std::getline(ss, name, ','); ++i) col[name] = i;
  }
  std::vector<TruthRow> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string v;
    while (std::getline(ss, v, ',')) f.push_back(v);
    auto get = [&](const char* k) { return col.count(k) && size_t(col[k]) < f.size() ? f[col[k]] : std::string(); };
    auto num = [&](const char* k) { auto s = get(k); return s.empty() ? 0.0 : std::atof(s.c_str()); };
    rows.push_back({get("exposure_id"), get("kind"), num("x"), num("y"), num("ra"), num("dec"), num("mag"),
                    num("expected_snr")});
  }
  return rows;
}

}  // namespace blink::testing
