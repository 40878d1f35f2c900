#pragma once
// Status: the result of an operation that can fail for expected reasons (bad input, I/O,
// corruption). Programmer errors use CORRAL_ASSERT instead. Modelled on LevelDB/Abseil.
#include <optional>
#include <string>
#include <utility>

#include "base/assert.h"

namespace corral {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kInvalidArgument,
    kNotFound,
    kCorruption,
    kIoError,
    kResourceExhausted,
    kFailedPrecondition,  // the system is not in a state to do it (e.g. not the leader)
  };

  Status() = default;
  // For passing an error on with more context: Status(other.code(), "while X: " + ...).
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status ResourceExhausted(std::string msg) {
    return {Code::kResourceExhausted, std::move(msg)};
  }

  static Status FailedPrecondition(std::string msg) {
    return {Code::kFailedPrecondition, std::move(msg)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// StatusOr<T>: a value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT
    CORRAL_ASSERT(!status_.ok(), "StatusOr built from an OK status without a value");
  }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & {
    CORRAL_ASSERT(ok(), status_.message().c_str());
    return *value_;
  }
  T&& value() && {
    CORRAL_ASSERT(ok(), status_.message().c_str());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace corral

#define CORRAL_RETURN_IF_ERROR(expr) \
  do {                               \
    ::corral::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)
