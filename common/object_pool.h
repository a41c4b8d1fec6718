// A pool of objects that are costly to open and that one caller uses at a
// time, such as a Xapian::Database or an SQLite connection: idle objects are
// reused, new ones are opened when none is idle, and at most `max_leases`
// are out at once (further callers wait, first come first served, for one
// to come back). When no more
// can be opened (say the files were deleted under the open ones, which still
// read them), callers take turns on the objects already open.
#ifndef HEALTHSEARCH_COMMON_OBJECT_POOL_H_
#define HEALTHSEARCH_COMMON_OBJECT_POOL_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include <absl/base/thread_annotations.h>
#include <absl/status/statusor.h>
#include <absl/synchronization/mutex.h>

namespace healthsearch {

template <typename T>
class ObjectPool {
 public:
  using Opener = std::function<absl::StatusOr<std::unique_ptr<T>>()>;

  explicit ObjectPool(Opener open, int max_leases = std::numeric_limits<int>::max())
      : open_(std::move(open)), max_leases_(max_leases) {}
  ObjectPool(const ObjectPool&) = delete;
  ObjectPool& operator=(const ObjectPool&) = delete;

  // One object, given back to the pool when the lease ends.
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), object_(std::move(other.object_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->GiveBack(std::move(object_));
    }
    T& operator*() const { return *object_; }
    T* operator->() const { return object_.get(); }

   private:
    friend class ObjectPool;
    Lease(ObjectPool* pool, std::unique_ptr<T> object) : pool_(pool), object_(std::move(object)) {}

    ObjectPool* pool_;
    std::unique_ptr<T> object_;
  };

  // An idle object, or a newly opened one; waits while `max_leases` are out.
  // The opener's error only if it fails while the pool holds no object.
  absl::StatusOr<Lease> Acquire() {
    {
      absl::MutexLock lock(&mutex_);
      const uint64_t ticket = next_ticket_++;
      const auto my_turn = [this, ticket]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return ticket == now_serving_ && leased_ < max_leases_;
      };
      mutex_.Await(absl::Condition(&my_turn));
      ++now_serving_;
      ++leased_;
      if (!idle_.empty()) return Lease(this, TakeIdle());
    }
    absl::StatusOr<std::unique_ptr<T>> opened = open_();
    absl::MutexLock lock(&mutex_);
    if (opened.ok()) {
      ++open_count_;
      return Lease(this, *std::move(opened));
    }
    if (open_count_ == 0) {
      --leased_;
      return opened.status();
    }
    mutex_.Await(absl::Condition(this, &ObjectPool::HasIdle));
    return Lease(this, TakeIdle());
  }

  // Callers waiting for their turn to lease.
  int waiting() const {
    absl::MutexLock lock(&mutex_);
    return static_cast<int>(next_ticket_ - now_serving_);
  }

  // Adds an object opened elsewhere to the idle ones.
  void AddIdle(std::unique_ptr<T> object) {
    absl::MutexLock lock(&mutex_);
    ++open_count_;
    idle_.push_back(std::move(object));
  }

 private:
  bool HasIdle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return !idle_.empty(); }

  std::unique_ptr<T> TakeIdle() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    std::unique_ptr<T> object = std::move(idle_.back());
    idle_.pop_back();
    return object;
  }

  void GiveBack(std::unique_ptr<T> object) {
    absl::MutexLock lock(&mutex_);
    --leased_;
    idle_.push_back(std::move(object));
  }

  const Opener open_;
  const int max_leases_;
  mutable absl::Mutex mutex_;
  int leased_ ABSL_GUARDED_BY(mutex_) = 0;
  int open_count_ ABSL_GUARDED_BY(mutex_) = 0;
  // Callers take a ticket and lease in ticket order.
  uint64_t next_ticket_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t now_serving_ ABSL_GUARDED_BY(mutex_) = 0;
  std::vector<std::unique_ptr<T>> idle_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace healthsearch

#endif  // HEALTHSEARCH_COMMON_OBJECT_POOL_H_
