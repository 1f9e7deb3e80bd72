// GGUF parsing: header, metadata, tensor table and data-section placement, all validated up front.
//
// Design note: the parser walks the file once with a bounds-checked cursor. Before any loop or
// allocation driven by a count read from the file, the count is checked against the bytes left
// (each element needs at least a known number of bytes), so a 100-byte file cannot ask for 2^60
// entries. Sizes are computed with overflow-checked multiplication. Metadata values are not copied:
// each key records where its value lives, and the getters (gguf_values.cpp) decode on request.
#include "engine/model/gguf.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "engine/model/gguf_cursor.h"

namespace asc {

namespace {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as little-endian u32
// Minimal encoded sizes, used to reject absurd counts before looping or allocating.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;              // key length, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // name len, n_dims, 1 dim, type, offset
constexpr uint64_t kMaxElements = uint64_t{1} << 50;

// Bytes of a fixed-size value type, 0 for STRING/ARRAY/unknown.
uint64_t scalar_bytes(GgufValueType t) {
  switch (t) {
    case GgufValueType::kU8: case GgufValueType::kI8: case GgufValueType::kBool: return 1;
    case GgufValueType::kU16: case GgufValueType::kI16: return 2;
    case GgufValueType::kU32: case GgufValueType::kI32: case GgufValueType::kF32: return 4;
    case GgufValueType::kU64: case GgufValueType::kI64: case GgufValueType::kF64: return 8;
    default: return 0;
  }
}

bool valid_value_type(uint32_t raw) { return raw <= static_cast<uint32_t>(GgufValueType::kF64); }

Status corrupt(const std::string& msg) { return data_loss("corrupt GGUF: " + msg); }

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('\'');
  out.append(s);
  out.push_back('\'');
  return out;
}

}  // namespace

class GgufFile::Parser {
 public:
  explicit Parser(GgufFile& file) : f_(file), cur_(file.bytes_) {}

  Status run() {
    ASC_RETURN_IF_ERROR(parse_header());
    ASC_RETURN_IF_ERROR(parse_metadata());
    ASC_RETURN_IF_ERROR(read_alignment());
    ASC_RETURN_IF_ERROR(parse_tensor_infos());
    return place_tensors();
  }

 private:
  struct RawTensor {
    TensorView view;
    uint64_t offset = 0;  // relative to the data section
  };

  Status parse_header() {
    uint32_t magic = 0;
    ASC_RETURN_IF_ERROR(cur_.read(&magic, "magic"));
    if (magic != kGgufMagic) {
      return invalid_argument("not a GGUF file: the first 4 bytes are not 'GGUF'");
    }
    ASC_RETURN_IF_ERROR(cur_.read(&f_.version_, "version"));
    const uint32_t v = f_.version_;
    if (v == 1) return unimplemented("GGUF version 1 is not supported (only v2 and v3)");
    if (v == 0x02000000u || v == 0x03000000u) return unimplemented("big-endian GGUF is not supported");
    if (v != 2 && v != 3) {
      return unimplemented("GGUF version " + std::to_string(v) + " is not supported (only v2 and v3)");
    }
    ASC_RETURN_IF_ERROR(cur_.read(&num_tensors_, "tensor count"));
    ASC_RETURN_IF_ERROR(cur_.read(&num_kv_, "metadata count"));
    if (num_kv_ > cur_.remaining() / kMinKvBytes) {
      return corrupt("metadata count " + std::to_string(num_kv_) + " at offset 16 is impossible " +
                     "with " + std::to_string(cur_.remaining()) + " bytes left (truncated?)");
    }
    if (num_tensors_ > cur_.remaining() / kMinTensorInfoBytes) {
      return corrupt("tensor count " + std::to_string(num_tensors_) + " at offset 8 is impossible " +
                     "with " + std::to_string(cur_.remaining()) + " bytes left (truncated?)");
    }
    return Status::ok();
  }

  Status parse_metadata() {
    for (uint64_t i = 0; i < num_kv_; ++i) {
      const size_t at = cur_.pos();
      std::string_view key;
      ASC_RETURN_IF_ERROR(cur_.read_string(&key, "metadata key", kGgufMaxKeyBytes));
      if (key.empty()) return corrupt("empty metadata key at offset " + std::to_string(at));
      if (f_.entries_.count(key) != 0) {
        return corrupt("duplicate metadata key " + quoted(key) + " at offset " + std::to_string(at));
      }
      uint32_t raw_type = 0;
      ASC_RETURN_IF_ERROR(cur_.read(&raw_type, "metadata value type"));
      if (!valid_value_type(raw_type)) {
        return corrupt("metadata key " + quoted(key) + " has unknown value type " +
                       std::to_string(raw_type) + " at offset " + std::to_string(at));
      }
      GgufEntry entry;
      entry.type = static_cast<GgufValueType>(raw_type);
      entry.offset = cur_.pos();
      ASC_RETURN_IF_ERROR(scan_value(entry.type, 0, key, &entry));
      f_.key_order_.emplace_back(key);
      f_.entries_.emplace(std::string(key), entry);
    }
    return Status::ok();
  }

