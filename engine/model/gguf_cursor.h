// GgufCursor: a bounds-checked little-endian reader over a byte span (internal to the GGUF reader).
//
// Every read checks the bytes left first and fails with DATA_LOSS naming what was being read and
// the offset, so a truncated or corrupt file can never make the parser read past the end.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "engine/core/status.h"

namespace asc {

static_assert(std::endian::native == std::endian::little, "GGUF reader assumes a little-endian host");

class GgufCursor {
 public:
  explicit GgufCursor(std::span<const uint8_t> bytes, size_t pos = 0) : bytes_(bytes), pos_(pos) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return pos_ <= bytes_.size() ? bytes_.size() - pos_ : 0; }

  /// OK when n more bytes exist at the current position; DATA_LOSS with the offset otherwise.
  Status need(uint64_t n, std::string_view what) const {
    if (n <= remaining()) return Status::ok();
    return data_loss("truncated GGUF: " + std::string(what) + " at offset " + std::to_string(pos_) +
                     " needs " + std::to_string(n) + " bytes, only " + std::to_string(remaining()) +
                     " left (file is " + std::to_string(bytes_.size()) + " bytes)");
  }

  Status skip(uint64_t n, std::string_view what) {
    ASC_RETURN_IF_ERROR(need(n, what));
    pos_ += static_cast<size_t>(n);
    return Status::ok();
  }

  template <typename T>
  Status read(T* out, std::string_view what) {
    static_assert(std::is_trivially_copyable_v<T>);
    ASC_RETURN_IF_ERROR(need(sizeof(T), what));
    std::memcpy(out, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::ok();
  }

  /// A GGUF string: u64 length then that many bytes (not NUL-terminated). The view points into
  /// the bytes. Lengths above max_bytes are rejected as corrupt.
  Status read_string(std::string_view* out, std::string_view what, uint64_t max_bytes) {
    const size_t start = pos_;
    uint64_t len = 0;
    ASC_RETURN_IF_ERROR(read(&len, what));
    if (len > max_bytes) {
      return data_loss("corrupt GGUF: " + std::string(what) + " at offset " + std::to_string(start) +
                       " has length " + std::to_string(len) + " (limit " + std::to_string(max_bytes) +
                       ")");
    }
    ASC_RETURN_IF_ERROR(need(len, what));
    *out = std::string_view(reinterpret_cast<const char*>(bytes_.data() + pos_),
                            static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return Status::ok();
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

}  // namespace asc
