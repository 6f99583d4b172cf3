#include "io/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace interdict {
namespace {

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  std::uint64_t total() const override { return data_.size(); }

 protected:
  Result<std::size_t> ReadSome(char* dst, std::size_t n) override {
    const std::size_t k = std::min(n, data_.size() - pos_);
    if (k > 0) std::memcpy(dst, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  std::size_t pos_ = 0;
};

class FileSource final : public ByteSource {
 public:
  // Takes ownership of fd.
  FileSource(int fd, std::string path, std::uint64_t total)
      : fd_(fd), path_(std::move(path)), total_(total) {}
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  std::uint64_t total() const override { return total_; }

 protected:
  Result<std::size_t> ReadSome(char* dst, std::size_t n) override {
    for (;;) {
      const ssize_t r = ::read(fd_, dst, n);
      if (r >= 0) return static_cast<std::size_t>(r);
      if (errno == EINTR) continue;
      return Status::IOError("cannot read " + path_ + ": " + ErrnoText(errno));
    }
  }

 private:
  int fd_;
  std::string path_;
  std::uint64_t total_;
};

}  // namespace

Result<std::size_t> ByteSource::Read(char* dst, std::size_t n) {
  ASSIGN_OR_RETURN(const std::size_t got, ReadSome(dst, n));
  consumed_ += got;
  return got;
}

Result<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + path + ": " + ErrnoText(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::IOError("cannot stat " + path + ": " + ErrnoText(err));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::IOError("cannot read " + path + ": is a directory");
  }
  // Only a regular file has a size known in advance; pipes and devices report 0.
  const std::uint64_t total = S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<ByteSource>(std::make_unique<FileSource>(fd, path, total));
}

Result<std::string> ReadFileToString(const std::string& path, std::uint64_t limit) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> source, OpenFileSource(path));
  if (source->total() > limit) {
    return Status::InvalidArgument(path + " is larger than " + std::to_string(limit) + " bytes");
  }
  std::string out;
  out.reserve(source->total());
  char buf[1 << 16];
  for (;;) {
    ASSIGN_OR_RETURN(const std::size_t n, source->Read(buf, sizeof buf));
    if (n == 0) return out;
    if (out.size() + n > limit) {
      return Status::InvalidArgument(path + " is larger than " + std::to_string(limit) + " bytes");
    }
    out.append(buf, n);
  }
}

std::unique_ptr<ByteSource> MakeStringSource(std::string data) {
  return std::make_unique<StringSource>(std::move(data));
}

}  // namespace interdict
