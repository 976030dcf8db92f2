// SafetensorsFile: valid files map their tensors exactly; every defect is an error naming file and
// tensor, and no damaged file makes it read outside the mapping (run under ASan to prove it).
#include "engine/model/safetensors_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "model_test_support.h"
#include "support/temp_dir.h"

namespace disaggd::engine {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::make_tensor;
using testing::raw_safetensors;
using testing::safetensors_file;
using testing::TestTensor;

class SafetensorsFileTest : public ::testing::Test {
 protected:
  core::Result<SafetensorsFile> open_bytes(const std::string& bytes,
                                           const std::string& name = "w.safetensors") {
    return SafetensorsFile::open(dir_.write(name, bytes));
  }

  /// The error message of opening `bytes`, failing the test when it opens or the code differs.
  std::string error_of(const std::string& bytes,
                       core::StatusCode code = core::StatusCode::kInvalidArgument) {
    const core::Result<SafetensorsFile> file = open_bytes(bytes, "bad.safetensors");
    EXPECT_FALSE(file.ok());
    EXPECT_EQ(file.status().code(), code) << file.status().message();
    const std::string message = file.status().message();
    EXPECT_THAT(message, HasSubstr((dir_.path() / "bad.safetensors").string()));
    return message;
  }

  /// A header with one F32 tensor "t" of `shape` at `offsets`, and `data_bytes` of data.
  static std::string one_tensor(const std::string& shape, const std::string& offsets,
                                std::size_t data_bytes, const std::string& dtype = "F32") {
    return raw_safetensors(R"({"t":{"dtype":")" + dtype + R"(","shape":)" + shape +
                               R"(,"data_offsets":)" + offsets + "}}",
                           std::string(data_bytes, '\x01'));
  }

  /// Parses an exact-size heap copy of `bytes`: under ASan, reading one byte past it is caught.
  static core::Result<SafetensorsFile> parse_copy(const std::string& bytes,
                                                  const std::string& name) {
    return SafetensorsFile::parse(
        MappedFile::copy_of({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, name));
  }

  disaggd::testing::TempDir dir_;
};

TEST_F(SafetensorsFileTest, MapsEveryTensorWithItsBytes) {
  const std::vector<TestTensor> tensors = {
      make_tensor("b", {2, 3}, "F32"),     make_tensor("a", {5}, "BF16"),
      make_tensor("c", {}, "F16"),         make_tensor("ids", {3}, "I64"),
      make_tensor("empty", {0, 4}, "F32"),
  };
  const core::Result<SafetensorsFile> file =
      open_bytes(safetensors_file(tensors, {{"format", "pt"}}));
  ASSERT_TRUE(file.ok()) << file.status().message();
  ASSERT_EQ(file->tensors().size(), tensors.size());
  for (const TestTensor& expected : tensors) {
    const TensorInfo* t = file->find(expected.name);
    ASSERT_NE(t, nullptr) << expected.name;
    EXPECT_EQ(t->shape, expected.shape) << expected.name;
    ASSERT_EQ(t->byte_size, expected.bytes.size()) << expected.name;
    EXPECT_EQ(std::memcmp(t->data, expected.bytes.data(), t->byte_size), 0) << expected.name;
    EXPECT_EQ(t->file, dir_.path() / "w.safetensors");
  }
  EXPECT_EQ(file->find("b")->dtype, DISAGGD_DTYPE_F32);
  EXPECT_EQ(file->find("a")->dtype, DISAGGD_DTYPE_BF16);
  EXPECT_EQ(file->find("c")->dtype, DISAGGD_DTYPE_F16);
  EXPECT_EQ(file->find("c")->numel(), 1);  // a scalar
  EXPECT_EQ(file->find("ids")->dtype, DISAGGD_DTYPE_I64);
  EXPECT_EQ(file->find("missing"), nullptr);
  // Listed in the order of their data (b was written first, then a, ...), not by name.
  EXPECT_EQ(file->tensors()[0].name, "b");
  EXPECT_EQ(file->tensors()[1].name, "a");
  EXPECT_EQ(file->metadata().at("format"), "pt");
  EXPECT_EQ(file->header_size() % 8, 0u);
}

TEST_F(SafetensorsFileTest, StaysValidAfterMove) {
  const TestTensor tensor = make_tensor("w", {16}, "F32");
  core::Result<SafetensorsFile> opened = open_bytes(safetensors_file({tensor}));
  ASSERT_TRUE(opened.ok());
  SafetensorsFile file = std::move(opened).value();
  SafetensorsFile moved = std::move(file);
  const TensorInfo* t = moved.find("w");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(std::memcmp(t->data, tensor.bytes.data(), tensor.bytes.size()), 0);
}

TEST_F(SafetensorsFileTest, MissingFileIsNotFound) {
  const core::Result<SafetensorsFile> file = SafetensorsFile::open(dir_.path() / "nope");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), core::StatusCode::kNotFound);
  EXPECT_THAT(file.status().message(), HasSubstr("nope: cannot open"));
}

