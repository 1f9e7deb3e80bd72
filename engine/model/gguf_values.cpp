// GgufFile metadata getters and type names.
//
// The parser has already validated every value's extent, so the decoders here read inside the
// bytes; they still go through GgufCursor so a logic error surfaces as a Status, not a wild read.
#include <cmath>
#include <limits>

#include "engine/model/gguf.h"
#include "engine/model/gguf_cursor.h"

namespace asc {

namespace {

bool is_integer(GgufValueType t) {
  switch (t) {
    case GgufValueType::kU8: case GgufValueType::kI8: case GgufValueType::kU16:
    case GgufValueType::kI16: case GgufValueType::kU32: case GgufValueType::kI32:
    case GgufValueType::kU64: case GgufValueType::kI64: return true;
    default: return false;
  }
}

template <typename T>
Status read_as(GgufCursor& cur, T* out) {
  return cur.read(out, "metadata value");
}

template <typename T>
Status read_widened(GgufCursor& cur, int64_t* out) {
  T v{};
  ASC_RETURN_IF_ERROR(read_as(cur, &v));
  *out = static_cast<int64_t>(v);
  return Status::ok();
}

// Reads one integer of type t at the cursor. A U64 above INT64_MAX is OUT_OF_RANGE.
Status read_int(GgufCursor& cur, GgufValueType t, int64_t* out) {
  switch (t) {
    case GgufValueType::kU8: return read_widened<uint8_t>(cur, out);
    case GgufValueType::kI8: return read_widened<int8_t>(cur, out);
    case GgufValueType::kU16: return read_widened<uint16_t>(cur, out);
    case GgufValueType::kI16: return read_widened<int16_t>(cur, out);
    case GgufValueType::kU32: return read_widened<uint32_t>(cur, out);
    case GgufValueType::kI32: return read_widened<int32_t>(cur, out);
    case GgufValueType::kI64: return read_widened<int64_t>(cur, out);
    case GgufValueType::kU64: {
      uint64_t v = 0;
      ASC_RETURN_IF_ERROR(read_as(cur, &v));
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return out_of_range("U64 value " + std::to_string(v) + " does not fit int64");
      }
      *out = static_cast<int64_t>(v);
      return Status::ok();
    }
    default: return internal_error("read_int on a non-integer type");
  }
}

// Reads one number (float or integer) of type t at the cursor.
Status read_number(GgufCursor& cur, GgufValueType t, double* out) {
  if (t == GgufValueType::kF32) {
    float v = 0;
    ASC_RETURN_IF_ERROR(read_as(cur, &v));
    *out = v;
    return Status::ok();
  }
  if (t == GgufValueType::kF64) return read_as(cur, out);
  int64_t i = 0;
  if (t == GgufValueType::kU64) {  // full u64 range is representable (approximately) as double
    uint64_t v = 0;
    ASC_RETURN_IF_ERROR(read_as(cur, &v));
    *out = static_cast<double>(v);
    return Status::ok();
  }
  ASC_RETURN_IF_ERROR(read_int(cur, t, &i));
  *out = static_cast<double>(i);
  return Status::ok();
}

Status with_key(const Status& s, std::string_view key) {
  return Status(s.code(), "metadata key '" + std::string(key) + "': " + s.message());
}

}  // namespace

const char* gguf_value_type_name(GgufValueType type) {
  static constexpr const char* kNames[] = {"U8",   "I8",     "U16",   "I16", "U32", "I32", "F32",
                                           "BOOL", "STRING", "ARRAY", "U64", "I64", "F64"};
  const auto i = static_cast<uint32_t>(type);
  return i < std::size(kNames) ? kNames[i] : "UNKNOWN";
}

const char* ggml_type_name(uint32_t raw_type) {
  // ggml_type values; gaps are types removed from ggml.
  static constexpr const char* kNames[] = {
      "F32",     "F16",     "Q4_0",    "Q4_1",  "Q4_2",   "Q4_3",   "Q5_0",    "Q5_1",
      "Q8_0",    "Q8_1",    "Q2_K",    "Q3_K",  "Q4_K",   "Q5_K",   "Q6_K",    "Q8_K",
      "IQ2_XXS", "IQ2_XS",  "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S",  "IQ2_S",   "IQ4_XS",
      "I8",      "I16",     "I32",     "I64",   "F64",    "IQ1_M",  "BF16",    "Q4_0_4_4",
      "Q4_0_4_8", "Q4_0_8_8", "TQ1_0", "TQ2_0", "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4"};
  return raw_type < std::size(kNames) ? kNames[raw_type] : "UNKNOWN";
}

bool GgufFile::has_key(std::string_view key) const { return entries_.count(key) != 0; }

std::vector<std::string> GgufFile::keys() const { return key_order_; }

StatusOr<GgufEntry> GgufFile::entry(std::string_view key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return not_found("metadata key '" + std::string(key) + "' is absent");
  return it->second;
}

