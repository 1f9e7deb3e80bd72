// RAII owners of CUDA resources: device buffers, pinned host buffers, streams, and a guard that
// makes a device current for a scope. No cudaMalloc / cudaMallocHost outside these (STYLE.md rule 1).
// Owners are move-only; allocation failures come back as Status (OOM is an expected failure).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "engine/core/status.h"

namespace asc::cuda {

/// Device memory on one GPU, freed on destruction.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  /// bytes on the current device; RESOURCE_EXHAUSTED (with the size) when it does not fit.
  static StatusOr<DeviceBuffer> allocate(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept { swap(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept { DeviceBuffer t(std::move(o)); swap(t); return *this; }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void* data() const { return ptr_; }
  template <typename T>
  T* as() const { return static_cast<T*>(ptr_); }
  size_t size() const { return bytes_; }

 private:
  void swap(DeviceBuffer& o) noexcept { std::swap(ptr_, o.ptr_); std::swap(bytes_, o.bytes_); }
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

/// Page-locked host memory (fast, asynchronous copies), freed on destruction.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  static StatusOr<PinnedBuffer> allocate(size_t bytes);
  ~PinnedBuffer();
  PinnedBuffer(PinnedBuffer&& o) noexcept { swap(o); }
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept { PinnedBuffer t(std::move(o)); swap(t); return *this; }
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  void* data() const { return ptr_; }
  template <typename T>
  T* as() const { return static_cast<T*>(ptr_); }
  size_t size() const { return bytes_; }

 private:
  void swap(PinnedBuffer& o) noexcept { std::swap(ptr_, o.ptr_); std::swap(bytes_, o.bytes_); }
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

/// Grows a buffer to at least `bytes` (contents are not kept); no-op when already large enough.
Status ensure_capacity(DeviceBuffer& buffer, size_t bytes);
Status ensure_capacity(PinnedBuffer& buffer, size_t bytes);

/// A non-blocking stream on the current device, destroyed with its owner.
class Stream {
 public:
  Stream() = default;
  /// high_priority: the device's greatest stream priority (HP instances); else the default one.
  static StatusOr<Stream> create(bool high_priority);
  ~Stream();
  Stream(Stream&& o) noexcept { std::swap(stream_, o.stream_); }
  Stream& operator=(Stream&& o) noexcept { Stream t(std::move(o)); std::swap(stream_, t.stream_); return *this; }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

/// Makes `device` current for the guard's lifetime and restores the previous one after.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;
  /// cudaSetDevice's result (callers check it before using the device).
  Status status() const { return status_; }

 private:
  int previous_ = -1;
  Status status_;
};

/// Number of visible CUDA devices; 0 (never an error) when there is no driver or no GPU.
int visible_device_count();

}  // namespace asc::cuda
