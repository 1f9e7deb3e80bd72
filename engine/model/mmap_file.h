// MappedFile: an RAII, read-only memory mapping of a whole file.
//
// Model weights stay in the page cache and are shared by every instance of the process (one copy);
// nothing is copied or dequantized at load. The mapping is private and read-only, so a file changed
// on disk after opening cannot corrupt a running engine's view through writes of our own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "engine/core/status.h"

namespace asc {

class MappedFile {
 public:
  /// Maps the whole file read-only. NOT_FOUND (with the path) when it does not exist,
  /// INVALID_ARGUMENT when it is a directory or not a regular file, INTERNAL on other OS errors.
  /// An empty file maps to an empty span (no OS mapping).
  static StatusOr<MappedFile> open(const std::string& path);

  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  /// Bytes of the file; valid while this object lives.
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(const uint8_t* data, size_t size, std::string path)
      : data_(data), size_(size), path_(std::move(path)) {}
  void reset();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

}  // namespace asc
