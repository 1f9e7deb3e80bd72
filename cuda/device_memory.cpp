#include "cuda/device_memory.h"

#include <string>

#include "cuda/cuda_check.h"

namespace asc::cuda {

StatusOr<DeviceBuffer> DeviceBuffer::allocate(size_t bytes) {
  DeviceBuffer b;
  if (bytes == 0) return b;
  const cudaError_t err = cudaMalloc(&b.ptr_, bytes);
  if (err != cudaSuccess) {
    b.ptr_ = nullptr;
    (void)cudaGetLastError();  // clear the sticky-free allocation error
    return resource_exhausted("cudaMalloc of " + std::to_string(bytes) + " bytes failed: " +
                              cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
  }
  b.bytes_ = bytes;
  return b;
}

DeviceBuffer::~DeviceBuffer() {
  if (ptr_ != nullptr) (void)cudaFree(ptr_);  // errors here are reported by the next checked call
}

StatusOr<PinnedBuffer> PinnedBuffer::allocate(size_t bytes) {
  PinnedBuffer b;
  if (bytes == 0) return b;
  const cudaError_t err = cudaMallocHost(&b.ptr_, bytes);
  if (err != cudaSuccess) {
    b.ptr_ = nullptr;
    (void)cudaGetLastError();
    return resource_exhausted("cudaMallocHost of " + std::to_string(bytes) + " bytes failed: " +
                              cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
  }
  b.bytes_ = bytes;
  return b;
}

PinnedBuffer::~PinnedBuffer() {
  if (ptr_ != nullptr) (void)cudaFreeHost(ptr_);
}

Status ensure_capacity(DeviceBuffer& buffer, size_t bytes) {
  if (buffer.size() >= bytes) return Status::ok();
  buffer = DeviceBuffer();  // free first: the old contents are not kept
  StatusOr<DeviceBuffer> grown = DeviceBuffer::allocate(bytes + bytes / 4);
  if (!grown.is_ok()) return grown.status();
  buffer = std::move(*grown);
  return Status::ok();
}

Status ensure_capacity(PinnedBuffer& buffer, size_t bytes) {
  if (buffer.size() >= bytes) return Status::ok();
  buffer = PinnedBuffer();
  StatusOr<PinnedBuffer> grown = PinnedBuffer::allocate(bytes + bytes / 4);
  if (!grown.is_ok()) return grown.status();
  buffer = std::move(*grown);
  return Status::ok();
}

StatusOr<Stream> Stream::create(bool high_priority) {
  int least = 0;
  int greatest = 0;
  ASC_CUDA_TRY(cudaDeviceGetStreamPriorityRange(&least, &greatest));
  Stream s;
  ASC_CUDA_TRY(cudaStreamCreateWithPriority(&s.stream_, cudaStreamNonBlocking,
                                            high_priority ? greatest : least));
  return s;
}

Stream::~Stream() {
  if (stream_ != nullptr) (void)cudaStreamDestroy(stream_);
}

DeviceGuard::DeviceGuard(int device) {
  if (cudaGetDevice(&previous_) != cudaSuccess) previous_ = -1;
  status_ = cuda_status(cudaSetDevice(device), "cudaSetDevice(device)", __FILE__, __LINE__);
}

DeviceGuard::~DeviceGuard() {
  if (previous_ >= 0) (void)cudaSetDevice(previous_);
}

int visible_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return n;
}

}  // namespace asc::cuda
