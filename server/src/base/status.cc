#include "base/status.h"

namespace corral {

std::string Status::ToString() const {
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kInvalidArgument:
      return "invalid argument: " + message_;
    case Code::kNotFound:
      return "not found: " + message_;
    case Code::kCorruption:
      return "corruption: " + message_;
    case Code::kIoError:
      return "I/O error: " + message_;
    case Code::kResourceExhausted:
      return "resource exhausted: " + message_;
    case Code::kFailedPrecondition:
      return "failed precondition: " + message_;
  }
  return message_;
}

}  // namespace corral
