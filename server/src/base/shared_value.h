#pragma once
// SharedValue<T>: an immutable T behind a reference count, so that copying it costs one atomic
// increment instead of an allocation and a copy of its bytes.
//
// Why: a log entry is copied many times on its way through an ensemble (into the log, into
// each follower's append message, into the batch to persist, into the batch to apply), and with
// the request body and identities held by value every copy allocated and copied them. Profiles
// of 3-member write workloads showed those copies and their frees as the largest share of the
// servers' CPU (docs/benchmarks.md). The value never changes once the leader has stamped the
// entry, so sharing it is safe; a holder that wants a different value assigns a new one.
//
// Reads go through get(), operator-> or the implicit conversion to const T&. An empty
// SharedValue reads as a default-constructed T and allocates nothing.
#include <concepts>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <type_traits>
#include <utility>

namespace corral {

template <typename T>
class SharedValue {
 public:
  SharedValue() = default;
  // Implicit, so that `entry.request = std::move(body)` and `Txn{.request = "x"}` read as
  // they did when the field was a plain T.
  template <typename U>
    requires(std::constructible_from<T, U &&> &&
             !std::same_as<std::remove_cvref_t<U>, SharedValue>)
  SharedValue(U&& value)  // NOLINT(google-explicit-constructor)
      : value_(std::make_shared<const T>(std::forward<U>(value))) {}
  template <typename E>
    requires std::constructible_from<T, std::initializer_list<E>>
  SharedValue(std::initializer_list<E> list)  // NOLINT(google-explicit-constructor)
      : value_(std::make_shared<const T>(list)) {}

  const T& get() const { return value_ ? *value_ : Empty(); }
  operator const T&() const { return get(); }  // NOLINT(google-explicit-constructor)
  const T* operator->() const { return &get(); }
  const T& operator*() const { return get(); }

  friend bool operator==(const SharedValue& a, const SharedValue& b) {
    return a.value_ == b.value_ || a.get() == b.get();
  }
  friend std::ostream& operator<<(std::ostream& out, const SharedValue& v)
    requires requires(std::ostream& o, const T& t) { o << t; }
  {
    return out << v.get();
  }

 private:
  static const T& Empty() {
    static const T* const empty = new T();
    return *empty;
  }

  std::shared_ptr<const T> value_;
};

}  // namespace corral
