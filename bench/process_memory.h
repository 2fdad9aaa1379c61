// This process's resident memory, from /proc/self (Linux): the current size
// and the peak since the last reset, so one benchmark step's peak can be read.
#pragma once

namespace blink::bench {

double resident_mb();  // VmRSS; 0 when /proc is not readable
double peak_resident_mb();  // VmHWM
// Starts a new peak at the current size (writes 5 to /proc/self/clear_refs).
// False when the kernel refuses; the peak then covers the whole run so far.
bool reset_peak_resident();

}  // namespace blink::bench
