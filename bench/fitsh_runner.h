// Runs fitsh's `ficonv` (Debian package `fitsh`) as a child process: fits the
// kernel that turns a reference into the science image on star stamps,
// writes the difference, and reads it back. The benchmark's only contact
// with fitsh; everything it learns comes back as Blink images and numbers.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "image.h"
#include "kernel_list.h"
#include "status.h"

namespace blink::bench {

// Where to look for a program the way a shell would: each PATH entry in turn.
std::optional<std::string> find_on_path(const std::string& program);

// A fitting stamp: a star's centre in Blink pixels (0-based, centres on
// integers) and the half-size of the square of pixels ficonv fits there.
struct Stamp {
  double x = 0, y = 0;
  int half_size = 8;
};

// fitsh's fast configuration: a flux ("i") term and a discrete ("d=") kernel,
// both of spatial order 1, wide enough for the Gaussian that turns the
// reference PSF into the science PSF (3 sigma, at least 3 pixels, at most 8).
// No background ("b") term: both inputs arrive background-subtracted, and on
// star stamps a background term trades off against the kernel's wings (on
// the simulator's Moffat stars it settled near +40 ADU and halved
// completeness at S/N 5-20). Widths are FWHMs in science pixels.
std::string fast_kernel_spec(double science_fwhm, double reference_fwhm);

// The largest half-size of the "d=" and "g=" kernels in a ficonv kernel set (0 if none).
// ficonv fits only the pixels of a stamp whose whole kernel footprint lies
// inside it, so a stamp must reach this much further than the star.
int kernel_half_size(const std::string& kernel_spec);

struct FitshConfig {
  std::string ficonv = "ficonv";  // path of the program
  std::string kernel_spec;        // ficonv -k
  int iterations = 3;             // ficonv -n: refits rejecting outlier pixels
  double rejection_sigma = 3;     // ficonv -s
  std::string temp_parent;        // where the scratch directory goes; empty: $TMPDIR or /tmp
  bool keep_files = false;        // leave the scratch directory for inspection
};

struct FitshSubtraction {
  Image diff;               // science - kernel * reference, science ADU
  KernelSummary kernel;     // at the frame centre
  double seconds = 0;       // wall clock: writing both inputs, ficonv, reading the difference back
  double ficonv_seconds = 0;  // the child process alone
  long max_rss_kb = 0;      // ficonv's peak resident memory (VmHWM, sampled every 10 ms)
  std::vector<std::string> argv;  // the command that ran (file names in the scratch directory)
  std::string kept_dir;           // the scratch directory, when config.keep_files
};

// Writes `science`, `reference` (already on the science grid, background
// removed) and the stamp list to a scratch directory, runs ficonv and reads
// its difference image and kernel back; the directory is removed after
// unless config.keep_files.
// Non-finite pixels are written as 0 (ficonv's convolution would spread them).
Result<FitshSubtraction> run_ficonv(const Image& science, const Image& reference,
                                    const std::vector<Stamp>& stamps, const FitshConfig& config);

}  // namespace blink::bench
