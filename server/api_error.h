// ApiError: the one place where failures become HTTP responses with an OpenAI-style error object.
//
//   {"error": {"message": "...", "type": "invalid_request_error", "param": "max_tokens",
//              "code": "invalid_value"}}
//
// Request parsing and validation return ApiError values; Status values from the engine are mapped
// here (STYLE rule 2: one place that maps to HTTP errors).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "engine/core/status.h"

namespace asc::server {

struct ApiError {
  int http_status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // empty -> null
  std::string code;   // empty -> null
};

/// 400 invalid_request_error about one request field.
ApiError bad_request(std::string message, std::string param = {},
                     std::string code = "invalid_value");

/// The error object body: {"error": {message, type, param, code}}.
nlohmann::json error_body(const ApiError& error);

/// Maps an engine Status to an HTTP error: ResourceExhausted -> 503, Unavailable -> 503,
/// InvalidArgument/OutOfRange -> 400, NotFound -> 404, everything else -> 500.
ApiError api_error_from_status(const Status& status);

}  // namespace asc::server
