// The sim backend's KV pool (see kv_pool.h).
#include "kv_pool.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <string>

#include "disaggd/sdk/error.hpp"

namespace disaggd::sim_backend {
namespace {

using sdk::Error;

/// a * b, or an error naming `what` when the product does not fit in 64 bits.
uint64_t checked_product(uint64_t a, uint64_t b, const char* what) {
  if (b != 0 && a > std::numeric_limits<uint64_t>::max() / b) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, std::string(what) + " does not fit in 64 bits");
  }
  return a * b;
}

}  // namespace

std::size_t KvGeometry::element_size() const {
  return dtype == DISAGGD_DTYPE_F32 ? 4 : 2;
}

std::size_t KvGeometry::slot_bytes() const {
  return static_cast<std::size_t>(num_kv_heads) * head_dim * element_size();
}

uint64_t KvGeometry::bytes_per_block() const {
  uint64_t bytes = checked_product(uint64_t{num_layers} * 2, block_size, "the KV block size");
  bytes = checked_product(bytes, slot_bytes(), "the KV block size");
  return bytes;
}

KvPool::KvPool(const KvGeometry& geometry, uint32_t num_blocks)
    : geometry_(geometry),
      num_blocks_(num_blocks),
      bytes_per_block_(geometry.bytes_per_block()),
      slot_bytes_(geometry.slot_bytes()) {
  const uint64_t total = checked_product(bytes_per_block_, num_blocks_, "the KV pool size");
  if (total == 0 || total > std::numeric_limits<std::size_t>::max()) {
    throw Error(DISAGGD_STATUS_INVALID_ARGUMENT, "the KV pool would be empty or too large");
  }
  void* memory = ::mmap(nullptr, static_cast<std::size_t>(total), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    const int error = errno;
    throw Error(DISAGGD_STATUS_OUT_OF_MEMORY,
                "cannot map a KV pool of " + std::to_string(total / (1024 * 1024)) + " MiB (" +
                    std::to_string(num_blocks_) + " blocks): " + std::strerror(error));
  }
  data_ = static_cast<uint8_t*>(memory);
}

KvPool::~KvPool() {
  ::munmap(data_, static_cast<std::size_t>(bytes()));
}

}  // namespace disaggd::sim_backend