TEST_F(SafetensorsFileTest, ShortFileAndHeaderLengths) {
  EXPECT_THAT(error_of(""), HasSubstr("file is 0 bytes, too short"));
  EXPECT_THAT(error_of(std::string("\x10\x00\x00", 3)), HasSubstr("file is 3 bytes, too short"));
  // Length 64 with 10 bytes behind it.
  std::string beyond(8, '\0');
  beyond[0] = 64;
  EXPECT_THAT(error_of(beyond + "{\"a\":1}   "),
              HasSubstr("header length 64 exceeds the 10 bytes that follow it"));
  std::string huge(8, '\xff');
  EXPECT_THAT(error_of(huge + "{}"), HasSubstr("exceeds the limit of 100000000 bytes"));
}

TEST_F(SafetensorsFileTest, HeaderMustBeAJsonObject) {
  EXPECT_THAT(error_of(raw_safetensors("{\"t\": {", "")), HasSubstr("header is not valid JSON"));
  EXPECT_THAT(error_of(raw_safetensors("[1, 2, 3]", "")),
              HasSubstr("header is not a JSON object but [1,2,3]"));
  EXPECT_THAT(error_of(raw_safetensors("", "")), HasSubstr("header is not valid JSON"));
  EXPECT_THAT(error_of(raw_safetensors(R"({"__metadata__": {"format": 1}})", "")),
              HasSubstr("__metadata__: \"format\": expected a string, got 1"));
}

TEST_F(SafetensorsFileTest, DuplicateTensorNamesAreRefused) {
  const std::string header = R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  EXPECT_THAT(error_of(raw_safetensors(header, std::string(8, '\0'))),
              HasSubstr("header names \"t\" twice"));
}

TEST_F(SafetensorsFileTest, UnsupportedDtypeNamesTensorAndSupportedDtypes) {
  EXPECT_THAT(
      error_of(one_tensor("[2]", "[0,16]", 16, "F64"), core::StatusCode::kUnsupported),
      AllOf(HasSubstr("tensor \"t\": unsupported dtype \"F64\""), HasSubstr("F32, F16, BF16")));
  EXPECT_THAT(error_of(raw_safetensors(R"({"t":{"shape":[1],"data_offsets":[0,4]}})", "abcd")),
              HasSubstr("tensor \"t\": dtype: expected a string"));
}

TEST_F(SafetensorsFileTest, BadShapesAndOffsets) {
  EXPECT_THAT(error_of(one_tensor("[2,-1]", "[0,8]", 8)),
              HasSubstr("tensor \"t\": shape: expected an array of non-negative integers"));
  EXPECT_THAT(error_of(one_tensor("[2.5]", "[0,8]", 8)), HasSubstr("tensor \"t\": shape:"));
  EXPECT_THAT(error_of(one_tensor("\"2\"", "[0,8]", 8)), HasSubstr("tensor \"t\": shape:"));
  EXPECT_THAT(error_of(one_tensor("[4294967296,4294967296,4294967296]", "[0,8]", 8)),
              HasSubstr("tensor \"t\": shape [4294967296,4294967296,4294967296] is too large"));
  EXPECT_THAT(error_of(one_tensor("[2]", "[0]", 8)), HasSubstr("tensor \"t\": data_offsets:"));
  EXPECT_THAT(error_of(one_tensor("[2]", "[-8,0]", 8)), HasSubstr("tensor \"t\": data_offsets:"));
  EXPECT_THAT(error_of(one_tensor("[2]", "[8,0]", 8)),
              HasSubstr("tensor \"t\": data_offsets [8, 0]: begin is after end"));
}

TEST_F(SafetensorsFileTest, ShapeMustMatchByteCount) {
  EXPECT_THAT(
      error_of(one_tensor("[2,3]", "[0,20]", 24)),
      HasSubstr("tensor \"t\": data_offsets [0, 20] hold 20 bytes, but F32 [2,3] needs 24"));
  EXPECT_THAT(error_of(one_tensor("[3]", "[0,12]", 12, "BF16")),
              HasSubstr("hold 12 bytes, but BF16 [3] needs 6"));
}

