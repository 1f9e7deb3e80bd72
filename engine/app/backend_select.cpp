#include "engine/app/backend_select.h"

#include <cstdio>
#include <sstream>

#include "engine/cpu/backend_factory.h"
#if ASCENDRA_HAVE_CUDA
#include "cuda/cuda_backend.h"
#endif

namespace asc::app {

namespace {

#if ASCENDRA_HAVE_CUDA
constexpr bool kHaveCuda = true;
#else
constexpr bool kHaveCuda = false;
#endif

int visible_gpus() {
#if ASCENDRA_HAVE_CUDA
  return cuda::visible_device_count();
#else
  return 0;
#endif
}

}  // namespace

struct BackendCache::Impl {
#if ASCENDRA_HAVE_CUDA
  std::map<int, std::shared_ptr<const cuda::CudaWeights>> weights;  // by device
#endif
};

BackendCache::BackendCache() : impl_(std::make_unique<Impl>()) {}
BackendCache::~BackendCache() = default;

std::string DeviceSpec::to_string() const {
  if (cpu) return "cpu";
  std::string s;
  for (size_t i = 0; i < cuda_devices.size(); ++i) s += (i ? ",cuda:" : "cuda:") + std::to_string(cuda_devices[i]);
  return s;
}

StatusOr<DeviceSpec> parse_devices(const std::string& text) {
  DeviceSpec spec;
  if (text == "cpu") return spec;
  const int visible = visible_gpus();
  if (text.empty() || text == "auto") {
    spec.cpu = visible == 0;
    for (int d = 0; d < visible; ++d) spec.cuda_devices.push_back(d);
    return spec;
  }
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.rfind("cuda:", 0) != 0 || item.size() == 5 || item.find_first_not_of("0123456789", 5) != std::string::npos) {
      return invalid_argument("--devices: '" + item + "' is not 'cpu' or 'cuda:N'");
    }
    const int d = std::stoi(item.substr(5));
    if (d >= visible) {
      return unavailable("--devices: " + item + " requested but " + std::to_string(visible) +
                         " CUDA devices are visible" + (kHaveCuda ? "" : " (built without CUDA)"));
    }
    spec.cuda_devices.push_back(d);
  }
  if (spec.cuda_devices.empty()) return invalid_argument("--devices: empty device list");
  spec.cpu = false;
  return spec;
}

StatusOr<std::unique_ptr<Backend>> make_backend(const Model& model, const DeviceSpec& devices, int instance_index,
                                                bool high_priority, size_t kv_bytes, int threads,
                                                BackendCache* cache) {
#if ASCENDRA_HAVE_CUDA
  if (!devices.cpu && !devices.cuda_devices.empty()) {
    cuda::CudaBackendOptions o;
    o.device = devices.cuda_devices[static_cast<size_t>(instance_index) % devices.cuda_devices.size()];
    o.high_priority = high_priority;
    o.kv_cache_bytes = kv_bytes;
    std::shared_ptr<const cuda::CudaWeights> shared;
    if (cache != nullptr) {
      if (auto it = cache->impl().weights.find(o.device); it != cache->impl().weights.end()) shared = it->second;
    }
    StatusOr<std::unique_ptr<cuda::CudaBackend>> b = cuda::CudaBackend::create(model, o, shared);
    if (!b.is_ok()) return b.status();
    if (cache != nullptr) cache->impl().weights[o.device] = (*b)->weights();
    std::fprintf(stderr, "instance %d: backend %s (%s priority, %d KV blocks)\n", instance_index,
                 (*b)->name().c_str(), high_priority ? "high" : "normal", (*b)->num_kv_blocks());
    return std::unique_ptr<Backend>(std::move(*b));
  }
#else
  (void)devices;
  (void)high_priority;
  (void)cache;
#endif
  StatusOr<std::unique_ptr<cpu::CpuBackend>> b = cpu::make_cpu_backend(model, threads, kv_bytes);
  if (!b.is_ok()) return b.status();
  std::fprintf(stderr, "instance %d: backend cpu (%d threads, %d KV blocks)\n", instance_index, threads,
               (*b)->num_kv_blocks());
  return std::unique_ptr<Backend>(std::move(*b));
}

}  // namespace asc::app
