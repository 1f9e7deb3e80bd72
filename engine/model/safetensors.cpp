// Safetensors parsing: header length, JSON header, per-tensor validation, overlap check.
//
// Design note: the JSON is parsed with nlohmann in non-throwing mode. Every offset pair is checked
// (begin <= end <= data size, end - begin == elements * element size) with overflow-checked
// arithmetic, and tensors sorted by offset must not overlap.
#include "engine/model/safetensors.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include <nlohmann/json.hpp>

namespace asc {

namespace {

using nlohmann::json;

constexpr uint64_t kMaxElements = uint64_t{1} << 50;

Status tensor_error(StatusCode code, const std::string& name, const std::string& what) {
  return Status(code, "safetensors tensor '" + name + "' " + what);
}

// Reads the row-major shape, rejecting negative, non-integer, >4-D and absurd shapes.
Status read_shape(const std::string& name, const json& shape, TensorView* t, uint64_t* elems) {
  if (!shape.is_array()) return tensor_error(StatusCode::kDataLoss, name, "has no shape array");
  if (shape.size() > 4) {
    return tensor_error(StatusCode::kUnimplemented, name,
                        "has " + std::to_string(shape.size()) + " dimensions (max 4)");
  }
  const size_t n = shape.size();
  *elems = 1;
  for (size_t i = 0; i < n; ++i) {
    const json& d = shape[i];
    if (!d.is_number_unsigned() && !(d.is_number_integer() && d.get<int64_t>() >= 0)) {
      return tensor_error(StatusCode::kDataLoss, name, "has a non-integer or negative dimension");
    }
    const uint64_t v = d.get<uint64_t>();
    if (v == 0) return tensor_error(StatusCode::kUnimplemented, name, "has a zero dimension");
    if (__builtin_mul_overflow(*elems, v, elems) || *elems > kMaxElements) {
      return tensor_error(StatusCode::kDataLoss, name, "is absurdly large");
    }
    t->shape[n - 1 - i] = static_cast<int64_t>(v);  // row-major -> GGUF order (innermost first)
  }
  t->num_dims = static_cast<int32_t>(n);
  return Status::ok();
}

}  // namespace

StatusOr<DType> safetensors_dtype(std::string_view name) {
  if (name == "F32") return DType::kF32;
  if (name == "F16") return DType::kF16;
  if (name == "BF16") return DType::kBF16;
  return unimplemented("safetensors dtype " + std::string(name) +
                       " is not supported (F32, F16, BF16 only)");
}

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::parse(std::span<const uint8_t> bytes) {
  auto file = std::make_unique<SafetensorsFile>(PrivateTag{});
  file->bytes_ = bytes;
  ASC_RETURN_IF_ERROR(file->parse_bytes());
  return file;
}

StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path) {
  StatusOr<MappedFile> mapped = MappedFile::open(path);
  if (!mapped.is_ok()) return mapped.status();
  auto file = std::make_unique<SafetensorsFile>(PrivateTag{});
  file->file_ = std::move(mapped).value();
  file->bytes_ = file->file_.bytes();
  if (Status s = file->parse_bytes(); !s.is_ok()) return Status(s.code(), path + ": " + s.message());
  return file;
}

Status SafetensorsFile::parse_bytes() {
  uint64_t header_len = 0;
  if (bytes_.size() < sizeof(header_len)) {
    return data_loss("truncated safetensors: " + std::to_string(bytes_.size()) +
                     " bytes, the header length alone needs 8 at offset 0");
  }
  std::memcpy(&header_len, bytes_.data(), sizeof(header_len));
  if (header_len > kSafetensorsMaxHeaderBytes || header_len > bytes_.size() - 8) {
    return data_loss("truncated or corrupt safetensors: header of " + std::to_string(header_len) +
                     " bytes at offset 8 does not fit in the file of " +
                     std::to_string(bytes_.size()) + " bytes");
  }
  const auto* begin = reinterpret_cast<const char*>(bytes_.data() + 8);
  json header = json::parse(begin, begin + header_len, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    return data_loss("corrupt safetensors: the header is not a JSON object");
  }
  const size_t data_start = 8 + static_cast<size_t>(header_len);
  const uint64_t data_bytes = bytes_.size() - data_start;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) continue;
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (m->is_string()) metadata_[m.key()] = m->get<std::string>();
      }
      continue;
    }
    ASC_RETURN_IF_ERROR(add_tensor(it.key(), it.value(), data_bytes, data_start));
  }
  // nlohmann objects iterate in key order, so tensors_ is sorted by name.
  std::vector<size_t> order(tensors_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return tensors_[a].data < tensors_[b].data; });
  for (size_t i = 1; i < order.size(); ++i) {
    const TensorView& prev = tensors_[order[i - 1]];
    const TensorView& next = tensors_[order[i]];
    if (prev.data + prev.size_bytes > next.data) {
      return data_loss("corrupt safetensors: tensors '" + prev.name + "' and '" + next.name +
                       "' overlap");
    }
  }
  for (size_t i = 0; i < tensors_.size(); ++i) index_.emplace(tensors_[i].name, i);
  return Status::ok();
}

Status SafetensorsFile::add_tensor(const std::string& name, const json& e, uint64_t data_bytes,
                                   size_t data_start) {
  if (!e.is_object()) return tensor_error(StatusCode::kDataLoss, name, "is not a JSON object");
  auto dt = e.find("dtype");
  if (dt == e.end() || !dt->is_string()) return tensor_error(StatusCode::kDataLoss, name, "has no dtype");
  StatusOr<DType> dtype = safetensors_dtype(dt->get<std::string>());
  if (!dtype.is_ok()) return tensor_error(StatusCode::kUnimplemented, name, dtype.status().message());
  TensorView t;
  t.name = name;
  t.type = *dtype;
  uint64_t elems = 0;
  auto shape = e.find("shape");
  if (shape == e.end()) return tensor_error(StatusCode::kDataLoss, name, "has no shape");
  ASC_RETURN_IF_ERROR(read_shape(name, *shape, &t, &elems));
  auto offs = e.find("data_offsets");
  if (offs == e.end() || !offs->is_array() || offs->size() != 2 || !(*offs)[0].is_number_unsigned() ||
      !(*offs)[1].is_number_unsigned()) {
    return tensor_error(StatusCode::kDataLoss, name, "has no valid data_offsets [begin, end]");
  }
  const uint64_t b = (*offs)[0].get<uint64_t>();
  const uint64_t end = (*offs)[1].get<uint64_t>();
  const uint64_t want = elems * static_cast<uint64_t>(dtype_traits(static_cast<uint32_t>(t.type))->block_bytes);
  if (b > end || end > data_bytes) {
    return tensor_error(StatusCode::kDataLoss, name,
                        "data [" + std::to_string(b) + ", " + std::to_string(end) +
                            ") lies outside the data section of " + std::to_string(data_bytes) +
                            " bytes at offset " + std::to_string(data_start) + " (truncated?)");
  }
  if (end - b != want) {
    return tensor_error(StatusCode::kDataLoss, name,
                        "has " + std::to_string(end - b) + " data bytes, its shape needs " +
                            std::to_string(want));
  }
  t.data = bytes_.data() + data_start + b;
  t.size_bytes = static_cast<size_t>(want);
  tensors_.push_back(std::move(t));
  return Status::ok();
}

const TensorView* SafetensorsFile::find_tensor(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace asc
