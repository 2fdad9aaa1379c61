// The benchmarks' charts are the shared ones in plot/charts.h.
#pragma once

#include "charts.h"

namespace blink::bench {
using plot::line_chart_svg;
using plot::Series;
}  // namespace blink::bench
