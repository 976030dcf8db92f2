// The routing SDK's C adapter (what DISAGGD_ROUTING_PLUGIN exports), called the way the host
// calls it: argument checks, unknown options, out-of-range picks and the create/destroy pairing.
#include "disaggd/sdk/routing.hpp"

#include <cstddef>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace disaggd {
namespace {

int g_live_instances = 0;

// Picks the index given by option `pick` (default 0), even when it is out of range.
class PickStrategy : public sdk::RoutingStrategy {
 public:
  PickStrategy(sdk::Options& options, sdk::Host /*host*/)
      : pick_(static_cast<std::size_t>(options.get_int("pick", 0, 0, 100))) {
    ++g_live_instances;
  }
  ~PickStrategy() override { --g_live_instances; }
  std::size_t select(const sdk::RoutingRequest& /*request*/,
                     const sdk::RoutingNodes& /*nodes*/) override {
    return pick_;
  }

 private:
  std::size_t pick_;
};

using Adapter = sdk::detail::RoutingAdapter<PickStrategy>;

class SdkRoutingTest : public ::testing::Test {
 protected:
  static void append(void* host_ptr, const char* data, size_t size) {
    static_cast<std::string*>(host_ptr)->append(data, size);
  }

  disaggd_routing_instance* create(std::vector<disaggd_option> options = {}) {
    disaggd_routing_instance* instance = nullptr;
    const disaggd_status status = vtable_->create_fn(options.empty() ? nullptr : options.data(),
                                                     options.size(), nullptr, &instance, &sink_);
    EXPECT_EQ(status, DISAGGD_STATUS_OK) << text_;
    return instance;
  }

  static disaggd_option int_option(const char* key, const char* text, int64_t value) {
    disaggd_option option{};
    option.key = {key, std::char_traits<char>::length(key)};
    option.type = DISAGGD_OPTION_INT;
    option.int_value = value;
    option.float_value = static_cast<double>(value);
    option.text = {text, std::char_traits<char>::length(text)};
    return option;
  }

  const disaggd_routing_vtable* vtable_ = Adapter::vtable();
  std::string text_;
  disaggd_string_sink sink_{&text_, &SdkRoutingTest::append};
  disaggd_routing_request request_{sizeof(disaggd_routing_request), {}, {}, 1, 0};
  disaggd_routing_node node_{};
  const disaggd_routing_node* nodes_[2] = {&node_, &node_};
};

TEST_F(SdkRoutingTest, VtableAndDescriptorAreComplete) {
  EXPECT_EQ(vtable_->struct_size, sizeof(disaggd_routing_vtable));
  EXPECT_NE(vtable_->create_fn, nullptr);
  EXPECT_NE(vtable_->destroy_fn, nullptr);
  EXPECT_NE(vtable_->select_fn, nullptr);
  EXPECT_NE(vtable_->on_request_done_fn, nullptr);
  EXPECT_NE(vtable_->on_nodes_changed_fn, nullptr);
  const disaggd_plugin_descriptor* d =
      sdk::routing_descriptor<PickStrategy>("pick", "1.2.3", "Picks a fixed index");
  EXPECT_EQ(d->struct_size, sizeof(disaggd_plugin_descriptor));
  EXPECT_EQ(d->abi_major, DISAGGD_PLUGIN_ABI_MAJOR);
  EXPECT_EQ(d->abi_minor, DISAGGD_PLUGIN_ABI_MINOR);
  EXPECT_EQ(d->kind, static_cast<uint32_t>(DISAGGD_PLUGIN_KIND_ROUTING));
  EXPECT_STREQ(d->name, "pick");
  EXPECT_EQ(d->vtable, vtable_);
}

TEST_F(SdkRoutingTest, CreateSelectDestroy) {
  disaggd_routing_instance* instance = create({int_option("pick", "1", 1)});
  ASSERT_NE(instance, nullptr);
  EXPECT_EQ(g_live_instances, 1);
  size_t chosen = 99;
  EXPECT_EQ(vtable_->select_fn(instance, &request_, nodes_, 2, &chosen, &sink_), DISAGGD_STATUS_OK);
  EXPECT_EQ(chosen, 1u);
  vtable_->destroy_fn(instance);
  EXPECT_EQ(g_live_instances, 0);
}

TEST_F(SdkRoutingTest, UnknownOptionFailsCreateAndFreesTheInstance) {
  disaggd_routing_instance* instance = nullptr;
  const disaggd_option typo = int_option("pik", "1", 1);
  EXPECT_EQ(vtable_->create_fn(&typo, 1, nullptr, &instance, &sink_),
            DISAGGD_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(instance, nullptr);
  EXPECT_EQ(g_live_instances, 0);  // Constructed, then rejected and deleted.
  EXPECT_EQ(text_, "unknown option 'pik' (did you mean 'pick'?); known options: pick");
}

TEST_F(SdkRoutingTest, CreateWithoutOutPointerIsRejected) {
  EXPECT_EQ(vtable_->create_fn(nullptr, 0, nullptr, nullptr, &sink_),
            DISAGGD_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(text_, "out_instance is null");
}

TEST_F(SdkRoutingTest, SelectChecksItsArgumentsAndTheStrategysAnswer) {
  disaggd_routing_instance* instance = create({int_option("pick", "5", 5)});
  ASSERT_NE(instance, nullptr);
  size_t chosen = 0;
  EXPECT_EQ(vtable_->select_fn(instance, &request_, nodes_, 0, &chosen, &sink_),
            DISAGGD_STATUS_UNAVAILABLE);
  EXPECT_EQ(text_, "no candidate nodes");
  text_.clear();
  EXPECT_EQ(vtable_->select_fn(instance, &request_, nodes_, 2, &chosen, &sink_),
            DISAGGD_STATUS_INTERNAL);
  EXPECT_EQ(text_, "strategy chose node 5 of 2");
  text_.clear();
  EXPECT_EQ(vtable_->select_fn(instance, nullptr, nodes_, 2, &chosen, &sink_),
            DISAGGD_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(vtable_->select_fn(instance, &request_, nullptr, 2, &chosen, &sink_),
            DISAGGD_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(vtable_->select_fn(instance, &request_, nodes_, 2, nullptr, &sink_),
            DISAGGD_STATUS_INVALID_ARGUMENT);
  vtable_->destroy_fn(instance);
}

TEST_F(SdkRoutingTest, DefaultHooksAcceptAndCheckArguments) {
  disaggd_routing_instance* instance = create();
  ASSERT_NE(instance, nullptr);
  const disaggd_routing_outcome outcome{sizeof(disaggd_routing_outcome), {}, {}, 1.0, 1};
  EXPECT_EQ(vtable_->on_request_done_fn(instance, &outcome, &sink_), DISAGGD_STATUS_OK);
  EXPECT_EQ(vtable_->on_request_done_fn(instance, nullptr, &sink_),
            DISAGGD_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(vtable_->on_nodes_changed_fn(instance, nodes_, 2, &sink_), DISAGGD_STATUS_OK);
  EXPECT_EQ(vtable_->on_nodes_changed_fn(instance, nullptr, 0, &sink_), DISAGGD_STATUS_OK);
  EXPECT_EQ(vtable_->on_nodes_changed_fn(instance, nullptr, 1, &sink_),
            DISAGGD_STATUS_INVALID_ARGUMENT);
  vtable_->destroy_fn(instance);
}

}  // namespace
}  // namespace disaggd
