// Result<T>: a value or an Error, shaped like std::expected so that C++23 is a `using` away.
// Errors are values at every boundary; parsers never throw.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace gt {

enum class ErrorCode {
  kGone,         // the process or cgroup vanished mid-read: normal on a node, not a failure
  kNotFound,     // a required file or object does not exist
  kMalformed,    // content does not parse; path and line say where
  kInvalid,      // a caller-supplied value is wrong (flag, manifest field, quantity)
  kPermission,   // the kernel refused (EACCES/EPERM)
  kIo,           // any other system error
  kUnavailable,  // a peer is unreachable or timed out
  kConflict,     // a precondition (an object's resourceVersion) no longer holds: re-read
};

const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kIo;
  std::string message;
  std::string path;  // the file, URL or object the error is about; empty when none
  int line = 0;      // 1-based line in `path`; 0 when not about a line

  // "path:line: message" (or fewer parts when they are empty).
  std::string ToString() const;
  bool gone() const { return code == ErrorCode::kGone; }
};

inline Error MakeError(ErrorCode code, std::string message, std::string path = {}, int line = 0) {
  return Error{code, std::move(message), std::move(path), line};
}

// Carries an Error into a Result of any type: `return Unexpected(err);`
struct Unexpected {
  Error error;
  explicit Unexpected(Error e) : error(std::move(e)) {}
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Unexpected u) : state_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
  Result(Error e) : state_(std::in_place_index<1>, std::move(e)) {}             // NOLINT

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(state_); }
  Error& error() { return std::get<1>(state_); }

  template <typename U>
  T value_or(U&& fallback) const {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success or an Error.
struct Ok {};
using Status = Result<Ok>;
inline Status OkStatus() { return Ok{}; }

}  // namespace gt
