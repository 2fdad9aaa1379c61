#include "process_memory.h"

#include <fstream>
#include <sstream>
#include <string>

namespace blink::bench {
namespace {

double status_field_mb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    double kb = 0;
    fields >> kb;
    return kb / 1024.0;
  }
  return 0;
}

}  // namespace

double resident_mb() { return status_field_mb("VmRSS"); }
double peak_resident_mb() { return status_field_mb("VmHWM"); }

bool reset_peak_resident() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return bool(out);
}

}  // namespace blink::bench
