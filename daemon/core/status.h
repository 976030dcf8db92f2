// Status and Result<T>: how functions of the daemon report failure without exceptions.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace disaggd::core {

/// Broad class of a failure; the message carries the specifics.
enum class StatusCode {
  kOk,
  kInvalidArgument,     ///< Bad input: config, request, option, handle.
  kNotFound,            ///< A named thing (file, plugin, node) does not exist.
  kAlreadyExists,       ///< A name is taken twice.
  kFailedPrecondition,  ///< The system is not in a state that allows the operation.
  kUnavailable,         ///< Nothing can serve it now; retrying later may work.
  kUnsupported,         ///< Not implemented by this build or plugin.
  kTimeout,             ///< A deadline passed.
  kCancelled,           ///< Cancelled by the caller.
  kOutOfMemory,         ///< An allocation failed.
  kInternal,            ///< A bug or an unexpected failure.
};

/// Lower-case name of a code ("invalid_argument"), for logs and error bodies.
std::string_view status_code_name(StatusCode code);

/// The outcome of an operation: OK, or a code with a message meant for the user.
class Status {
 public:
  /// An OK status.
  Status() = default;
  /// A failure; `code` must not be kOk.
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
    assert(code != StatusCode::kOk);
  }

  static Status ok_status() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  /// The same failure with `context + ": "` in front of its message; OK stays OK.
  Status with_context(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

/// Either a value or a failed Status.
template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : state_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(state_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  /// The failure; OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(state_); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace disaggd::core

/// Returns the Status of `expr` from the enclosing function if it is not OK.
#define DISAGGD_RETURN_IF_ERROR(expr)                 \
  do {                                                \
    ::disaggd::core::Status disaggd_status_ = (expr); \
    if (!disaggd_status_.ok()) {                      \
      return disaggd_status_;                         \
    }                                                 \
  } while (false)
