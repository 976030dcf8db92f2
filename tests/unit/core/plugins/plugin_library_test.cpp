// PluginLibrary::open: loads the fixture plugins and checks that every broken one is refused with
// a message naming the file and the reason, without crashing and without staying mapped.
#include "core/plugins/plugin_library.h"

#include <cstddef>
#include <string>

#include <gtest/gtest.h>

#include "disaggd/routing.h"
#include "plugin_test_support.h"

namespace disaggd::core {
namespace {

using test_support::abi_text;
using test_support::failed_with;
using test_support::fixture_file;
using test_support::is_mapped;
using test_support::TempDir;

const std::string kHostAbi = abi_text(DISAGGD_PLUGIN_ABI_MAJOR, DISAGGD_PLUGIN_ABI_MINOR);

TEST(PluginLibraryTest, OpensWellFormedCPluginAndCopiesItsDescriptor) {
  const auto file = fixture_file("minimal_c");
  auto library = PluginLibrary::open(file);
  ASSERT_TRUE(library.ok()) << library.status().message();
  const PluginInfo& info = (*library)->info();
  EXPECT_EQ(info.kind, PluginKind::kRouting);
  EXPECT_EQ(info.name, "minimal_c");
  EXPECT_EQ(info.version, "0.1.0");
  EXPECT_EQ(info.description, "Fixture: fewest requests in flight, written in plain C");
  EXPECT_EQ(info.abi_major, DISAGGD_PLUGIN_ABI_MAJOR);
  EXPECT_EQ(info.abi_minor, DISAGGD_PLUGIN_ABI_MINOR);
  EXPECT_EQ(info.file, file);
  const auto* vtable = static_cast<const disaggd_routing_vtable*>((*library)->vtable());
  ASSERT_NE(vtable, nullptr);
  EXPECT_EQ(vtable->struct_size, sizeof(disaggd_routing_vtable));
  EXPECT_EQ((*library)->display_name(), "routing plugin 'minimal_c' (" + file.string() + ")");
}

TEST(PluginLibraryTest, LibraryIsUnmappedWhenTheLastReferenceGoes) {
  TempDir dir;  // A private copy: nothing else in this process can hold it.
  const auto file = dir.copy_in(fixture_file("minimal_c"), "libdisaggd_routing_minimal_c.so");
  ASSERT_FALSE(is_mapped(file));
  {
    auto library = PluginLibrary::open(file);
    ASSERT_TRUE(library.ok()) << library.status().message();
    EXPECT_TRUE(is_mapped(file));
  }
  EXPECT_FALSE(is_mapped(file));
}

TEST(PluginLibraryTest, MissingFile) {
  TempDir dir;
  const auto file = dir.path() / "libdisaggd_routing_missing.so";
  EXPECT_TRUE(failed_with(PluginLibrary::open(file).status(), StatusCode::kNotFound, file,
                          "file not found"));
}

TEST(PluginLibraryTest, DirectoryIsNotARegularFile) {
  TempDir dir;
  const auto file = dir.subdir("libdisaggd_routing_dir.so");
  EXPECT_TRUE(failed_with(PluginLibrary::open(file).status(), StatusCode::kInvalidArgument, file,
                          "not a regular file"));
}

TEST(PluginLibraryTest, TextFileIsNotASharedObject) {
  const auto file = fixture_file("not_elf");
  const Status status = PluginLibrary::open(file).status();
  EXPECT_TRUE(failed_with(status, StatusCode::kInvalidArgument, file,
                          "cannot be loaded as a shared object"));
  // The dynamic linker's own reason is passed on.
  EXPECT_NE(status.message().find("ELF"), std::string::npos) << status.message();
}

TEST(PluginLibraryTest, UnresolvedSymbolFailsAtLoadNotAtFirstCall) {
  const auto file = fixture_file("undefined_symbol");
  const Status status = PluginLibrary::open(file).status();
  EXPECT_TRUE(failed_with(status, StatusCode::kInvalidArgument, file,
                          "cannot be loaded as a shared object"));
  EXPECT_NE(status.message().find("disaggd_fixture_symbol_nobody_defines"), std::string::npos)
      << status.message();
}

TEST(PluginLibraryTest, EntrySymbolMissing) {
  const auto file = fixture_file("no_entry");
  EXPECT_TRUE(failed_with(PluginLibrary::open(file).status(), StatusCode::kInvalidArgument, file,
                          "entry symbol disaggd_plugin_entry not found"));
}

TEST(PluginLibraryTest, EntryReturnsNull) {
  const auto file = fixture_file("entry_null");
  const Status status = PluginLibrary::open(file).status();
  EXPECT_TRUE(failed_with(status, StatusCode::kFailedPrecondition, file,
                          "disaggd_plugin_entry returned NULL"));
  EXPECT_NE(status.message().find("host ABI " + kHostAbi), std::string::npos) << status.message();
}

TEST(PluginLibraryTest, EntryThrowsIsContained) {
  const auto file = fixture_file("entry_throws");
  EXPECT_TRUE(failed_with(PluginLibrary::open(file).status(), StatusCode::kInternal, file,
                          "disaggd_plugin_entry threw an exception across the ABI: "
                          "entry_throws fixture: entry point exploded"));
}

TEST(PluginLibraryTest, OtherAbiMajorNamesBothVersions) {
  const auto file = fixture_file("other_abi_major");
  const Status status = PluginLibrary::open(file).status();
  EXPECT_TRUE(failed_with(status, StatusCode::kFailedPrecondition, file,
                          "built for plugin ABI " + abi_text(DISAGGD_PLUGIN_ABI_MAJOR + 1, 0)));
  EXPECT_NE(status.message().find("this disaggd speaks ABI " + kHostAbi), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("major versions must match"), std::string::npos);
}

TEST(PluginLibraryTest, NewerAbiMinorNamesBothVersions) {
  const auto file = fixture_file("newer_abi_minor");
  const Status status = PluginLibrary::open(file).status();
  EXPECT_TRUE(failed_with(
      status, StatusCode::kFailedPrecondition, file,
      "built for plugin ABI " + abi_text(DISAGGD_PLUGIN_ABI_MAJOR, DISAGGD_PLUGIN_ABI_MINOR + 1)));
  EXPECT_NE(status.message().find("newer than this disaggd's ABI " + kHostAbi), std::string::npos)
      << status.message();
}

TEST(PluginLibraryTest, DescriptorStructSizeTooSmall) {
  const auto file = fixture_file("small_descriptor");
  const std::size_t plugin_size = offsetof(disaggd_plugin_descriptor, vtable);
  EXPECT_TRUE(failed_with(
      PluginLibrary::open(file).status(), StatusCode::kInvalidArgument, file,
      "descriptor struct_size " + std::to_string(plugin_size) + " is smaller than the " +
          std::to_string(sizeof(disaggd_plugin_descriptor)) + " bytes of ABI 1.0"));
}

TEST(PluginLibraryTest, UnknownKind) {
  const auto file = fixture_file("unknown_kind");
  EXPECT_TRUE(failed_with(PluginLibrary::open(file).status(), StatusCode::kInvalidArgument, file,
                          "unknown plugin kind 42"));
}

TEST(PluginLibraryTest, InvalidDescriptorName) {
  const auto file = fixture_file("invalid_name");
  EXPECT_TRUE(failed_with(PluginLibrary::open(file).status(), StatusCode::kInvalidArgument, file,
                          "descriptor name must be non-empty and use only a-z, 0-9 and _"));
}

TEST(PluginLibraryTest, EmptyVersion) {
  const auto file = fixture_file("no_version");
  EXPECT_TRUE(failed_with(PluginLibrary::open(file).status(), StatusCode::kInvalidArgument, file,
                          "descriptor has no version"));
}

TEST(PluginLibraryTest, NullVtable) {
  const auto file = fixture_file("no_vtable");
  EXPECT_TRUE(failed_with(PluginLibrary::open(file).status(), StatusCode::kInvalidArgument, file,
                          "descriptor has no vtable"));
}

// Kind, name and vtable contents are compared with the file name by the host (PluginHost), not
// here: a library reports what its descriptor says.
TEST(PluginLibraryTest, ReportsDescriptorKindAndNameAsDeclared) {
  auto wrong_kind = PluginLibrary::open(fixture_file("wrong_kind"));
  ASSERT_TRUE(wrong_kind.ok()) << wrong_kind.status().message();
  EXPECT_EQ((*wrong_kind)->info().kind, PluginKind::kMigration);
  auto mismatch = PluginLibrary::open(fixture_file("name_mismatch"));
  ASSERT_TRUE(mismatch.ok()) << mismatch.status().message();
  EXPECT_EQ((*mismatch)->info().name, "some_other_name");
}

TEST(PluginLibraryTest, RefusedLibraryDoesNotStayMapped) {
  TempDir dir;
  const auto file = dir.copy_in(fixture_file("other_abi_major"), "libdisaggd_routing_x.so");
  ASSERT_FALSE(PluginLibrary::open(file).ok());
  EXPECT_FALSE(is_mapped(file));
}

}  // namespace
}  // namespace disaggd::core
