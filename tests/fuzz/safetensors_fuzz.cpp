// libFuzzer target for the safetensors reader: parse arbitrary bytes and touch every tensor view.
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/model/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = asc::SafetensorsFile::parse(std::span<const uint8_t>(data, size));
  if (!parsed.is_ok()) return 0;
  volatile uint8_t sink = 0;
  for (const asc::TensorView& t : (*parsed)->tensors()) {
    sink = sink ^ t.data[0] ^ t.data[t.size_bytes - 1];
    if ((*parsed)->find_tensor(t.name) == nullptr) __builtin_trap();
  }
  return 0;
}
