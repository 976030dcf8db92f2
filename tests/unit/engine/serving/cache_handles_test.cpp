// CacheHandleTable: unguessable distinct ids, take once, expiry in time order.
#include "engine/serving/cache_handles.h"

#include <gtest/gtest.h>

#include <set>

namespace disaggd::engine {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(CacheHandleTableTest, HandlesAreDistinctAndTakenOnce) {
  CacheHandleTable table(7);
  const auto now = Clock::now();
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    ids.insert(table.add({i, i + 1}, 5, 42, -0.5f, now + 1s).handle_id);
  }
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_EQ(table.size(), 100u);
  const std::string first = *ids.begin();
  const auto taken = table.take(first);
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->num_tokens, 5u);
  EXPECT_EQ(taken->first_token, 42);
  EXPECT_FALSE(table.take(first).has_value());
  EXPECT_FALSE(table.take("not-a-handle").has_value());
  EXPECT_EQ(table.take_all().size(), 99u);
  EXPECT_EQ(table.size(), 0u);
}

TEST(CacheHandleTableTest, OnlyExpiredEntriesAreTaken) {
  CacheHandleTable table(7);
  const auto now = Clock::now();
  EXPECT_FALSE(table.next_expiry().has_value());
  const std::string late = table.add({1}, 1, 0, 0.0f, now + 10s).handle_id;
  table.add({2}, 1, 0, 0.0f, now + 1s);
  table.add({3}, 1, 0, 0.0f, now + 2s);
  EXPECT_EQ(table.next_expiry(), now + 1s);
  EXPECT_TRUE(table.take_expired(now).empty());
  const auto expired = table.take_expired(now + 2s);
  ASSERT_EQ(expired.size(), 2u);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.next_expiry(), now + 10s);
  EXPECT_TRUE(table.take(late).has_value());
}

TEST(CacheHandleTableTest, UnseededTablesDoNotRepeatEachOther) {
  CacheHandleTable a;
  CacheHandleTable b;
  const auto now = Clock::now();
  EXPECT_NE(a.add({1}, 1, 0, 0.0f, now).handle_id, b.add({1}, 1, 0, 0.0f, now).handle_id);
}

}  // namespace
}  // namespace disaggd::engine
