// alert_avro_bench: time to encode one candidate's Avro alert packet (with a
// 63x63 cutout triplet and some history) and the packet's size, beside the
// JSON form's. Prints figures; nothing here is checked.
//   alert_avro_bench [--n 2000] [--history 10]
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>

#include "alert_avro.h"
#include "candidate_json.h"

int main(int argc, char** argv) {
  int n = 2000, history = 10;
  CLI::App app{"alert_avro_bench: Avro alert packet encoding time and size"};
  app.add_option("--n", n, "packets to encode")->check(CLI::PositiveNumber);
  app.add_option("--history", history, "previous detections and non-detections each")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  blink::Envelope e;
  e.exposure_id = "bench-F0001-r-e5";
  e.field = "F0001";
  e.band = "r";
  e.mjd_obs = 60400.1;
  blink::RoutedCandidate r;
  r.candidate_id = e.exposure_id + ":17";
  r.route = blink::Route::kAlert;
  r.model_version = "bench";
  r.measured.ra = 150.1, r.measured.dec = 2.2, r.measured.mag = 20.1, r.measured.host_radius = 3;
  for (int i = 0; i < history; ++i) {
    blink::PreviousDetection d;
    d.candidate_id = "bench-F0001-r-e" + std::to_string(i) + ":3";
    d.exposure_id = "bench-F0001-r-e" + std::to_string(i);
    d.mjd = 60390 + i;
    r.history.detections.push_back(d);
    r.history.non_detections.push_back({d.exposure_id + "x", "r", 60390.5 + i, 21.3});
  }
  auto t = std::make_shared<blink::CutoutTriplet>();
  t->size = 63;
  for (auto* plane : {&t->science, &t->reference, &t->difference}) {
    plane->resize(63 * 63);
    for (size_t i = 0; i < plane->size(); ++i) (*plane)[i] = float(i % 97) * 1.37f - 20;
  }
  r.cutouts = t;

  auto first = blink::encode_alert_avro(e, "zogy", r);  // parses the schema once
  if (!first) {
    std::fprintf(stderr, "alert_avro_bench: %s\n", first.status().message().c_str());
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  size_t bytes = 0;
  for (int i = 0; i < n; ++i) bytes += blink::encode_alert_avro(e, "zogy", r)->size();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string json = blink::candidate_json(e, "zogy", r).dump();
  std::printf("alert packet (3 cutouts, %d detections + %d non-detections): %zu bytes\n", history,
              history, bytes / size_t(n));
  std::printf("encoding: %.1f us per packet (%d packets, one thread)\n", s / n * 1e6, n);
  std::printf("JSON form for comparison: %zu bytes\n", json.size());
  r.cutouts.reset();
  std::printf("alert packet without cutouts: %zu bytes\n",
              blink::encode_alert_avro(e, "zogy", r)->size());
  return 0;
}