TEST_F(SafetensorsFileTest, OffsetsOutsideTheDataSection) {
  EXPECT_THAT(error_of(one_tensor("[4]", "[8,24]", 16)),
              HasSubstr("tensor \"t\": data_offsets [8, 24] reach past the end of the data "
                        "section (16 bytes"));
  EXPECT_THAT(error_of(one_tensor("[0]", "[17,17]", 16)), HasSubstr("reach past the end"));
  // Offsets so large that begin + size would wrap around must not pass either.
  EXPECT_THAT(error_of(one_tensor("[1]", "[18446744073709551612,18446744073709551615]", 16)),
              HasSubstr("tensor \"t\": data_offsets"));
}

TEST_F(SafetensorsFileTest, OverlappingTensorsNameBoth) {
  const std::string header = R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}})";
  EXPECT_THAT(error_of(raw_safetensors(header, std::string(24, '\0'))),
              AllOf(HasSubstr("tensor \"b\": data_offsets [12, 20] overlap"),
                    HasSubstr("tensor \"a\" [0, 16]")));
  // A tensor inside a longer one, listed after a third that ends earlier: still found.
  const std::string nested = R"({"long":{"dtype":"F32","shape":[8],"data_offsets":[0,32]},)"
                             R"("short":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},)"
                             R"("inner":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}})";
  EXPECT_THAT(error_of(raw_safetensors(nested, std::string(32, '\0'))), HasSubstr("overlap"));
  // Identical ranges overlap too; empty tensors share no bytes and are fine anywhere.
  const std::string same = R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                           R"("y":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  EXPECT_THAT(error_of(raw_safetensors(same, std::string(4, '\0'))), HasSubstr("overlap"));
  const std::string empty = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                            R"("e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}})";
  EXPECT_TRUE(open_bytes(raw_safetensors(empty, std::string(8, '\0'))).ok());
}

TEST_F(SafetensorsFileTest, EveryTruncationIsAnErrorNotACrash) {
  const std::string good =
      safetensors_file({make_tensor("a", {3, 5}, "F32"), make_tensor("b", {7}, "BF16"),
                        make_tensor("c", {2, 2}, "F16")},
                       {{"format", "pt"}});
  ASSERT_TRUE(open_bytes(good).ok());
  for (std::size_t size = 0; size < good.size(); ++size) {
    const std::string cut = good.substr(0, size);
    const core::Result<SafetensorsFile> file = parse_copy(cut, "cut.safetensors");
    EXPECT_FALSE(file.ok()) << "truncated to " << size << " of " << good.size() << " bytes";
    EXPECT_THAT(file.status().message(), HasSubstr("cut.safetensors")) << size;
    if (size % 16 == 0) {  // the same through a real mapping, at a sample of the offsets
      EXPECT_FALSE(open_bytes(cut, "cut.safetensors").ok()) << size;
    }
  }
}

TEST_F(SafetensorsFileTest, FlippedHeaderBytesNeverReadOutOfBounds) {
  const std::vector<TestTensor> tensors = {make_tensor("a", {3, 5}, "F32"),
                                           make_tensor("b", {7}, "BF16")};
  const std::string good = safetensors_file(tensors);
  std::size_t opened = 0;
  std::size_t refused = 0;
  uint32_t state = 7;
  for (std::size_t pos = 0; pos < good.size(); ++pos) {
    for (int variant = 0; variant < 3; ++variant) {
      state = state * 1664525u + 1013904223u;
      std::string damaged = good;
      const unsigned char replacement =
          variant == 0   ? static_cast<unsigned char>(damaged[pos]) ^ 0xff
          : variant == 1 ? static_cast<unsigned char>('0' + (state >> 28) % 10)
                         : static_cast<unsigned char>(state >> 24);
      damaged[pos] = static_cast<char>(replacement);
      const core::Result<SafetensorsFile> file = parse_copy(damaged, "flip.safetensors");
      if (!file.ok()) {
        ++refused;
        EXPECT_THAT(file.status().message(), HasSubstr("flip.safetensors")) << pos;
        continue;
      }
      ++opened;
      // Whatever opened must describe bytes inside the file, consistently with its shape.
      const std::size_t data_start = 8 + file->header_size();
      for (const TensorInfo& t : file->tensors()) {
        EXPECT_LE(t.offset + t.byte_size, damaged.size() - data_start) << pos;
        volatile uint8_t sink = 0;
        for (std::size_t i = 0; i < t.byte_size; ++i) {
          sink = sink ^ t.data[i];  // ASan reports any byte outside the mapping
        }
      }
    }
  }
  // Flipping the data section or the padding leaves a valid file; flipping structure does not.
  EXPECT_GT(opened, 0u);
  EXPECT_GT(refused, 0u);
}

}  // namespace
}  // namespace disaggd::engine
