// Backend selection: the one factory where the CUDA switch appears (STYLE.md). `--devices`
// ("cpu", "cuda:0,cuda:1", empty/"auto" = every visible GPU, else the CPU) decides which backend
// each instance of the pools runs on; instances are assigned to the listed GPUs round-robin, so
// `--pools low:2,high:1 --devices cuda:0,cuda:1` puts instances 0 and 2 on cuda:0 and 1 on cuda:1.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/core/backend.h"
#include "engine/core/status.h"
#include "engine/model/model_loader.h"

namespace asc::app {

struct DeviceSpec {
  bool cpu = true;                 // run on the CPU backend
  std::vector<int> cuda_devices;   // GPU ordinals when cpu == false
  std::string to_string() const;
};

/// Parses --devices. INVALID_ARGUMENT on malformed text; "auto"/"" picks every visible GPU, or the
/// CPU when none is visible (or CUDA is not compiled in); naming GPUs without CUDA support or
/// beyond the visible count is UNAVAILABLE.
StatusOr<DeviceSpec> parse_devices(const std::string& text);

/// Shares uploaded weights between instances placed on the same GPU (one copy per device).
/// Opaque; create one per process and pass it to every make_backend call.
class BackendCache {
 public:
  BackendCache();
  ~BackendCache();
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

/// The backend of instance `instance_index`: a CUDA backend on device
/// cuda_devices[instance_index % size] (stream priority highest when high_priority) with a KV
/// cache of kv_bytes, or a CPU backend of `threads` threads. Logs one line to stderr naming the
/// backend chosen.
StatusOr<std::unique_ptr<Backend>> make_backend(const Model& model, const DeviceSpec& devices, int instance_index,
                                                bool high_priority, size_t kv_bytes, int threads,
                                                BackendCache* cache = nullptr);

}  // namespace asc::app