StatusOr<GgufEntry> GgufFile::typed_entry(std::string_view key,
                                          std::initializer_list<GgufValueType> ok,
                                          const char* expected) const {
  StatusOr<GgufEntry> e = entry(key);
  if (!e.is_ok()) return e.status();
  for (GgufValueType t : ok) {
    if (e->type == t) return e;
  }
  return invalid_argument("metadata key '" + std::string(key) + "' has type " +
                          gguf_value_type_name(e->type) + ", expected " + expected);
}

StatusOr<GgufEntry> GgufFile::array_entry(std::string_view key) const {
  return typed_entry(key, {GgufValueType::kArray}, "ARRAY");
}

StatusOr<std::string> GgufFile::get_string(std::string_view key) const {
  StatusOr<GgufEntry> e = typed_entry(key, {GgufValueType::kString}, "STRING");
  if (!e.is_ok()) return e.status();
  GgufCursor cur(bytes_, e->offset);
  std::string_view s;
  ASC_RETURN_IF_ERROR(cur.read_string(&s, "metadata string", cur.remaining()));
  return std::string(s);
}

StatusOr<int64_t> GgufFile::get_int(std::string_view key) const {
  StatusOr<GgufEntry> e = entry(key);
  if (!e.is_ok()) return e.status();
  if (!is_integer(e->type)) {
    return invalid_argument("metadata key '" + std::string(key) + "' has type " +
                            gguf_value_type_name(e->type) + ", expected an integer");
  }
  GgufCursor cur(bytes_, e->offset);
  int64_t v = 0;
  if (Status s = read_int(cur, e->type, &v); !s.is_ok()) return with_key(s, key);
  return v;
}

StatusOr<double> GgufFile::get_float(std::string_view key) const {
  StatusOr<GgufEntry> e = entry(key);
  if (!e.is_ok()) return e.status();
  if (!is_integer(e->type) && e->type != GgufValueType::kF32 && e->type != GgufValueType::kF64) {
    return invalid_argument("metadata key '" + std::string(key) + "' has type " +
                            gguf_value_type_name(e->type) + ", expected a number");
  }
  GgufCursor cur(bytes_, e->offset);
  double v = 0;
  if (Status s = read_number(cur, e->type, &v); !s.is_ok()) return with_key(s, key);
  return v;
}

StatusOr<bool> GgufFile::get_bool(std::string_view key) const {
  StatusOr<GgufEntry> e = typed_entry(key, {GgufValueType::kBool}, "BOOL");
  if (!e.is_ok()) return e.status();
  return bytes_[e->offset] != 0;
}

StatusOr<std::vector<std::string>> GgufFile::get_string_array(std::string_view key) const {
  StatusOr<GgufEntry> e = array_entry(key);
  if (!e.is_ok()) return e.status();
  if (e->elem_type != GgufValueType::kString) {
    return invalid_argument("metadata key '" + std::string(key) + "' is an array of " +
                            gguf_value_type_name(e->elem_type) + ", expected STRING");
  }
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(e->count));  // count was checked against the file size
  GgufCursor cur(bytes_, e->offset);
  for (uint64_t i = 0; i < e->count; ++i) {
    std::string_view s;
    ASC_RETURN_IF_ERROR(cur.read_string(&s, "metadata string", cur.remaining()));
    out.emplace_back(s);
  }
  return out;
}

StatusOr<std::vector<float>> GgufFile::get_float_array(std::string_view key) const {
  StatusOr<GgufEntry> e = array_entry(key);
  if (!e.is_ok()) return e.status();
  const GgufValueType t = e->elem_type;
  if (!is_integer(t) && t != GgufValueType::kF32 && t != GgufValueType::kF64) {
    return invalid_argument("metadata key '" + std::string(key) + "' is an array of " +
                            gguf_value_type_name(t) + ", expected numbers");
  }
  std::vector<float> out(static_cast<size_t>(e->count));
  GgufCursor cur(bytes_, e->offset);
  for (float& x : out) {
    double v = 0;
    if (Status s = read_number(cur, t, &v); !s.is_ok()) return with_key(s, key);
    x = static_cast<float>(v);
  }
  return out;
}

StatusOr<std::vector<int32_t>> GgufFile::get_int_array(std::string_view key) const {
  StatusOr<GgufEntry> e = array_entry(key);
  if (!e.is_ok()) return e.status();
  if (!is_integer(e->elem_type)) {
    return invalid_argument("metadata key '" + std::string(key) + "' is an array of " +
                            gguf_value_type_name(e->elem_type) + ", expected integers");
  }
  std::vector<int32_t> out(static_cast<size_t>(e->count));
  GgufCursor cur(bytes_, e->offset);
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t v = 0;
    if (Status s = read_int(cur, e->elem_type, &v); !s.is_ok()) return with_key(s, key);
    if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
      return out_of_range("metadata key '" + std::string(key) + "' element " + std::to_string(i) +
                          " = " + std::to_string(v) + " does not fit int32");
    }
    out[i] = static_cast<int32_t>(v);
  }
  return out;
}

}  // namespace asc
