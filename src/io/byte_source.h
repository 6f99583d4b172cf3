// Where a register reader's bytes come from: a file, streamed in the caller's chunks, or a
// string in memory (tests, fuzz targets). Shared by the z-i and dump.xml readers.
//
// Thread-safety: none; one reader owns one source.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace interdict {

class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Reads up to n bytes into dst; 0 means end of input.
  Result<std::size_t> Read(char* dst, std::size_t n);
  // Bytes read so far.
  std::uint64_t consumed() const { return consumed_; }
  // The input's size when known in advance (regular files, strings), else 0.
  virtual std::uint64_t total() const = 0;

 protected:
  virtual Result<std::size_t> ReadSome(char* dst, std::size_t n) = 0;

 private:
  std::uint64_t consumed_ = 0;
};

// Opens a file for sequential reading; a folder or an unreadable path is an error naming it.
Result<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path);
std::unique_ptr<ByteSource> MakeStringSource(std::string data);

// Reads a whole file (at most `limit` bytes; a larger file is an error naming it).
Result<std::string> ReadFileToString(const std::string& path,
                                     std::uint64_t limit = std::uint64_t{4} << 30);

}  // namespace interdict
