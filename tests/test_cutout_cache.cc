// The cache of rendered cutout PNGs (daemon/cutout_cache.h).
#include <catch2/catch.hpp>

#include "cutout_cache.h"

using blink::CutoutCache;

TEST_CASE("cutout cache: gives back what was put, and nothing for an unknown key") {
  CutoutCache cache(100);
  cache.put("c1/science", "png-1");
  CHECK(cache.get("c1/science") == "png-1");
  CHECK_FALSE(cache.get("c1/difference"));
  CHECK(cache.bytes() == 5);
}

TEST_CASE("cutout cache: the least recently used go first when the budget is full") {
  CutoutCache cache(30);
  cache.put("a", std::string(10, 'a'));
  cache.put("b", std::string(10, 'b'));
  cache.put("c", std::string(10, 'c'));
  REQUIRE(cache.get("a"));  // now the most recently used: "b" is the oldest
  cache.put("d", std::string(10, 'd'));
  CHECK_FALSE(cache.get("b"));
  CHECK(cache.get("a"));
  CHECK(cache.get("c"));
  CHECK(cache.get("d"));
  CHECK(cache.bytes() == 30);
}

TEST_CASE("cutout cache: putting a key again replaces it; a PNG over the budget is not kept") {
  CutoutCache cache(20);
  cache.put("a", std::string(10, 'a'));
  cache.put("a", std::string(4, 'x'));
  CHECK(cache.get("a") == "xxxx");
  CHECK(cache.bytes() == 4);
  cache.put("huge", std::string(21, 'h'));
  CHECK_FALSE(cache.get("huge"));
  CHECK(cache.get("a"));
}