  // Validates and skips one value of type t. For arrays, fills entry's element type and count
  // (top level only; nested arrays pass nullptr).
  Status scan_value(GgufValueType t, size_t depth, std::string_view key, GgufEntry* entry) {
    if (const uint64_t n = scalar_bytes(t); n != 0) return cur_.skip(n, "metadata value");
    if (t == GgufValueType::kString) {
      std::string_view s;
      return cur_.read_string(&s, "metadata string", cur_.remaining());
    }
    const size_t at = cur_.pos();
    uint32_t raw_elem = 0;
    uint64_t count = 0;
    ASC_RETURN_IF_ERROR(cur_.read(&raw_elem, "array element type"));
    ASC_RETURN_IF_ERROR(cur_.read(&count, "array length"));
    if (!valid_value_type(raw_elem)) {
      return corrupt("array " + quoted(key) + " has unknown element type " +
                     std::to_string(raw_elem) + " at offset " + std::to_string(at));
    }
    const auto elem = static_cast<GgufValueType>(raw_elem);
    if (elem == GgufValueType::kArray && depth + 1 >= kGgufMaxNestingDepth) {
      return corrupt("array " + quoted(key) + " nests deeper than " +
                     std::to_string(kGgufMaxNestingDepth) + " levels");
    }
    const uint64_t elem_bytes = scalar_bytes(elem);
    const uint64_t min_bytes = elem_bytes != 0 ? elem_bytes : (elem == GgufValueType::kString ? 8 : 12);
    if (count > cur_.remaining() / min_bytes) {
      return corrupt("array " + quoted(key) + " at offset " + std::to_string(at) + " claims " +
                     std::to_string(count) + " elements with only " +
                     std::to_string(cur_.remaining()) + " bytes left");
    }
    if (entry != nullptr) {
      entry->elem_type = elem;
      entry->count = count;
      entry->offset = cur_.pos();
    }
    if (elem_bytes != 0) return cur_.skip(count * elem_bytes, "array data");
    for (uint64_t i = 0; i < count; ++i) {
      ASC_RETURN_IF_ERROR(scan_value(elem, depth + 1, key, nullptr));
    }
    return Status::ok();
  }

  Status read_alignment() {
    if (!f_.has_key("general.alignment")) return Status::ok();
    StatusOr<int64_t> a = f_.get_int("general.alignment");
    if (!a.is_ok()) return corrupt("general.alignment: " + a.status().message());
    const int64_t v = *a;
    if (v <= 0 || v > (int64_t{1} << 30) || (v & (v - 1)) != 0) {
      return corrupt("general.alignment " + std::to_string(v) + " is not a power of two in [1, 2^30]");
    }
    f_.alignment_ = static_cast<uint32_t>(v);
    return Status::ok();
  }

  Status parse_tensor_infos() {
    if (num_tensors_ > cur_.remaining() / kMinTensorInfoBytes) {
      return corrupt("tensor count " + std::to_string(num_tensors_) + " is impossible with " +
                     std::to_string(cur_.remaining()) + " bytes left for tensor infos at offset " +
                     std::to_string(cur_.pos()) + " (truncated?)");
    }
    raw_.reserve(static_cast<size_t>(num_tensors_));
    for (uint64_t i = 0; i < num_tensors_; ++i) {
      RawTensor t;
      ASC_RETURN_IF_ERROR(parse_tensor_info(&t));
      if (f_.tensor_index_.count(t.view.name) != 0) {
        return corrupt("duplicate tensor name " + quoted(t.view.name));
      }
      f_.tensor_index_.emplace(t.view.name, raw_.size());
      raw_.push_back(std::move(t));
    }
    return Status::ok();
  }

