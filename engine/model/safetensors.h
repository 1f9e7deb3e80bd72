// SafetensorsFile: a validating reader of one .safetensors file (Hugging Face format).
//
// Layout: u64 little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [out, in], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"k": "v"}}
// then the data section; offsets are relative to its start. Shapes are row-major (numpy order);
// TensorViews use GGUF order, so dims are reversed: HF [out, in] becomes shape {in, out}.
// Supported dtypes: F32, F16, BF16. Everything is bounds-checked at open; tensors are views into
// the mapping (no copy).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "engine/core/status.h"
#include "engine/model/mmap_file.h"
#include "engine/model/tensor.h"

namespace asc {

/// Upper bound on the JSON header (the reference implementation uses 100 MB as well).
inline constexpr uint64_t kSafetensorsMaxHeaderBytes = uint64_t{100} << 20;

class SafetensorsFile {
 public:
  /// Maps and validates a file. NOT_FOUND with the path when missing, DATA_LOSS (naming the
  /// tensor or offset) when truncated or inconsistent, UNIMPLEMENTED for an unsupported dtype or
  /// more than 4 dimensions.
  static StatusOr<std::unique_ptr<SafetensorsFile>> open(const std::string& path);
  /// Same, over bytes the caller keeps alive.
  static StatusOr<std::unique_ptr<SafetensorsFile>> parse(std::span<const uint8_t> bytes);

  /// Use open() or parse(); the tag keeps construction inside the class.
  struct PrivateTag {
    explicit PrivateTag() = default;
  };
  explicit SafetensorsFile(PrivateTag) {}
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  /// Tensors sorted by name; data points into bytes().
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const TensorView* find_tensor(std::string_view name) const;
  /// The string entries of "__metadata__" (non-string values are skipped).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  std::span<const uint8_t> bytes() const { return bytes_; }
  const std::string& path() const { return file_.path(); }

 private:
  Status parse_bytes();
  Status add_tensor(const std::string& name, const nlohmann::json& entry, uint64_t data_bytes,
                    size_t data_start);

  MappedFile file_;
  std::span<const uint8_t> bytes_;
  std::vector<TensorView> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
};

/// "F32" -> kF32, "F16" -> kF16, "BF16" -> kBF16; UNIMPLEMENTED naming other dtypes.
StatusOr<DType> safetensors_dtype(std::string_view name);

}  // namespace asc
