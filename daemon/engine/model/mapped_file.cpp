// MappedFile: open + fstat + mmap, with errors that name the file.
#include "engine/model/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace disaggd::engine {
namespace {

core::Status system_error(core::StatusCode code, const std::filesystem::path& path,
                          std::string_view what, int error) {
  return core::Status(code, path.string() + ": " + std::string(what) + ": " + std::strerror(error));
}

}  // namespace

core::Result<MappedFile> MappedFile::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    return system_error(error == ENOENT ? core::StatusCode::kNotFound : core::StatusCode::kInternal,
                        path, "cannot open", error);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    return system_error(core::StatusCode::kInternal, path, "cannot stat", error);
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return core::Status(core::StatusCode::kInvalidArgument, path.string() + ": not a regular file");
  }
  MappedFile file;
  file.path_ = path;
  file.size_ = static_cast<std::size_t>(info.st_size);
  if (file.size_ > 0) {
    void* data = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      const int error = errno;
      ::close(fd);
      file.size_ = 0;
      return system_error(core::StatusCode::kInternal, path, "cannot map", error);
    }
    file.data_ = static_cast<const uint8_t*>(data);
  }
  // The mapping keeps the file's pages; the descriptor is no longer needed.
  ::close(fd);
  return file;
}

MappedFile MappedFile::copy_of(std::span<const uint8_t> bytes, std::filesystem::path path) {
  MappedFile file;
  file.path_ = std::move(path);
  file.size_ = bytes.size();
  if (!bytes.empty()) {
    file.copy_ = std::make_unique_for_overwrite<uint8_t[]>(bytes.size());
    std::memcpy(file.copy_.get(), bytes.data(), bytes.size());
    file.data_ = file.copy_.get();
  }
  return file;
}

MappedFile::~MappedFile() {
  reset();
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)),
      copy_(std::move(other.copy_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    reset();
    path_ = std::move(other.path_);
    copy_ = std::move(other.copy_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

void MappedFile::reset() noexcept {
  if (data_ != nullptr && copy_ == nullptr) {
    ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  copy_.reset();
  data_ = nullptr;
  size_ = 0;
}

}  // namespace disaggd::engine
