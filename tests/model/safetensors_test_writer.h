// Writes .safetensors bytes for tests (row-major shapes, F32/F16/BF16 raw data), independently of
// the reader under test.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace asc::testing {

class SafetensorsWriter {
 public:
  void add(const std::string& name, const std::string& dtype, std::vector<int64_t> shape,
           std::vector<uint8_t> data) {
    tensors_.push_back({name, dtype, std::move(shape), std::move(data)});
  }
  void add_f32(const std::string& name, std::vector<int64_t> shape, const std::vector<float>& v) {
    std::vector<uint8_t> bytes(v.size() * 4);
    std::memcpy(bytes.data(), v.data(), bytes.size());
    add(name, "F32", std::move(shape), std::move(bytes));
  }

  /// The header JSON (data offsets packed in insertion order) for tests that tamper with it.
  nlohmann::json header() const {
    nlohmann::json h = nlohmann::json::object();
    uint64_t off = 0;
    for (const auto& t : tensors_) {
      h[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {off, off + t.data.size()}}};
      off += t.data.size();
    }
    h["__metadata__"] = {{"format", "pt"}};
    return h;
  }

  std::vector<uint8_t> build() const { return build_with_header(header().dump()); }

  /// Header length (padded with spaces to a multiple of 8 like the reference writer), header, data.
  std::vector<uint8_t> build_with_header(std::string json) const {
    while (json.size() % 8 != 0) json.push_back(' ');
    std::vector<uint8_t> out;
    const uint64_t n = json.size();
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
    out.insert(out.end(), json.begin(), json.end());
    for (const auto& t : tensors_) out.insert(out.end(), t.data.begin(), t.data.end());
    return out;
  }

  static void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }

 private:
  struct Tensor {
    std::string name;
    std::string dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;
  };
  std::vector<Tensor> tensors_;
};

}  // namespace asc::testing
