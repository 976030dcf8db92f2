// open_model_folder: config and weights together, and which error wins when a folder is broken.
#include "engine/model/model_folder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model_test_support.h"
#include "support/temp_dir.h"

namespace disaggd::engine {
namespace {

using ::testing::HasSubstr;

TEST(ModelFolderTest, OpensStories260K) {
  const core::Result<ModelFolder> folder = open_model_folder(DISAGGD_TEST_MODEL_DIR);
  ASSERT_TRUE(folder.ok()) << folder.status().message();
  EXPECT_EQ(folder->path, std::filesystem::path(DISAGGD_TEST_MODEL_DIR));
  EXPECT_EQ(folder->config.num_hidden_layers, 5);
  EXPECT_EQ(folder->weights.tensors().size(), 47u);
  EXPECT_EQ(folder->weights.dtype(), folder->config.dtype);
}

TEST(ModelFolderTest, NotADirectory) {
  const disaggd::testing::TempDir dir;
  const core::Result<ModelFolder> folder = open_model_folder(dir.path() / "absent");
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.status().code(), core::StatusCode::kNotFound);
  EXPECT_THAT(folder.status().message(), HasSubstr("absent: not a directory"));
}

TEST(ModelFolderTest, ConfigErrorsComeBeforeWeightErrors) {
  const disaggd::testing::TempDir dir;
  nlohmann::json config = testing::tiny_config({});
  config["architectures"] = {"GPT2LMHeadModel"};
  dir.write("m/config.json", config.dump());  // and no weights at all
  const core::Result<ModelFolder> folder = open_model_folder(dir.path() / "m");
  ASSERT_FALSE(folder.ok());
  EXPECT_EQ(folder.status().code(), core::StatusCode::kUnsupported);
  EXPECT_THAT(folder.status().message(), HasSubstr("unsupported architecture \"GPT2LMHeadModel\""));
}

TEST(ModelFolderTest, WeightErrorsAreReported) {
  const disaggd::testing::TempDir dir;
  std::vector<testing::TestTensor> tensors = testing::tiny_tensors({});
  tensors.pop_back();  // lm_head.weight
  testing::write_model(dir, "m", testing::tiny_config({}), tensors);
  const core::Result<ModelFolder> folder = open_model_folder(dir.path() / "m");
  ASSERT_FALSE(folder.ok());
  EXPECT_THAT(folder.status().message(), HasSubstr("missing tensor \"lm_head.weight\""));
}

}  // namespace
}  // namespace disaggd::engine
