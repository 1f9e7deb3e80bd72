// libFuzzer target for the GGUF reader: parse arbitrary bytes, then exercise every accessor, the
// model spec and the weight binding on whatever parsed. Any crash, over-read (ASan) or undefined
// behaviour (UBSan) is a bug; errors returned as Status are the expected outcome.
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/model/gguf.h"
#include "engine/model/model_spec.h"
#include "engine/model/model_weights.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = asc::GgufFile::parse(std::span<const uint8_t>(data, size));
  if (!parsed.is_ok()) return 0;
  const asc::GgufFile& g = **parsed;
  for (const std::string& key : g.keys()) {
    (void)g.get_string(key);
    (void)g.get_int(key);
    (void)g.get_float(key);
    (void)g.get_bool(key);
    (void)g.get_string_array(key);
    (void)g.get_float_array(key);
    (void)g.get_int_array(key);
  }
  volatile uint8_t sink = 0;
  for (const asc::TensorView& t : g.tensors()) {
    // Touch the first and last byte of every tensor: ASan flags any view outside the input.
    sink = sink ^ t.data[0] ^ t.data[t.size_bytes - 1];
    if (g.find_tensor(t.name) == nullptr) __builtin_trap();
  }
  auto spec = asc::spec_from_gguf(g);
  if (spec.is_ok()) {
    (void)asc::bind_weights(*spec, asc::WeightNaming::kGguf,
                            [&g](std::string_view name) { return g.find_tensor(name); });
  }
  return 0;
}
