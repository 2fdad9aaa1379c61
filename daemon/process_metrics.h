// The process_* series of Prometheus's client conventions (CPU seconds,
// resident and virtual memory, open and maximum file descriptors, start time),
// read from /proc/self at each scrape so that they are never stale.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

namespace blink {

class ProcessCollector : public prometheus::Collectable {
 public:
  // Families whose source cannot be read are left out, not reported as 0.
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace blink
