// Large pixel blocks: reused across exposures, 2 MiB pages when new.
#include <sys/mman.h>

#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "image.h"

namespace blink {
namespace {

constexpr size_t kHugePage = size_t(2) << 20;
struct Cache {
  std::mutex mu;
  std::vector<std::pair<size_t, void*>> blocks;  // (rounded size, block)
  size_t bytes = 0;
  // Enough for the planes of one 4096^2 exposure, so steady state
  // allocates nothing new. None under AddressSanitizer, which must see every
  // free to catch a use after it.
#if defined(__SANITIZE_ADDRESS__)
  size_t limit = 0;
#else
  size_t limit = size_t(768) << 20;
#endif
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: planes may be freed during exit
  return *c;
}

size_t rounded(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

}  // namespace

void* plane_block_allocate(size_t bytes) {
  const size_t size = rounded(bytes);
  {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    for (size_t i = 0; i < c.blocks.size(); ++i)
      if (c.blocks[i].first == size) {
        void* p = c.blocks[i].second;
        c.blocks[i] = c.blocks.back();
        c.blocks.pop_back();
        c.bytes -= size;
        return p;
      }
  }
  void* p = std::aligned_alloc(kHugePage, size);
  if (!p) throw std::bad_alloc();
  madvise(p, size, MADV_HUGEPAGE);  // a hint; plain pages without it
  return p;
}

void plane_block_free(void* p, size_t bytes) {
  const size_t size = rounded(bytes);
  {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.bytes + size <= c.limit) {
      c.blocks.emplace_back(size, p);
      c.bytes += size;
      return;
    }
  }
  std::free(p);
}

void set_plane_cache_limit(size_t bytes) {
  std::vector<void*> drop;
  {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mu);
    c.limit = bytes;
    while (c.bytes > c.limit && !c.blocks.empty()) {
      c.bytes -= c.blocks.back().first;
      drop.push_back(c.blocks.back().second);
      c.blocks.pop_back();
    }
  }
  for (void* p : drop) std::free(p);
}

}  // namespace blink
