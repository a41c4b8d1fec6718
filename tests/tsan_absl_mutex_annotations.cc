// ThreadSanitizer cannot see inside Debian's abseil (it is not built with
// -fsanitize=thread), so an absl::Mutex orders nothing as far as TSan knows
// and every access it guards looks like a race. Linked into test binaries of
// the TSan build only, with the linker's --wrap for each function below
// (tests/robustness_tests.cmake): each wrapper tells TSan that taking a
// mutex acquires what its last release published. No report is suppressed.
//
// Reader locks are treated as writer locks: TSan then sees readers of one
// mutex as ordered, which can hide a race between two readers that write
// (a bug in itself), but never reports a false one.
#include <sanitizer/tsan_interface.h>

#include <absl/synchronization/mutex.h>
#include <absl/time/time.h>

// abseil 20220623 as Debian builds it: inline namespace absl::debian3.
#define HEALTHSEARCH_REAL(name) __real__ZN4absl7debian35Mutex##name
#define HEALTHSEARCH_WRAP(name) __wrap__ZN4absl7debian35Mutex##name

extern "C" {

void HEALTHSEARCH_REAL(4LockEv)(void* mutex);
void HEALTHSEARCH_REAL(10ReaderLockEv)(void* mutex);
bool HEALTHSEARCH_REAL(7TryLockEv)(void* mutex);
bool HEALTHSEARCH_REAL(13ReaderTryLockEv)(void* mutex);
void HEALTHSEARCH_REAL(6UnlockEv)(void* mutex);
void HEALTHSEARCH_REAL(12ReaderUnlockEv)(void* mutex);
void HEALTHSEARCH_REAL(8LockWhenERKNS0_9ConditionE)(void* mutex, const absl::Condition& condition);
void HEALTHSEARCH_REAL(14ReaderLockWhenERKNS0_9ConditionE)(void* mutex,
                                                           const absl::Condition& condition);
void HEALTHSEARCH_REAL(5AwaitERKNS0_9ConditionE)(void* mutex, const absl::Condition& condition);
bool HEALTHSEARCH_REAL(16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE)(
    void* mutex, const absl::Condition& condition, absl::Duration timeout);

void HEALTHSEARCH_WRAP(4LockEv)(void* mutex) {
  HEALTHSEARCH_REAL(4LockEv)(mutex);
  __tsan_acquire(mutex);
}

void HEALTHSEARCH_WRAP(10ReaderLockEv)(void* mutex) {
  HEALTHSEARCH_REAL(10ReaderLockEv)(mutex);
  __tsan_acquire(mutex);
}

bool HEALTHSEARCH_WRAP(7TryLockEv)(void* mutex) {
  const bool locked = HEALTHSEARCH_REAL(7TryLockEv)(mutex);
  if (locked) __tsan_acquire(mutex);
  return locked;
}

bool HEALTHSEARCH_WRAP(13ReaderTryLockEv)(void* mutex) {
  const bool locked = HEALTHSEARCH_REAL(13ReaderTryLockEv)(mutex);
  if (locked) __tsan_acquire(mutex);
  return locked;
}

void HEALTHSEARCH_WRAP(6UnlockEv)(void* mutex) {
  __tsan_release(mutex);
  HEALTHSEARCH_REAL(6UnlockEv)(mutex);
}

void HEALTHSEARCH_WRAP(12ReaderUnlockEv)(void* mutex) {
  __tsan_release(mutex);
  HEALTHSEARCH_REAL(12ReaderUnlockEv)(mutex);
}

void HEALTHSEARCH_WRAP(8LockWhenERKNS0_9ConditionE)(void* mutex, const absl::Condition& condition) {
  HEALTHSEARCH_REAL(8LockWhenERKNS0_9ConditionE)(mutex, condition);
  __tsan_acquire(mutex);
}

void HEALTHSEARCH_WRAP(14ReaderLockWhenERKNS0_9ConditionE)(void* mutex,
                                                           const absl::Condition& condition) {
  HEALTHSEARCH_REAL(14ReaderLockWhenERKNS0_9ConditionE)(mutex, condition);
  __tsan_acquire(mutex);
}

// Await gives the mutex up while it waits and holds it again on return.
void HEALTHSEARCH_WRAP(5AwaitERKNS0_9ConditionE)(void* mutex, const absl::Condition& condition) {
  __tsan_release(mutex);
  HEALTHSEARCH_REAL(5AwaitERKNS0_9ConditionE)(mutex, condition);
  __tsan_acquire(mutex);
}

bool HEALTHSEARCH_WRAP(16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE)(
    void* mutex, const absl::Condition& condition, absl::Duration timeout) {
  __tsan_release(mutex);
  const bool met =
      HEALTHSEARCH_REAL(16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE)(mutex, condition, timeout);
  __tsan_acquire(mutex);
  return met;
}

}  // extern "C"
