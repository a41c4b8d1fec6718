#include "common/object_pool.h"

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include <absl/synchronization/notification.h>
#include <absl/time/clock.h>
#include <absl/time/time.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/test_support.h"

namespace healthsearch {
namespace {

using ::healthsearch::testing::StatusIs;

// Each opened object holds the number of objects opened before it.
struct Counted {
  int serial;
};

class CountingOpener {
 public:
  absl::StatusOr<std::unique_ptr<Counted>> operator()() {
    ++attempts_;
    if (fail_) return absl::UnavailableError("cannot open");
    return std::make_unique<Counted>(Counted{opened_++});
  }
  void set_fail(bool fail) { fail_ = fail; }
  int opened() const { return opened_; }
  int attempts() const { return attempts_; }

 private:
  std::atomic<int> opened_ = 0;
  std::atomic<int> attempts_ = 0;
  std::atomic<bool> fail_ = false;
};

// A lease taken now and held until the pointer is reset.
std::unique_ptr<ObjectPool<Counted>::Lease> HoldOne(ObjectPool<Counted>& pool) {
  absl::StatusOr<ObjectPool<Counted>::Lease> lease = pool.Acquire();
  if (!lease.ok()) return nullptr;
  return std::make_unique<ObjectPool<Counted>::Lease>(*std::move(lease));
}

// Polls until `reached` holds, for at most 10 s: a broken pool then fails
// the test instead of hanging it.
void WaitUntil(const std::function<bool()>& reached) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!reached() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
}

TEST(ObjectPoolTest, ReusesWhatWasGivenBackAndOpensOnlyWhenNothingIsIdle) {
  CountingOpener opener;
  ObjectPool<Counted> pool([&] { return opener(); });
  {
    absl::StatusOr<ObjectPool<Counted>::Lease> first = pool.Acquire();
    ASSERT_TRUE(first.ok());
    absl::StatusOr<ObjectPool<Counted>::Lease> second = pool.Acquire();
    ASSERT_TRUE(second.ok());
    EXPECT_EQ((*first)->serial, 0);
    EXPECT_EQ((*second)->serial, 1);
  }
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<ObjectPool<Counted>::Lease> lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
  }
  EXPECT_EQ(opener.opened(), 2);
}

TEST(ObjectPoolTest, AnObjectAddedIdleIsLeasedFirst) {
  CountingOpener opener;
  ObjectPool<Counted> pool([&] { return opener(); });
  pool.AddIdle(std::make_unique<Counted>(Counted{42}));
  absl::StatusOr<ObjectPool<Counted>::Lease> lease = pool.Acquire();
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)->serial, 42);
  EXPECT_EQ(opener.opened(), 0);
}

TEST(ObjectPoolTest, AFailedOpenIsReturnedAndFreesItsPlace) {
  CountingOpener opener;
  ObjectPool<Counted> pool([&] { return opener(); }, /*max_leases=*/1);
  opener.set_fail(true);
  EXPECT_THAT(pool.Acquire().status(),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::HasSubstr("cannot open")));
  opener.set_fail(false);
  // Had the failure kept its lease, this would wait for ever.
  EXPECT_TRUE(pool.Acquire().ok());
}

TEST(ObjectPoolTest, WhenNoMoreCanBeOpenedCallersTakeTurnsOnTheOpenOnes) {
  CountingOpener opener;
  ObjectPool<Counted> pool([&] { return opener(); });
  std::unique_ptr<ObjectPool<Counted>::Lease> held = HoldOne(pool);
  ASSERT_NE(held, nullptr);
  opener.set_fail(true);
  absl::Notification acquired;
  std::thread waiter([&] {
    absl::StatusOr<ObjectPool<Counted>::Lease> lease = pool.Acquire();
    EXPECT_TRUE(lease.ok()) << lease.status();
    if (lease.ok()) EXPECT_EQ((*lease)->serial, 0);
    acquired.Notify();
  });
  // Its own open failed: it waits for the one held.
  WaitUntil([&] { return opener.attempts() == 2 || acquired.HasBeenNotified(); });
  EXPECT_FALSE(acquired.HasBeenNotified());
  held.reset();
  acquired.WaitForNotification();
  waiter.join();
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(pool.Acquire().ok());
  EXPECT_EQ(opener.opened(), 1);
}

TEST(ObjectPoolTest, CallersBeyondMaxLeasesWaitForOneToComeBack) {
  CountingOpener opener;
  ObjectPool<Counted> pool([&] { return opener(); }, /*max_leases=*/1);
  std::unique_ptr<ObjectPool<Counted>::Lease> held = HoldOne(pool);
  ASSERT_NE(held, nullptr);
  absl::Notification acquired;
  std::thread waiter([&] {
    absl::StatusOr<ObjectPool<Counted>::Lease> lease = pool.Acquire();
    EXPECT_TRUE(lease.ok());
    acquired.Notify();
  });
  WaitUntil([&] { return pool.waiting() == 1 || acquired.HasBeenNotified(); });
  EXPECT_FALSE(acquired.HasBeenNotified());
  held.reset();
  acquired.WaitForNotification();
  waiter.join();
  EXPECT_EQ(opener.opened(), 1);
}

TEST(ObjectPoolTest, WaitingCallersAreServedInTheOrderTheyCame) {
  CountingOpener opener;
  ObjectPool<Counted> pool([&] { return opener(); }, /*max_leases=*/1);
  std::unique_ptr<ObjectPool<Counted>::Lease> held = HoldOne(pool);
  ASSERT_NE(held, nullptr);
  absl::Mutex mutex;
  std::vector<int> served_order;
  std::vector<std::thread> waiters;
  constexpr int kWaiters = 8;
  for (int i = 0; i < kWaiters; ++i) {
    waiters.emplace_back([&, i] {
      absl::StatusOr<ObjectPool<Counted>::Lease> lease = pool.Acquire();
      ASSERT_TRUE(lease.ok());
      absl::MutexLock lock(&mutex);
      served_order.push_back(i);
    });
    WaitUntil([&] { return pool.waiting() == i + 1; });
    EXPECT_EQ(pool.waiting(), i + 1);
  }
  // A caller that gives its lease back and at once asks again comes last.
  held.reset();
  {
    absl::StatusOr<ObjectPool<Counted>::Lease> again = pool.Acquire();
    ASSERT_TRUE(again.ok());
    absl::MutexLock lock(&mutex);
    served_order.push_back(kWaiters);
  }
  for (std::thread& waiter : waiters) waiter.join();
  EXPECT_THAT(served_order, ::testing::ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8));
  EXPECT_EQ(pool.waiting(), 0);
}

}  // namespace
}  // namespace healthsearch
