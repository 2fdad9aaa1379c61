// The spool, reference files and the bounded quarantine.
#include <catch2/catch.hpp>

#include "spool.h"
#include "test_support.h"

using namespace blink;
using namespace blink::testing;

namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

}  // namespace

TEST_CASE("spool: a spooled payload is read back whole and leaves no temporary file") {
  TempDir tmp;
  Spool spool(tmp.path() / "state", 1 << 20);
  REQUIRE(spool.init());
  auto data = bytes_of(std::string(100000, 'x') + "end");
  REQUIRE(spool.write_spooled("e1", data));
  auto back = spool.read(spool.spool_path("e1"));
  REQUIRE(back);
  CHECK(*back == data);
  CHECK(spool.spooled_ids() == std::vector<std::string>{"e1"});
  for (const auto& entry : std::filesystem::directory_iterator(tmp.path() / "state" / "spool"))
    CHECK(entry.path().extension() != ".tmp");
  REQUIRE(spool.remove_spooled("e1"));
  CHECK(spool.spooled_ids().empty());
  CHECK(spool.remove_spooled("e1"));  // removing what is gone is fine
}

TEST_CASE("spool: reading a missing file is not_found") {
  TempDir tmp;
  Spool spool(tmp.path(), 0);
  REQUIRE(spool.init());
  auto r = spool.read(spool.spool_path("nope"));
  REQUIRE_FALSE(r);
  CHECK(r.status().code() == Status::Code::kNotFound);
}

TEST_CASE("spool: reference files are named by key, and different keys never share one") {
  TempDir tmp;
  Spool spool(tmp.path(), 0);
  CHECK(spool.reference_path("F0001", "r", 0).filename() == "F0001_r_0.fits");
  CHECK(spool.reference_path("a_b", "c", 0) != spool.reference_path("a", "b_c", 0));
}

TEST_CASE("spool: moving a spooled payload replaces the reference file") {
  TempDir tmp;
  Spool spool(tmp.path(), 0);
  REQUIRE(spool.init());
  const auto target = spool.reference_path("F", "r", 1);
  REQUIRE(spool.write_spooled("old", bytes_of("old")));
  REQUIRE(spool.move_spooled("old", target));
  REQUIRE(spool.write_spooled("new", bytes_of("new")));
  REQUIRE(spool.move_spooled("new", target));
  CHECK(read_text(target) == "new");
  CHECK(spool.spooled_ids().empty());
}

TEST_CASE("spool: quarantine keeps the envelope and payload and stays within its bound") {
  TempDir tmp;
  Spool spool(tmp.path(), 5000);
  REQUIRE(spool.init());
  auto first =
      spool.quarantine("../evil id", "{\"reason\":\"bad_fits\"}", bytes_of(std::string(1000, 'a')));
  REQUIRE(first);
  CHECK(first->find('/') == std::string::npos);
  CHECK(std::filesystem::exists(tmp.path() / "quarantine" / (*first + ".json")));
  CHECK(std::filesystem::exists(tmp.path() / "quarantine" / (*first + ".fits")));
  for (int i = 0; i < 10; ++i) {
    std::string name = std::to_string(i);
    REQUIRE(spool.quarantine(name, "{}", bytes_of(std::string(1000, 'b'))));
  }
  CHECK(spool.quarantine_bytes() <= 5000);
  // The oldest went first.
  CHECK_FALSE(std::filesystem::exists(tmp.path() / "quarantine" / (*first + ".fits")));
}

TEST_CASE("spool: a zero quarantine bound keeps nothing") {
  TempDir tmp;
  Spool spool(tmp.path(), 0);
  REQUIRE(spool.init());
  auto r = spool.quarantine("e1", "{}", bytes_of("x"));
  REQUIRE(r);
  CHECK(r->empty());
  CHECK(spool.quarantine_bytes() == 0);
}

TEST_CASE("spool: an atomic write replaces the file whole") {
  TempDir tmp;
  const auto path = tmp.path() / "f.bin";
  REQUIRE(write_file_atomically(path, bytes_of("one")));
  REQUIRE(write_file_atomically(path, bytes_of("two!")));
  auto back = read_whole_file(path);
  REQUIRE(back);
  CHECK(*back == bytes_of("two!"));
}
