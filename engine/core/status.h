// Status and StatusOr: the error currency of ascendra.
//
// Expected failures (bad request, corrupt file, KV exhausted) are returned as values; broken
// invariants abort with file:line through ASC_CHECK. Exceptions are used only at start-up and model
// load and are caught in main.cpp.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace asc {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // malformed input (HTTP 400)
  kNotFound,          // missing file, unknown model (HTTP 404 / 400)
  kOutOfRange,        // prompt longer than the context, offsets past the end of a file
  kResourceExhausted, // KV blocks or queue full (HTTP 503)
  kUnimplemented,     // unsupported tensor type, architecture or template
  kDataLoss,          // corrupt or truncated file
  kUnavailable,       // shutting down, not ready
  kCancelled,         // client went away
  kDeadlineExceeded,  // an objective the request cannot meet (HTTP 429)
  kInternal,
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  /// "CODE_NAME: message", for logs and one-line CLI errors.
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status out_of_range(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status resource_exhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status data_loss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status deadline_exceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

/// A value or the Status saying why there is none. Never holds an ok Status without a value.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.is_ok()) status_ = internal_error("StatusOr constructed from an ok Status");
  }
  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

[[noreturn]] void check_failed(const char* expr, const char* file, int line, const std::string& msg);

}  // namespace asc

/// Aborts with file:line when an invariant is broken. Never for validating input.
#define ASC_CHECK(cond)                                                        \
  do {                                                                         \
    if (!(cond)) ::asc::check_failed(#cond, __FILE__, __LINE__, std::string()); \
  } while (0)
#define ASC_CHECK_MSG(cond, msg)                                         \
  do {                                                                   \
    if (!(cond)) ::asc::check_failed(#cond, __FILE__, __LINE__, (msg)); \
  } while (0)

/// Returns the Status from the enclosing function when it is not ok.
#define ASC_RETURN_IF_ERROR(expr)            \
  do {                                       \
    ::asc::Status asc_status_ = (expr);      \
    if (!asc_status_.is_ok()) return asc_status_; \
  } while (0)
