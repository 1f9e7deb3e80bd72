// GgufFile: a validating reader of GGUF v2/v3 model files (little-endian).
//
// Layout: magic "GGUF", u32 version, u64 tensor count, u64 metadata count, metadata key/values,
// tensor infos (name, n_dims, dims, type, offset), padding to `general.alignment` (default 32), then
// the data section. open()/parse() validate everything up front -- every count, length, offset and
// size is bounds-checked against the file with overflow-safe arithmetic, counts are checked against
// the bytes left before anything is allocated -- so the accessors afterwards cannot read out of range.
// Metadata values are recorded as offsets into the bytes and decoded on request; tensors are
// TensorViews pointing into the bytes (no copy).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "engine/model/mmap_file.h"
#include "engine/model/tensor.h"

namespace asc {

/// Metadata value types; numeric values are GGUF's.
enum class GgufValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

/// "U8", "STRING", ...; "UNKNOWN" outside the enum.
const char* gguf_value_type_name(GgufValueType type);
/// ggml's name for a raw tensor type ("Q4_1", "IQ2_XXS", ...), "UNKNOWN" when it has none.
/// Used to name unsupported types in errors.
const char* ggml_type_name(uint32_t raw_type);

/// Limits that reject absurd files early (all far above any real model).
inline constexpr uint32_t kGgufMaxDims = 4;
inline constexpr size_t kGgufMaxKeyBytes = 65535;
inline constexpr size_t kGgufMaxNestingDepth = 8;
inline constexpr uint32_t kGgufDefaultAlignment = 32;

/// Where one metadata value lives in the file.
struct GgufEntry {
  GgufValueType type = GgufValueType::kU8;
  size_t offset = 0;                              // first byte of the value (after the type tag)
  GgufValueType elem_type = GgufValueType::kU8;   // arrays only
  uint64_t count = 0;                             // arrays only: number of elements
};

class GgufFile {
 public:
  /// Opens and validates the whole header, metadata and tensor table; every offset bounds-checked.
  /// NOT_FOUND when the file is missing, DATA_LOSS (with the offset) when truncated or corrupt,
  /// UNIMPLEMENTED for an unsupported version or tensor type.
  static StatusOr<std::unique_ptr<GgufFile>> open(const std::string& path);
  /// Same, over bytes the caller keeps alive (used by tests and the fuzz target).
  static StatusOr<std::unique_ptr<GgufFile>> parse(std::span<const uint8_t> bytes);

  /// Use open() or parse(); the tag keeps construction inside the class.
  struct PrivateTag {
    explicit PrivateTag() = default;
  };
  explicit GgufFile(PrivateTag) {}
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;
  ~GgufFile();

  uint32_t version() const { return version_; }
  /// Data section alignment (general.alignment or 32).
  uint32_t alignment() const { return alignment_; }
  /// Offset of the data section from the start of the file.
  size_t data_offset() const { return data_offset_; }
  /// The whole file.
  std::span<const uint8_t> bytes() const { return bytes_; }
  /// The path given to open(), empty after parse().
  const std::string& path() const { return file_.path(); }

  bool has_key(std::string_view key) const;
  /// Metadata keys in file order.
  std::vector<std::string> keys() const;
  /// The entry of a key: NOT_FOUND when absent.
  StatusOr<GgufEntry> entry(std::string_view key) const;

  /// A STRING value. INVALID_ARGUMENT on a type mismatch, NOT_FOUND when absent (for every getter).
  StatusOr<std::string> get_string(std::string_view key) const;
  /// Any integer type; OUT_OF_RANGE for a U64 above INT64_MAX.
  StatusOr<int64_t> get_int(std::string_view key) const;
  /// F32/F64 or any integer type.
  StatusOr<double> get_float(std::string_view key) const;
  StatusOr<bool> get_bool(std::string_view key) const;
  /// An array of STRING.
  StatusOr<std::vector<std::string>> get_string_array(std::string_view key) const;
  /// An array of F32/F64 or integers, converted to float.
  StatusOr<std::vector<float>> get_float_array(std::string_view key) const;
  /// An array of any integer type; OUT_OF_RANGE when an element does not fit int32.
  StatusOr<std::vector<int32_t>> get_int_array(std::string_view key) const;

  /// Tensors in file order; data points into bytes().
  const std::vector<TensorView>& tensors() const { return tensors_; }
  /// The tensor of that name, or nullptr.
  const TensorView* find_tensor(std::string_view name) const;

 private:
  class Parser;
  friend class Parser;

  StatusOr<GgufEntry> typed_entry(std::string_view key, std::initializer_list<GgufValueType> ok,
                                  const char* expected) const;
  StatusOr<GgufEntry> array_entry(std::string_view key) const;

  MappedFile file_;                 // empty after parse()
  std::span<const uint8_t> bytes_;  // the file (or the caller's bytes)
  uint32_t version_ = 0;
  uint32_t alignment_ = kGgufDefaultAlignment;
  size_t data_offset_ = 0;
  std::vector<std::string> key_order_;
  std::map<std::string, GgufEntry, std::less<>> entries_;
  std::vector<TensorView> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

}  // namespace asc