  Status parse_tensor_info(RawTensor* t) {
    const size_t at = cur_.pos();
    std::string_view name;
    ASC_RETURN_IF_ERROR(cur_.read_string(&name, "tensor name", kGgufMaxKeyBytes));
    if (name.empty()) return corrupt("empty tensor name at offset " + std::to_string(at));
    t->view.name = std::string(name);
    uint32_t n_dims = 0;
    ASC_RETURN_IF_ERROR(cur_.read(&n_dims, "tensor dimension count"));
    if (n_dims == 0 || n_dims > kGgufMaxDims) {
      return corrupt("tensor " + quoted(name) + " has " + std::to_string(n_dims) +
                     " dimensions (must be 1 to 4)");
    }
    t->view.num_dims = static_cast<int32_t>(n_dims);
    uint64_t elems = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t dim = 0;
      ASC_RETURN_IF_ERROR(cur_.read(&dim, "tensor dimension"));
      if (dim == 0 || __builtin_mul_overflow(elems, dim, &elems) || elems > kMaxElements) {
        return corrupt("tensor " + quoted(name) + " dimension " + std::to_string(d) + " = " +
                       std::to_string(dim) + " is zero or makes the tensor absurdly large");
      }
      t->view.shape[d] = static_cast<int64_t>(dim);
    }
    uint32_t raw_type = 0;
    ASC_RETURN_IF_ERROR(cur_.read(&raw_type, "tensor type"));
    ASC_RETURN_IF_ERROR(cur_.read(&t->offset, "tensor offset"));
    const DTypeTraits* traits = dtype_traits(raw_type);
    if (traits == nullptr) {
      return unimplemented("tensor " + quoted(name) + " has unsupported type " +
                           std::to_string(raw_type) + " (" + ggml_type_name(raw_type) + ")");
    }
    t->view.type = static_cast<DType>(raw_type);
    if (t->view.shape[0] % traits->block_elems != 0) {
      return corrupt("tensor " + quoted(name) + " rows of " + std::to_string(t->view.shape[0]) +
                     " elements are not a multiple of the " + traits->name + " block of " +
                     std::to_string(traits->block_elems));
    }
    // elems <= 2^50 and block_bytes <= 256, so this cannot overflow.
    t->view.size_bytes = static_cast<size_t>(elems / static_cast<uint64_t>(traits->block_elems) *
                                             static_cast<uint64_t>(traits->block_bytes));
    return Status::ok();
  }

  Status place_tensors() {
    const uint64_t align = f_.alignment_;
    const uint64_t pos = cur_.pos();
    const uint64_t data_offset = (pos + align - 1) / align * align;  // pos < 2^63, align <= 2^30
    const uint64_t file_size = f_.bytes_.size();
    f_.data_offset_ = static_cast<size_t>(std::min(data_offset, file_size));
    if (raw_.empty()) return Status::ok();
    if (data_offset > file_size) {
      return data_loss("truncated GGUF: data section would start at offset " +
                       std::to_string(data_offset) + " past the end of the file (" +
                       std::to_string(file_size) + " bytes)");
    }
    const uint64_t data_size = file_size - data_offset;
    for (const RawTensor& t : raw_) {
      if (t.offset % align != 0) {
        return corrupt("tensor " + quoted(t.view.name) + " data offset " + std::to_string(t.offset) +
                       " is not a multiple of the alignment " + std::to_string(align));
      }
      if (t.offset > data_size || t.view.size_bytes > data_size - t.offset) {
        return data_loss("truncated GGUF: tensor " + quoted(t.view.name) + " data at offset " +
                         std::to_string(data_offset + t.offset) + " needs bytes [" +
                         std::to_string(data_offset + t.offset) + ", " +
                         std::to_string(data_offset + t.offset + t.view.size_bytes) +
                         ") but the file has " + std::to_string(file_size) + " bytes");
      }
    }
    ASC_RETURN_IF_ERROR(check_overlaps());
    f_.data_offset_ = static_cast<size_t>(data_offset);
    f_.tensors_.reserve(raw_.size());
    for (RawTensor& t : raw_) {
      t.view.data = f_.bytes_.data() + data_offset + t.offset;
      f_.tensors_.push_back(std::move(t.view));
    }
    return Status::ok();
  }

  Status check_overlaps() const {
    std::vector<size_t> order(raw_.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return raw_[a].offset < raw_[b].offset; });
    for (size_t i = 1; i < order.size(); ++i) {
      const RawTensor& prev = raw_[order[i - 1]];
      const RawTensor& next = raw_[order[i]];
      if (prev.offset + prev.view.size_bytes > next.offset) {
        return corrupt("tensors " + quoted(prev.view.name) + " and " + quoted(next.view.name) +
                       " overlap in the data section");
      }
    }
    return Status::ok();
  }

  GgufFile& f_;
  GgufCursor cur_;
  uint64_t num_tensors_ = 0;
  uint64_t num_kv_ = 0;
  std::vector<RawTensor> raw_;
};

GgufFile::~GgufFile() = default;

StatusOr<std::unique_ptr<GgufFile>> GgufFile::parse(std::span<const uint8_t> bytes) {
  auto file = std::make_unique<GgufFile>(PrivateTag{});
  file->bytes_ = bytes;
  Parser parser(*file);
  ASC_RETURN_IF_ERROR(parser.run());
  return file;
}

StatusOr<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path) {
  StatusOr<MappedFile> mapped = MappedFile::open(path);
  if (!mapped.is_ok()) return mapped.status();
  auto file = std::make_unique<GgufFile>(PrivateTag{});
  file->file_ = std::move(mapped).value();
  file->bytes_ = file->file_.bytes();
  Parser parser(*file);
  if (Status s = parser.run(); !s.is_ok()) {
    return Status(s.code(), path + ": " + s.message());
  }
  return file;
}

const TensorView* GgufFile::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace asc
