//===- PtrMap.h - a map from addresses to 64-bit values ---------*- C++ -*-===//
//
// The CUDA layer's tables (modules by binary, live device blocks by address,
// pinned host ranges): plain data from malloc, since libcnnc_model.a uses no
// C++ library allocation.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_RUNTIME_MODEL_PTRMAP_H
#define CNNC_RUNTIME_MODEL_PTRMAP_H

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace cnnc::gpu {

/// A hash map from nonzero 64-bit keys (addresses, sizes) to 64-bit values:
/// open addressing with linear probing, grown at half full.
class PtrMap {
public:
  bool find(uint64_t key, uint64_t *value) const {
    if (capacity_ == 0)
      return false;
    for (size_t i = slot(key);; i = (i + 1) & (capacity_ - 1)) {
      if (keys_[i] == 0)
        return false;
      if (keys_[i] == key) {
        if (value)
          *value = values_[i];
        return true;
      }
    }
  }

  /// Adds or replaces `key`; false when host memory runs out.
  bool insert(uint64_t key, uint64_t value) {
    if ((count_ + 1) * 2 > capacity_ && !grow())
      return false;
    size_t i = slot(key);
    while (keys_[i] != 0 && keys_[i] != key)
      i = (i + 1) & (capacity_ - 1);
    if (keys_[i] == 0)
      ++count_;
    keys_[i] = key;
    values_[i] = value;
    return true;
  }

  /// Removes `key`, giving its value; false when it is absent.
  bool erase(uint64_t key, uint64_t *value) {
    if (capacity_ == 0)
      return false;
    size_t mask = capacity_ - 1, i = slot(key);
    while (keys_[i] != key) {
      if (keys_[i] == 0)
        return false;
      i = (i + 1) & mask;
    }
    if (value)
      *value = values_[i];
    // Backward-shift deletion: move later entries of the probe run into the
    // hole unless their home slot lies cyclically in (hole, entry].
    for (size_t j = i;;) {
      j = (j + 1) & mask;
      if (keys_[j] == 0)
        break;
      size_t home = slot(keys_[j]);
      bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays)
        continue;
      keys_[i] = keys_[j];
      values_[i] = values_[j];
      i = j;
    }
    keys_[i] = 0;
    --count_;
    return true;
  }

  size_t capacity() const { return capacity_; }
  /// The key in slot `i` (0 when the slot is empty), for walking the map.
  uint64_t keyAt(size_t i) const { return keys_[i]; }

  void release() {
    std::free(keys_);
    std::free(values_);
    keys_ = values_ = nullptr;
    capacity_ = count_ = 0;
  }

private:
  size_t slot(uint64_t key) const {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return static_cast<size_t>(key) & (capacity_ - 1);
  }

  bool grow() {
    size_t grown = capacity_ == 0 ? 64 : capacity_ * 2;
    auto *keys = static_cast<uint64_t *>(std::calloc(grown, sizeof(uint64_t)));
    auto *values =
        static_cast<uint64_t *>(std::malloc(grown * sizeof(uint64_t)));
    if (!keys || !values) {
      std::free(keys);
      std::free(values);
      return false;
    }
    uint64_t *oldKeys = keys_, *oldValues = values_;
    size_t oldCapacity = capacity_;
    keys_ = keys;
    values_ = values;
    capacity_ = grown;
    count_ = 0;
    for (size_t i = 0; i < oldCapacity; ++i)
      if (oldKeys[i] != 0)
        insert(oldKeys[i], oldValues[i]); // cannot grow again
    std::free(oldKeys);
    std::free(oldValues);
    return true;
  }

  uint64_t *keys_ = nullptr;
  uint64_t *values_ = nullptr;
  size_t capacity_ = 0; // 0 or a power of two
  size_t count_ = 0;
};

} // namespace cnnc::gpu

#endif // CNNC_RUNTIME_MODEL_PTRMAP_H
