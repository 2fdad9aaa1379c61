// The Debian package: cpack -G DEB from this build, then its contents,
// control fields and conffiles, and systemd-analyze verify on the unit it
// ships (with ExecStart pointing at the extracted blinkd). Skipped with a
// warning where cpack, dpkg-deb or dpkg-shlibdeps is missing.
#include <catch2/catch.hpp>
#include <fstream>

#include "daemon_fixture.h"

using namespace blink::testing;
using namespace std::chrono_literals;

namespace {

bool have_tools() {
  for (const char* tool : {"/usr/bin/cpack", "/usr/bin/dpkg-deb", "/usr/bin/dpkg-shlibdeps"}) {
    if (!std::filesystem::exists(tool)) {
      WARN(tool << " is not installed (tools/install-deps.sh); skipping the package test");
      return false;
    }
  }
  if (!std::filesystem::exists(std::string(BLINK_BINARY_DIR) + "/CPackConfig.cmake")) {
    WARN("no CPackConfig.cmake in the build; skipping the package test");
    return false;
  }
  return true;
}

}  // namespace

TEST_CASE("package: cpack builds a .deb with the binaries, unit, configuration and page",
          "[package]") {
  if (!have_tools()) return;
  TempDir tmp;
  const auto out = tmp.path() / "out.txt";
  const auto started = std::chrono::steady_clock::now();
  const int built = run_command(
      {"/usr/bin/cpack", "--config", std::string(BLINK_BINARY_DIR) + "/CPackConfig.cmake", "-G",
       "DEB", "-B", (tmp.path() / "pkg").string()},
      out, 90s);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO(read_text(out));
  REQUIRE(built == 0);
  CHECK(seconds < 60);
  std::filesystem::path deb;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path() / "pkg"))
    if (e.path().extension() == ".deb") deb = e.path();
  REQUIRE(!deb.empty());
  CHECK_THAT(deb.filename().string(), Catch::StartsWith(std::string("blink_") + BLINK_VERSION));

  // Contents.
  REQUIRE(run_command({"/usr/bin/dpkg-deb", "-c", deb.string()}, out) == 0);
  const std::string contents = read_text(out);
  INFO(contents);
  for (const char* path : {"./usr/bin/blinkd", "./usr/bin/blink-sim", "./usr/bin/blinkctl",
                           "./lib/systemd/system/blinkd.service", "./etc/blink/blink.toml",
                           "./usr/share/blink/web/index.html", "./usr/share/doc/blink/README.md",
                           "./usr/bin/blink-train", "./usr/share/blink/models/realbogus-default.json"}) {
    CHECK_THAT(contents, Catch::Contains(std::string(path) + "\n"));
  }
  // Nothing from a developer's tree: no tests, benchmark or headers.
  CHECK_THAT(contents, !Catch::Contains("blink_tests"));
  CHECK_THAT(contents, !Catch::Contains("blink-bench"));
  CHECK_THAT(contents, !Catch::Contains("/include/"));

  // Control: the runtime libraries as dependencies, the configuration as a conffile.
  REQUIRE(run_command({"/usr/bin/dpkg-deb", "-I", deb.string()}, out) == 0);
  const std::string info = read_text(out);
  INFO(info);
  CHECK_THAT(info, Catch::Contains("Package: blink\n"));
  CHECK_THAT(info, Catch::Contains(std::string("Version: ") + BLINK_VERSION));
  const auto depends_at = info.find(" Depends: ");
  REQUIRE(depends_at != std::string::npos);
  const std::string depends = info.substr(depends_at, info.find('\n', depends_at) - depends_at);
  for (const char* lib : {"libzmq5", "libcfitsio10", "libfftw3-single3", "libwcs7", "libsqlite3-0",
                          "libsystemd0", "libcivetweb1", "systemd"}) {
    CHECK_THAT(depends, Catch::Contains(lib));
  }
  REQUIRE(run_command({"/usr/bin/dpkg-deb", "-I", deb.string(), "conffiles"}, out) == 0);
  CHECK(read_text(out) == "/etc/blink/blink.toml\n");

  // The shipped files: the unit starts the installed binary with the shipped configuration.
  const auto root = tmp.path() / "root";
  REQUIRE(run_command({"/usr/bin/dpkg-deb", "-x", deb.string(), root.string()}, out) == 0);
  std::string unit = read_text(root / "lib/systemd/system/blinkd.service");
  CHECK_THAT(unit, Catch::Contains("ExecStart=/usr/bin/blinkd --config /etc/blink/blink.toml\n"));
  CHECK(read_text(root / "etc/blink/blink.toml") ==
        read_text(std::string(BLINK_SOURCE_DIR) + "/config/blink.toml"));
  REQUIRE(run_command({(root / "usr/bin/blinkd").string(), "--check-config",
                       (root / "etc/blink/blink.toml").string()},
                      out) == 0);

  if (!std::filesystem::exists("/usr/bin/systemd-analyze")) {
    WARN("systemd-analyze is not installed; skipping verify on the packaged unit");
    return;
  }
  const std::string from = "ExecStart=/usr/bin/blinkd";
  unit.replace(unit.find(from), from.size(), "ExecStart=" + (root / "usr/bin/blinkd").string());
  const auto unit_path = tmp.path() / "blinkd.service";
  std::ofstream(unit_path) << unit;
  const int verified = run_command({"/usr/bin/systemd-analyze", "verify", unit_path.string()}, out);
  INFO(read_text(out));
  CHECK(verified == 0);
  CHECK(read_text(out).find("blinkd.service") == std::string::npos);
}
