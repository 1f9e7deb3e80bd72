// GgufBuilder: writes GGUF v2/v3 byte buffers for tests, independently of the reader under test.
//
// Records the offset of every section boundary so corruption tests can truncate or patch there.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace asc::testing {

class GgufBuilder {
 public:
  explicit GgufBuilder(uint32_t version = 3) : version_(version) {}

  // Metadata. `type` is the GGUF value type number; bytes are the encoded value.
  void add_raw(std::string_view key, uint32_t type, const std::vector<uint8_t>& value) {
    ByteWriter w;
    w.str(key);
    w.pod(type);
    w.bytes(value);
    kvs_.push_back(std::move(w.out));
  }
  template <typename T>
  void add(std::string_view key, uint32_t type, T v) {
    add_raw(key, type, encode(v));
  }
  void add_string(std::string_view key, std::string_view s) { add_raw(key, 8, encode_str(s)); }
  template <typename T>
  void add_array(std::string_view key, uint32_t elem_type, const std::vector<T>& v) {
    ByteWriter w;
    w.pod(elem_type);
    w.pod(static_cast<uint64_t>(v.size()));
    for (const T& x : v) w.pod(x);
    add_raw(key, 9, w.out);
  }
  void add_string_array(std::string_view key, const std::vector<std::string>& v) {
    ByteWriter w;
    w.pod(uint32_t{8});
    w.pod(static_cast<uint64_t>(v.size()));
    for (const std::string& s : v) w.str(s);
    add_raw(key, 9, w.out);
  }

  /// A tensor with dims in GGUF order and raw data; the offset is assigned at build() unless given.
  void add_tensor(std::string_view name, uint32_t type, std::vector<uint64_t> dims,
                  std::vector<uint8_t> data, int64_t offset = -1) {
    tensors_.push_back({std::string(name), type, std::move(dims), std::move(data), offset});
  }

  /// Section boundaries of the last build().
  struct Layout {
    size_t header_end = 0;                // after magic, version, counts
    std::vector<size_t> kv_starts;        // start of each key/value
    size_t tensor_infos_start = 0;
    std::vector<size_t> tensor_info_starts;
    size_t data_start = 0;
    std::vector<size_t> tensor_data_starts;  // absolute
  };

  std::vector<uint8_t> build(uint32_t alignment = 32) {
    layout_ = Layout{};
    ByteWriter w;
    w.pod(uint32_t{0x46554747});
    w.pod(version_);
    w.pod(static_cast<uint64_t>(tensors_.size()));
    w.pod(static_cast<uint64_t>(kvs_.size()));
    layout_.header_end = w.out.size();
    for (const auto& kv : kvs_) {
      layout_.kv_starts.push_back(w.out.size());
      w.bytes(kv);
    }
    layout_.tensor_infos_start = w.out.size();
    std::vector<uint64_t> offsets;
    uint64_t next = 0;
    for (const auto& t : tensors_) {
      uint64_t off = t.offset >= 0 ? static_cast<uint64_t>(t.offset) : next;
      offsets.push_back(off);
      next = std::max(next, (off + t.data.size() + alignment - 1) / alignment * alignment);
      layout_.tensor_info_starts.push_back(w.out.size());
      w.str(t.name);
      w.pod(static_cast<uint32_t>(t.dims.size()));
      for (uint64_t d : t.dims) w.pod(d);
      w.pod(t.type);
      w.pod(off);
    }
    while (w.out.size() % alignment != 0) w.out.push_back(0);
    layout_.data_start = w.out.size();
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const size_t at = layout_.data_start + offsets[i];
      if (w.out.size() < at + tensors_[i].data.size()) w.out.resize(at + tensors_[i].data.size(), 0);
      std::memcpy(w.out.data() + at, tensors_[i].data.data(), tensors_[i].data.size());
      layout_.tensor_data_starts.push_back(at);
    }
    return w.out;
  }

  const Layout& layout() const { return layout_; }

  template <typename T>
  static std::vector<uint8_t> encode(T v) {
    std::vector<uint8_t> out(sizeof(T));
    std::memcpy(out.data(), &v, sizeof(T));
    return out;
  }
  static std::vector<uint8_t> encode_str(std::string_view s) {
    ByteWriter w;
    w.str(s);
    return w.out;
  }

 private:
  struct ByteWriter {
    std::vector<uint8_t> out;
    template <typename T>
    void pod(T v) {
      const auto* p = reinterpret_cast<const uint8_t*>(&v);
      out.insert(out.end(), p, p + sizeof(T));
    }
    void str(std::string_view s) {
      pod(static_cast<uint64_t>(s.size()));
      out.insert(out.end(), s.begin(), s.end());
    }
    void bytes(const std::vector<uint8_t>& b) { out.insert(out.end(), b.begin(), b.end()); }
  };
  struct Tensor {
    std::string name;
    uint32_t type;
    std::vector<uint64_t> dims;
    std::vector<uint8_t> data;
    int64_t offset;
  };

  uint32_t version_;
  std::vector<std::vector<uint8_t>> kvs_;
  std::vector<Tensor> tensors_;
  Layout layout_;
};

}  // namespace asc::testing
