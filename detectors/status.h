// Blink's one error currency. Every fallible call in detectors/ and daemon/
// returns a Status or a Result<T>; C library error codes (CFITSIO, wcslib,
// errno, ZeroMQ, SQLite) are translated into it at the single adapter that
// wraps each library. Exceptions are used only at start-up and configuration.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace blink {

class Status {
 public:
  enum class Code { kOk, kInvalidArgument, kCorrupt, kNotFound, kIOError, kUnavailable, kInternal };

  Status() = default;
  static Status ok() { return Status(); }
  static Status invalid(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status corrupt(std::string msg) { return Status(Code::kCorrupt, std::move(msg)); }
  static Status not_found(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status io_error(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is prefixed with what was being done,
  // so errors read "decoding FITS: NAXIS1 is 0" from the outside in.
  Status with_context(const std::string& context) const {
    if (is_ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : state_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(state_).is_ok() && "Result built from an ok Status");
  }

  bool is_ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return is_ok(); }

  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  Status status() const { return is_ok() ? Status::ok() : std::get<Status>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace blink
